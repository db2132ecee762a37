// A virtio-net loopback, as vdpa_sim_net: each frame sent on the TX queue arrives on the RX
// queue, behind the virtio_net_hdr the negotiated features imply (with num_buffers under
// VIRTIO_F_VERSION_1 or VIRTIO_NET_F_MRG_RXBUF). A run handles at most `budget` frames so one
// queue cannot starve the others; a TX frame waits while RX has no buffer.
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { VIRTIO_NET_F_MRG_RXBUF, virtio_net_hdr, virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { checkBudget } from './burst-count.js';
import { Chain, SplitQueueDevice } from './device-queue.js';

const has = (features: bigint, bit: number) => ((features >> BigInt(bit)) & 1n) === 1n;

export interface NetStats {
  frames: number;
  bytes: number;
  /** Frames longer than the RX buffer that took them: delivered cut short. */
  truncated: number;
}

export class NetLoopback {
  readonly headerSize: number;
  readonly stats: NetStats = { frames: 0, bytes: 0, truncated: 0 };
  private waiting: Chain | undefined;
  private readonly header: Uint8Array;
  /**
   * Used entries gathered over a run and pushed as one burst a queue: each push publishes the
   * used index, a shared store the driver's thread must see, and two a frame cost more than
   * the frame's copy. A ring's size bounds what can be in flight, so it bounds these too.
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
    const mrg = has(features, VIRTIO_F_VERSION_1) || has(features, VIRTIO_NET_F_MRG_RXBUF);
    this.headerSize = mrg ? virtio_net_hdr_mrg_rxbuf.size : virtio_net_hdr.size;
    const h = { flags: 0, gso_type: 0, hdr_len: 0, gso_size: 0, csum_start: 0, csum_offset: 0 };
    this.header = mrg ? virtio_net_hdr_mrg_rxbuf.toBytes({ hdr: h, num_buffers: 1 }) : virtio_net_hdr.toBytes(h);
    this.txHeads = new Uint16Array(tx.num);
    this.txWritten = new Uint32Array(tx.num);
    this.rxHeads = new Uint16Array(rx.num);
    this.rxWritten = new Uint32Array(rx.num);
  }

  /** Moves up to `budget` frames; returns how many moved. Their used entries are published before it returns. */
  run(budget: number): number {
    checkBudget(budget);
    let moved = 0;
    let pending = 0;
    const room = Math.min(this.txHeads.length, this.rxHeads.length);
    while (moved < budget) {
      const tx = this.waiting ?? this.tx.pop();
      if (!tx) break;
      const rx = this.rx.pop();
      if (!rx) {
        this.waiting = tx;
        break;
      }
      this.waiting = undefined;
      // TX and RX buffers lie in the same DMA memory: the frame moves with copyWithin, no views.
      const frameLength = Math.max(0, tx.readableLength - this.headerSize);
      const wroteHeader = rx.writeBytes(this.header, 0);
      const wrote = tx.copyReadableTo(rx, this.headerSize, wroteHeader, frameLength);
      if (wroteHeader < this.header.length || wrote < frameLength) this.stats.truncated++;
      this.txHeads[pending] = tx.head;
      this.txWritten[pending] = 0;
      this.rxHeads[pending] = rx.head;
      this.rxWritten[pending] = wroteHeader + wrote;
      if (++pending === room) {
        this.flush(pending);
        pending = 0;
      }
      this.stats.frames++;
      this.stats.bytes += wrote;
      moved++;
    }
    this.flush(pending);
    return moved;
  }

  /** Pushes the gathered entries, TX before RX (a driver that sees a frame arrive finds it sent). */
  private flush(pending: number): void {
    if (pending === 0) return;
    this.tx.pushBurst(this.txHeads, this.txWritten, pending);
    this.rx.pushBurst(this.rxHeads, this.rxWritten, pending);
  }
}
