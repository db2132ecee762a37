// A virtio-blk RAM disk: IN, OUT, FLUSH and GET_ID; the status byte is the chain's last
// writable byte. A request outside the disk completes with IOERR, an unknown type with UNSUPP:
// a bad request is answered, never dropped. The range check tests start <= capacity before
// computing capacity - start, so no unsigned wrap lets a request through.
import {
  VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT, virtio_blk_outhdr,
} from '../../generated/virtio_blk.js';
import { VIRTIO_BLK_SECTOR_SIZE, VIRTQUEUE_MAX_SIZE } from '../policy.js';
import { checkBudget } from './burst-count.js';
import { Chain, SplitQueueDevice } from './device-queue.js';

export interface BlockStats {
  requests: number;
  ioErrors: number;
  unsupported: number;
  /** Chains with no writable byte for the status: nothing can be answered; counted and returned unused. */
  malformed: number;
}

export class BlockRamDisk {
  readonly disk: Uint8Array;
  readonly stats: BlockStats = { requests: 0, ioErrors: 0, unsupported: 0, malformed: 0 };
  private readonly header = new Uint8Array(virtio_blk_outhdr.size);
  private readonly idBytes: Uint8Array;
  /** A burst's heads and written lengths, one entry per ring slot. */
  private readonly heads: Uint16Array;
  private readonly written: Uint32Array;

  constructor(
    readonly queue: SplitQueueDevice,
    readonly capacitySectors: bigint,
    id: string,
  ) {
    this.disk = new Uint8Array(Number(capacitySectors) * VIRTIO_BLK_SECTOR_SIZE);
    // A ring's size is the driver's word: a size no queue may have (the queue is then broken) sizes no array.
    const slots = Math.min(queue.num, VIRTQUEUE_MAX_SIZE);
    this.heads = new Uint16Array(slots);
    this.written = new Uint32Array(slots);
    this.idBytes = new Uint8Array(VIRTIO_BLK_ID_BYTES);
    this.idBytes.set(new TextEncoder().encode(id).subarray(0, VIRTIO_BLK_ID_BYTES));
  }

  /** Answers up to `budget` requests, popped and completed as one burst each way; returns how many. */
  run(budget: number): number {
    checkBudget(budget);
    const n = this.queue.popBurst(this.heads, Math.min(budget, this.heads.length));
    for (let k = 0; k < n; k++) this.written[k] = this.request(this.queue.chainOf(this.heads[k]));
    this.queue.pushBurst(this.heads, this.written, n);
    return n;
  }

  /** Serves one request; returns the bytes written into the chain, the status byte included. */
  private request(chain: Chain): number {
    this.stats.requests++;
    const writable = chain.writableLength;
    if (writable === 0 || chain.readInto(0, this.header) < this.header.length) {
      this.stats.malformed++;
      return 0;
    }
    const hdr = virtio_blk_outhdr.fromBytes(this.header);
    const dataIn = writable - 1; // room before the status byte
    let status = VIRTIO_BLK_S_OK;
    let written = 0;
    const sector = hdr.sector;
    const inRange = (bytes: number) => bytes % VIRTIO_BLK_SECTOR_SIZE === 0 && sector <= this.capacitySectors && BigInt(bytes / VIRTIO_BLK_SECTOR_SIZE) <= this.capacitySectors - sector;
    const offset = Number(sector) * VIRTIO_BLK_SECTOR_SIZE;
    switch (hdr.type) {
      case VIRTIO_BLK_T_IN:
        if (!inRange(dataIn)) status = VIRTIO_BLK_S_IOERR;
        else written = chain.writeBytes(this.disk.subarray(offset, offset + dataIn), 0);
        break;
      case VIRTIO_BLK_T_OUT: {
        const length = chain.readableLength - this.header.length;
        if (!inRange(length)) status = VIRTIO_BLK_S_IOERR;
        else chain.readInto(this.header.length, this.disk.subarray(offset, offset + length));
        break;
      }
      case VIRTIO_BLK_T_FLUSH:
        break;
      case VIRTIO_BLK_T_GET_ID:
        written = chain.writeBytes(this.idBytes.subarray(0, Math.min(dataIn, VIRTIO_BLK_ID_BYTES)), 0);
        break;
      default:
        status = VIRTIO_BLK_S_UNSUPP;
    }
    if (status === VIRTIO_BLK_S_IOERR) this.stats.ioErrors++;
    if (status === VIRTIO_BLK_S_UNSUPP) this.stats.unsupported++;
    chain.writeBytes(Uint8Array.of(status), dataIn);
    return written + 1;
  }
}
