// `npm run bench` (block part): the block RAM disk behind its split ring, driver and disk in one
// thread. Each request is a chain of three descriptors (header, 4 KiB of data, status), OUT and
// IN in turn over the disk; the driver adds a batch, the disk serves it (run in place, no kick
// needed in one thread), the driver collects it. Requests per second, MB/s, and garbage collections over the timed requests:
// a request allocates one view per data buffer (block.ts), so the collections are that view's.
// Figures, never asserted.
import { DmaArena, ringIovas } from '../helpers/rings.js';
import { countGcs } from './gc-count.js';
import { u32 } from '../../runtime/codegen-v1.js';
import { VIRTIO_BLK_S_OK, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, virtio_blk_outhdr } from '../../generated/virtio_blk.js';
import { VIRTIO_BLK_SECTOR_SIZE } from '../../runtime/policy.js';
import { BlockRamDisk } from '../../runtime/virtio/block.js';
import { SplitQueueDevice } from '../../runtime/virtio/device-queue.js';
import { SplitQueueDriver, type BufferRef } from '../../runtime/virtio/driver-queue.js';

const QUEUE = 256;
const DATA = 4096;
const SECTORS_PER_REQUEST = DATA / VIRTIO_BLK_SECTOR_SIZE;
const CAPACITY_SECTORS = 2048n;
const DESCRIPTORS_PER_REQUEST = 3;
const TYPE_AT = virtio_blk_outhdr.offsetOf('type');
const SECTOR_AT = virtio_blk_outhdr.offsetOf('sector');
/** Written where the status goes before each request: no status has this value, and OK is 0, what the arena starts as. */
const NOT_A_STATUS = 0xff;

export interface BlockFigure {
  /** Requests per second. */
  rate: number;
  gcs: number;
}

/** `requests` through the disk, `batch` a kick, after a tenth as many untimed. */
export async function blockRate(batch: number, requests: number): Promise<BlockFigure> {
  const arena = new DmaArena(8 << 20);
  const ring = arena.rings(QUEUE);
  const driver = new SplitQueueDriver<number>(QUEUE, ring, true);
  const device = new SplitQueueDevice(QUEUE, ringIovas(ring), arena.dma, true);
  const disk = new BlockRamDisk(device, CAPACITY_SECTORS, 'bench');
  // One slot a request of a batch: its header, data and status buffers, and the chains' buffer lists, made once.
  const slots = Array.from({ length: batch }, (_, k) => {
    const header = arena.alloc(virtio_blk_outhdr.size, virtio_blk_outhdr.align);
    const data = arena.alloc(DATA);
    const status = arena.alloc(1, 1);
    const ref = (s: { iova: bigint; bytes: Uint8Array }): BufferRef => ({ iova: Number(s.iova), length: s.bytes.length });
    const out = { readable: [ref(header), ref(data)], writable: [ref(status)] };
    const inward = { readable: [ref(header)], writable: [ref(data), ref(status)] };
    const view = new DataView(header.bytes.buffer, header.bytes.byteOffset, header.bytes.byteLength);
    // Far enough apart that the batch's requests touch different sectors.
    const sector = (k * SECTORS_PER_REQUEST) % Number(CAPACITY_SECTORS - BigInt(SECTORS_PER_REQUEST));
    return { out, inward, view, status: status.bytes, sector };
  });
  const heads = new Uint16Array(QUEUE);
  const lengths = new Uint32Array(QUEUE);
  const warmUp = Math.ceil(requests / 10 / batch) * batch;
  let done = 0;
  let failed = 0;
  let t0 = 0;
  let gcs: ReturnType<typeof countGcs> | undefined;
  for (let round = 0; done < requests + warmUp; round++) {
    if (done === warmUp) {
      globalThis.gc?.();
      t0 = performance.now();
      gcs = countGcs();
    }
    const type = round % 2 === 0 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
    for (const s of slots) {
      // The header by hand, as a driver with a fixed header buffer writes it: the codec's encode takes an object and a bigint.
      u32.encode(type, s.view, TYPE_AT);
      u32.encode(s.sector, s.view, SECTOR_AT);
      u32.encode(0, s.view, SECTOR_AT + u32.size);
      s.status[0] = NOT_A_STATUS;
      const chain = type === VIRTIO_BLK_T_OUT ? s.out : s.inward;
      driver.add(chain.readable, chain.writable);
    }
    driver.publish();
    disk.run(batch);
    const got = driver.popUsedBurst(heads, lengths);
    for (const s of slots) if (s.status[0] !== VIRTIO_BLK_S_OK) failed++;
    if (got !== batch) throw new Error(`the disk answered ${got} of ${batch}`);
    done += batch;
  }
  const seconds = (performance.now() - t0) / 1000;
  const collections = (await gcs?.stop()) ?? NaN;
  if (failed > 0) throw new Error(`${failed} requests did not end OK`);
  return { rate: requests / seconds, gcs: collections };
}

/** The block table: batch 1 and 32, best of `runs`. */
export async function blockTable(runs: number, row: (cells: string[]) => void): Promise<void> {
  const requests = 200_000;
  console.log(`\n## Block RAM disk, the disk in this thread (queue ${QUEUE}, ${DATA / 1024} KiB requests, OUT and IN in turn, ${DESCRIPTORS_PER_REQUEST} descriptors a request)`);
  console.log(`The driver adds a batch of requests, the disk serves it, the driver collects it. Best of ${runs}.`);
  console.log(`GCs: garbage collections over the timed ${requests.toLocaleString('en')} requests (a request makes one view of its data buffer).`);
  row(['batch', 'k requests/s', 'MB/s', 'M descriptors/s', 'GCs']);
  row(Array(5).fill('---'));
  for (const batch of [1, 32]) {
    let best: BlockFigure | undefined;
    for (let k = 0; k < runs; k++) {
      const f = await blockRate(batch, requests).catch((e: Error) => {
        console.log(`the block RAM disk at batch ${batch} failed: ${e.message}`);
        return undefined;
      });
      if (f !== undefined && (best === undefined || f.rate > best.rate)) best = f;
    }
    if (best === undefined) row([String(batch), 'n/a', 'n/a', 'n/a', 'n/a']);
    else row([String(batch), (best.rate / 1e3).toFixed(0), ((best.rate * DATA) / 1e6).toFixed(0), ((best.rate * DESCRIPTORS_PER_REQUEST) / 1e6).toFixed(2), String(best.gcs)]);
  }
}
