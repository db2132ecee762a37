// An IOMMU of mappings for tests: each maps `size` bytes at `iova` to `offset` in one memory,
// writable unless it says not. Its DmaView translates a range that lies in one mapping and says
// where each mapping ends (`mapped`), so buffers across mappings that meet go into chains in
// pieces; `withMapped: false` leaves that out, as an IOMMU that cannot say.
import type { DmaView } from '../../runtime/virtio/device-queue.js';

export interface TestMapping {
  iova: number;
  offset: number;
  size: number;
  writable?: boolean;
}

export function mappedView(memory: Uint8Array, mappings: readonly TestMapping[], withMapped = true): DmaView {
  const covering = (iova: number) => mappings.find((m) => iova >= m.iova && iova < m.iova + m.size);
  const reach = (iova: number, write: boolean) => {
    const m = covering(iova);
    return m === undefined || (write && m.writable === false) ? 0 : m.iova + m.size - iova;
  };
  return {
    memory,
    translate: (iova, length, write) => {
      const m = covering(iova);
      if (m === undefined || length > reach(iova, write)) throw new Error(`iova 0x${iova.toString(16)}+${length} unmapped${write ? ' for writing' : ''}`);
      return m.offset + iova - m.iova;
    },
    ...(withMapped && { mapped: reach }),
  };
}
