// A virtio-net loopback, as vdpa_sim_net: each frame sent on the TX queue arrives on the RX
// queue, behind the virtio_net_hdr the negotiated features imply (with num_buffers under
// VIRTIO_F_VERSION_1 or VIRTIO_NET_F_MRG_RXBUF). A run handles at most `budget` frames so one
// queue cannot starve the others; a TX frame waits while RX has no buffer.
//
// Under VIRTIO_NET_F_MRG_RXBUF a frame longer than one RX buffer is spread over as many as it
// takes, as QEMU's virtio-net does and vdpa_sim_net (which does not offer the feature) does
// not: virtio 1.x 5.1.6.4 asks that num_buffers count them, that every buffer but the last be
// filled whole, and that the driver see them used together. A frame waits, holding the
// buffers it has, until the driver posts enough; one longer than a whole ring of buffers holds
// is delivered cut short over all of them, as a frame longer than its one buffer is without the
// feature, and counted.
//
// A TX chain shorter than the header holds no frame: it is counted (stats.malformed) and
// returned used without taking an RX buffer, not sent as an empty frame. vdpa_sim_net's receive
// filter does the same with a frame too short for the header and a destination address; it
// also drops unicast frames not sent to its MAC, which a loopback for the datapath does not.
import { virtio_net_hdr, virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { checkBudget } from './burst-count.js';
import { Chain, SplitQueueDevice } from './device-queue.js';
import { netHeaderOf, NUM_BUFFERS } from './net-header.js';

export interface NetStats {
  frames: number;
  bytes: number;
  /** Frames longer than the RX buffers that took them: delivered cut short. */
  truncated: number;
  /** Frames spread over more than one RX buffer (VIRTIO_NET_F_MRG_RXBUF). */
  merged: number;
  /**
   * TX chains shorter than the virtio-net header: no frame to send. Each is counted and returned
   * used, taking no RX buffer, as BlockRamDisk answers a request it cannot read and vdpa_sim_net
   * drops a frame too short to filter; QEMU (NEEDS_RESET) and vhost-net (the ring's error eventfd)
   * stop the queue over one instead.
   */
  malformed: number;
}

export class NetLoopback {
  readonly headerSize: number;
  /** Whether a frame may take more than one RX buffer (VIRTIO_NET_F_MRG_RXBUF negotiated). */
  readonly mergeable: boolean;
  readonly stats: NetStats = { frames: 0, bytes: 0, truncated: 0, merged: 0, malformed: 0 };
  /**
   * A TX frame that waits for RX buffers, and those it holds already: the first `gatheredCount`
   * of `gathered` (slots past it are stale), `gatheredBytes` writable.
   */
  private waiting: Chain | undefined;
  private readonly gathered: (Chain | undefined)[];
  private gatheredCount = 0;
  private gatheredBytes = 0;
  private readonly header: Uint8Array;
  private readonly headerView: DataView;
  /** num_buffers as `header` holds it now: rewritten only when a frame takes another count. */
  private headerBuffers = 1;
  /**
   * Used entries gathered over a run and pushed as one burst a queue: each push publishes the
   * used index, a shared store the driver's thread must see, and two a frame cost more than
   * the frame's copy. One push a run also shows the driver every buffer of a frame at once, as
   * MRG_RXBUF asks. Every chain popped stays held until then, and a device queue refuses more
   * chains in flight than its ring holds, so a ring's size bounds these arrays.
   */
  private readonly txHeads: Uint16Array;
  private readonly txWritten: Uint32Array;
  private readonly rxHeads: Uint16Array;
  private readonly rxWritten: Uint32Array;

  constructor(
    readonly rx: SplitQueueDevice,
    readonly tx: SplitQueueDevice,
    features: bigint,
  ) {
    const { size, withNumBuffers, mergeable } = netHeaderOf(features);
    this.headerSize = size;
    this.mergeable = mergeable;
    const h = { flags: 0, gso_type: 0, hdr_len: 0, gso_size: 0, csum_start: 0, csum_offset: 0 };
    // Without MRG_RXBUF num_buffers stays 1, as the spec asks of VERSION_1 alone.
    this.header = withNumBuffers ? virtio_net_hdr_mrg_rxbuf.toBytes({ hdr: h, num_buffers: this.headerBuffers }) : virtio_net_hdr.toBytes(h);
    this.headerView = new DataView(this.header.buffer, this.header.byteOffset, this.header.byteLength);
    this.gathered = new Array<Chain | undefined>(rx.num).fill(undefined);
    this.txHeads = new Uint16Array(tx.num);
    this.txWritten = new Uint32Array(tx.num);
    this.rxHeads = new Uint16Array(rx.num);
    this.rxWritten = new Uint32Array(rx.num);
  }

  /** Moves up to `budget` frames; returns how many moved. Their used entries are published before it returns. */
  run(budget: number): number {
    checkBudget(budget);
    let moved = 0;
    let txPending = 0;
    let rxPending = 0;
    while (moved < budget) {
      const tx = this.waiting ?? this.tx.pop();
      if (!tx) break;
      if (tx.readableLength < this.headerSize) {
        this.stats.malformed++;
        this.txHeads[txPending] = tx.head;
        this.txWritten[txPending++] = 0;
        moved++;
        continue;
      }
      if (!this.gather(tx.readableLength)) {
        this.waiting = tx;
        break;
      }
      this.waiting = undefined;
      this.txHeads[txPending] = tx.head;
      this.txWritten[txPending++] = 0;
      rxPending = this.deliver(tx, tx.readableLength - this.headerSize, rxPending);
      moved++;
    }
    this.flush(txPending, rxPending);
    return moved;
  }

  /**
   * Pops RX chains until they can hold `need` bytes (the header and the frame): one chain, or under MRG_RXBUF as many as
   * it takes, up to a whole ring. False when RX runs dry first; the chains stay gathered.
   */
  private gather(need: number): boolean {
    while (this.gatheredCount === 0 || (this.mergeable && this.gatheredBytes < need && this.gatheredCount < this.gathered.length)) {
      const rx = this.rx.pop();
      if (!rx) return false;
      this.gathered[this.gatheredCount++] = rx;
      this.gatheredBytes += rx.writableLength;
    }
    return true;
  }

  /** Writes the header and the frame over the gathered chains, in order; returns the RX entries now pending. */
  private deliver(tx: Chain, frameLength: number, rxPending: number): number {
    const count = this.gatheredCount;
    if (this.mergeable && count !== this.headerBuffers) {
      NUM_BUFFERS.codec.encode(count, this.headerView, NUM_BUFFERS.offset);
      this.headerBuffers = count;
    }
    const headerLength = this.header.length;
    let header = 0;
    let frame = 0;
    // TX and RX buffers lie in the same DMA memory: the frame moves with copyWithin, no views.
    for (let i = 0; i < count; i++) {
      const rx = this.gathered[i]!;
      let wrote = 0;
      if (header < headerLength) {
        wrote = rx.writeBytes(this.header, 0, header, headerLength - header);
        header += wrote;
      }
      if (header === headerLength && frame < frameLength) {
        const n = tx.copyReadableTo(rx, this.headerSize + frame, wrote, frameLength - frame);
        frame += n;
        wrote += n;
      }
      this.rxHeads[rxPending] = rx.head;
      this.rxWritten[rxPending++] = wrote;
    }
    this.gatheredCount = 0;
    this.gatheredBytes = 0;
    if (header < headerLength || frame < frameLength) this.stats.truncated++;
    if (count > 1) this.stats.merged++;
    this.stats.frames++;
    this.stats.bytes += frame;
    return rxPending;
  }

  /** Pushes the gathered entries, TX before RX (a driver that sees a frame arrive finds it sent). */
  private flush(txPending: number, rxPending: number): void {
    if (txPending > 0) this.tx.pushBurst(this.txHeads, this.txWritten, txPending);
    if (rxPending > 0) this.rx.pushBurst(this.rxHeads, this.rxWritten, rxPending);
  }
}
