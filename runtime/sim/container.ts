// The simulated VFIO container and its Type1 IOMMU: IOVA -> process memory mappings that
// the device's DMA goes through. An access outside them is a device fault, never a crash.
import { EBUSY, EEXIST, EFAULT, EINVAL, ENOTTY } from '../../generated/errno.js';
import {
  VFIO_API_VERSION, VFIO_DMA_MAP_FLAG, VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VFIO_IOMMU_INFO, VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU,
  vfio_ioctls, vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_unmap, vfio_iommu_type1_info, vfio_iommu_type1_info_cap_iova_range,
} from '../../generated/vfio.js';
import { buildChain } from './capability-chain.js';
import type { DmaView } from '../virtio/device-queue.js';
import { argszRequest, refuse, userBuffer, writeStruct } from './uaccess.js';
import { IOVA_BITS, PAGE_SIZE } from './parameters.js';
import type { SimKernel } from './kernel.js';

const io = vfio_ioctls;

export interface Mapping {
  iova: bigint;
  vaddr: bigint;
  size: bigint;
  writable: boolean;
  /** The same as numbers, for the device's per-descriptor translation (no BigInt per access). */
  iovaN: number;
  sizeN: number;
}

export class DmaFault extends Error {
  override name = 'DmaFault';
}

export class SimContainer {
  iommu: number | undefined;
  readonly groups = new Set<number>();
  readonly mappings: Mapping[] = [];

  constructor(private readonly kernel: SimKernel) {}

  ioctl(request: number, arg: Uint8Array | number | undefined): number {
    switch (request) {
      case io.VFIO_GET_API_VERSION.request:
        return VFIO_API_VERSION;
      case io.VFIO_CHECK_EXTENSION.request:
        return arg === VFIO_TYPE1v2_IOMMU || arg === VFIO_TYPE1_IOMMU ? 1 : 0;
      case io.VFIO_SET_IOMMU.request:
        if (this.groups.size === 0) refuse(io.VFIO_SET_IOMMU.name, EINVAL, 'no group in the container');
        if (this.iommu !== undefined) refuse(io.VFIO_SET_IOMMU.name, EBUSY, 'IOMMU already set');
        if (arg !== VFIO_TYPE1v2_IOMMU && arg !== VFIO_TYPE1_IOMMU) refuse(io.VFIO_SET_IOMMU.name, EINVAL, `IOMMU type ${String(arg)}`);
        this.iommu = arg;
        return 0;
      case io.VFIO_IOMMU_GET_INFO.request:
        return this.getInfo(arg);
      case io.VFIO_IOMMU_MAP_DMA.request:
        return this.map(arg);
      case io.VFIO_IOMMU_UNMAP_DMA.request:
        return this.unmap(arg);
    }
    return refuse(`ioctl ${request}`, ENOTTY, 'not a container ioctl');
  }

  private needIommu(name: string): void {
    if (this.iommu === undefined) refuse(name, EINVAL, 'no IOMMU set');
  }

  private getInfo(arg: Uint8Array | number | undefined): number {
    const name = io.VFIO_IOMMU_GET_INFO.name;
    this.needIommu(name);
    const { buf, req } = argszRequest(name, arg, vfio_iommu_type1_info, vfio_iommu_type1_info.offsetOf('cap_offset'));
    const chain = buildChain(vfio_iommu_type1_info.size, [
      {
        id: VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
        version: 1,
        codec: vfio_iommu_type1_info_cap_iova_range,
        value: { nr_iovas: 1, reserved: 0, iova_ranges: [{ start: 0n, end: (1n << IOVA_BITS) - 1n }] },
        length: vfio_iommu_type1_info_cap_iova_range.size + vfio_iommu_type1_info_cap_iova_range.fields.iova_ranges.codec.size,
      },
    ]);
    const fits = req.argsz >= chain.required;
    const out = { argsz: fits ? req.argsz : chain.required, flags: VFIO_IOMMU_INFO.of(VFIO_IOMMU_INFO_PGSIZES, VFIO_IOMMU_INFO_CAPS), iova_pgsizes: BigInt(PAGE_SIZE), cap_offset: fits ? chain.offset : 0 };
    writeStruct(vfio_iommu_type1_info, out, buf);
    if (fits) buf.set(chain.bytes, chain.offset);
    return 0;
  }

  private map(arg: Uint8Array | number | undefined): number {
    const name = io.VFIO_IOMMU_MAP_DMA.name;
    this.needIommu(name);
    const buf = userBuffer(name, arg, vfio_iommu_type1_dma_map.size);
    const m = vfio_iommu_type1_dma_map.fromBytes(buf);
    if (m.argsz < vfio_iommu_type1_dma_map.size) refuse(name, EINVAL, `argsz ${m.argsz}`);
    const known = VFIO_DMA_MAP_FLAG.of(VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE);
    if ((m.flags & ~known) !== 0 || (m.flags & known) === 0) refuse(name, EINVAL, `flags ${m.flags}`);
    const page = BigInt(PAGE_SIZE);
    if (m.size === 0n || m.size % page || m.iova % page || m.vaddr % page) refuse(name, EINVAL, 'size, iova and vaddr must be page aligned and size non-zero');
    if (!this.kernel.isProcessMemory(m.vaddr, m.size)) refuse(name, EFAULT, `vaddr 0x${m.vaddr.toString(16)}+0x${m.size.toString(16)} is not mapped in the process`);
    if (m.iova + m.size > 1n << IOVA_BITS) refuse(name, EINVAL, `iova 0x${m.iova.toString(16)}+0x${m.size.toString(16)} is outside the IOMMU's ${IOVA_BITS}-bit aperture`);
    if (this.mappings.some((x) => m.iova < x.iova + x.size && x.iova < m.iova + m.size)) refuse(name, EEXIST, `iova 0x${m.iova.toString(16)} overlaps a mapping`);
    this.mappings.push({ iova: m.iova, vaddr: m.vaddr, size: m.size, writable: VFIO_DMA_MAP_FLAG.has(m.flags, VFIO_DMA_MAP_FLAG_WRITE), iovaN: Number(m.iova), sizeN: Number(m.size) });
    return 0;
  }

  private unmap(arg: Uint8Array | number | undefined): number {
    const name = io.VFIO_IOMMU_UNMAP_DMA.name;
    this.needIommu(name);
    const buf = userBuffer(name, arg, vfio_iommu_type1_dma_unmap.size);
    // data[] is the dirty bitmap, used only with GET_DIRTY_BITMAP, which this IOMMU refuses.
    const u = vfio_iommu_type1_dma_unmap.fromBytes(buf, { counts: { data: 0 } });
    if (u.argsz < vfio_iommu_type1_dma_unmap.size || u.flags !== 0) refuse(name, EINVAL, `argsz ${u.argsz}, flags ${u.flags}`);
    const end = u.iova + u.size;
    // Type1 v2 never splits a mapping: one that is only partly inside the range is an error.
    if (this.mappings.some((x) => x.iova < end && u.iova < x.iova + x.size && (x.iova < u.iova || x.iova + x.size > end))) refuse(name, EINVAL, 'the range cuts a mapping');
    let unmapped = 0n;
    for (let k = this.mappings.length - 1; k >= 0; k--) {
      const x = this.mappings[k];
      if (x.iova >= u.iova && x.iova + x.size <= end) {
        unmapped += x.size;
        this.mappings.splice(k, 1);
      }
    }
    writeStruct(vfio_iommu_type1_dma_unmap, { ...u, size: unmapped }, buf);
    return 0;
  }

  /** Where an IOVA range lies in the process memory, for device DMA; a DmaFault when it is not all mapped so. */
  dmaOffset(iova: bigint, length: number, write: boolean): number {
    const len = BigInt(length);
    const m = this.mappings.find((x) => iova >= x.iova && iova + len <= x.iova + x.size && iova + len >= iova);
    if (!m) throw new DmaFault(`DMA to iova 0x${iova.toString(16)}+${length} is not mapped`);
    if (write && !m.writable) throw new DmaFault(`DMA write to read-only iova 0x${iova.toString(16)}`);
    return this.kernel.memoryOffset(m.vaddr + (iova - m.iova));
  }

  /** The bytes behind an IOVA range (a view: for tests and cold paths). */
  translate(iova: bigint, length: number, write: boolean): Uint8Array {
    const offset = this.dmaOffset(iova, length, write);
    return this.kernel.processBytes.subarray(offset, offset + length);
  }

  /** The device's view of DMA through this IOMMU, for virtqueues. */
  get dma(): DmaView {
    return {
      memory: this.kernel.processBytes,
      translate: (iova, length, write) => {
        // IOVAs the device reads from rings are safe integers; mappings keep number copies for this path.
        for (const m of this.mappings) {
          if (iova >= m.iovaN && iova + length <= m.iovaN + m.sizeN) {
            if (write && !m.writable) throw new DmaFault(`DMA write to read-only iova 0x${iova.toString(16)}`);
            return this.kernel.memoryOffset(m.vaddr) + (iova - m.iovaN);
          }
        }
        throw new DmaFault(`DMA to iova 0x${iova.toString(16)}+${length} is not mapped`);
      },
      // Mappings may meet (DMA_MAP refuses only overlaps): a buffer across the meeting is DMA to each in turn.
      mapped: (iova, write) => {
        for (const m of this.mappings) {
          if (iova >= m.iovaN && iova < m.iovaN + m.sizeN) return write && !m.writable ? 0 : m.iovaN + m.sizeN - iova;
        }
        return 0;
      },
    };
  }
}
