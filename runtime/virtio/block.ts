// A virtio-blk RAM disk: IN, OUT, FLUSH and GET_ID; the status byte is the chain's last
// writable byte. A request outside the disk completes with IOERR, an unknown type with UNSUPP:
// a bad request is answered, never dropped. The range check tests start <= capacity before
// computing capacity - start, so no unsigned wrap lets a request through. A request allocates
// nothing of its own beyond a view for each data buffer longer than BYTE_LOOP_MAX (the one copy
// set() needs): the header is read from fixed bytes, and the sector is a number.
import {
  VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT, virtio_blk_outhdr,
} from '../../generated/virtio_blk.js';
import { u32 } from '../codegen-v1.js';
import { BITS_PER_BYTE, VIRTIO_BLK_SECTOR_SIZE, VIRTQUEUE_MAX_SIZE } from '../policy.js';
import { checkBudget } from './burst-count.js';
import { Chain, SplitQueueDevice } from './device-queue.js';

const TYPE_AT = virtio_blk_outhdr.offsetOf('type');
const SECTOR_AT = virtio_blk_outhdr.offsetOf('sector');
/** The sector, a u64, is read as two 32-bit words: a bigint per request would be garbage per request. */
const WORD = Number(1n << BigInt(u32.size * BITS_PER_BYTE));

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
  private readonly headerView = new DataView(this.header.buffer);
  private readonly idBytes: Uint8Array;
  private readonly statusByte = new Uint8Array(1);
  /** The capacity in sectors as a number: the disk is in memory, so far below 2^53. */
  private readonly sectors: number;
  /** A burst's heads and written lengths, one entry per ring slot. */
  private readonly heads: Uint16Array;
  private readonly written: Uint32Array;

  constructor(
    readonly queue: SplitQueueDevice,
    readonly capacitySectors: bigint,
    id: string,
  ) {
    this.disk = new Uint8Array(Number(capacitySectors) * VIRTIO_BLK_SECTOR_SIZE);
    this.sectors = Number(capacitySectors);
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

  /**
   * Whether `bytes` from `sector` on are whole sectors within the disk. `sector` is the header's
   * u64 as a number: above 2^53 it is rounded, but only to another number far past any capacity.
   */
  private inRange(sector: number, bytes: number): boolean {
    return bytes % VIRTIO_BLK_SECTOR_SIZE === 0 && sector <= this.sectors && bytes / VIRTIO_BLK_SECTOR_SIZE <= this.sectors - sector;
  }

  /** Serves one request; returns the bytes written into the chain, the status byte included. */
  private request(chain: Chain): number {
    this.stats.requests++;
    const writable = chain.writableLength;
    if (writable === 0 || chain.readInto(0, this.header) < this.header.length) {
      this.stats.malformed++;
      return 0;
    }
    const type = u32.decode(this.headerView, TYPE_AT);
    const sector = u32.decode(this.headerView, SECTOR_AT + u32.size) * WORD + u32.decode(this.headerView, SECTOR_AT);
    const dataIn = writable - 1; // room before the status byte
    let status = VIRTIO_BLK_S_OK;
    let written = 0;
    const offset = sector * VIRTIO_BLK_SECTOR_SIZE;
    switch (type) {
      case VIRTIO_BLK_T_IN:
        if (!this.inRange(sector, dataIn)) status = VIRTIO_BLK_S_IOERR;
        else written = chain.writeBytes(this.disk, 0, offset, dataIn);
        break;
      case VIRTIO_BLK_T_OUT: {
        const length = chain.readableLength - this.header.length;
        if (!this.inRange(sector, length)) status = VIRTIO_BLK_S_IOERR;
        else chain.readInto(this.header.length, this.disk, offset, length);
        break;
      }
      case VIRTIO_BLK_T_FLUSH:
        break;
      case VIRTIO_BLK_T_GET_ID:
        written = chain.writeBytes(this.idBytes, 0, 0, Math.min(dataIn, VIRTIO_BLK_ID_BYTES));
        break;
      default:
        status = VIRTIO_BLK_S_UNSUPP;
    }
    if (status === VIRTIO_BLK_S_IOERR) this.stats.ioErrors++;
    if (status === VIRTIO_BLK_S_UNSUPP) this.stats.unsupported++;
    this.statusByte[0] = status;
    chain.writeBytes(this.statusByte, dataIn);
    return written + 1;
  }
}
