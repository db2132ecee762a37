// A virtio-net loopback, as vdpa_sim_net: each frame sent on the TX queue arrives on the RX
// queue, behind the virtio_net_hdr the negotiated features imply (with num_buffers under
// VIRTIO_F_VERSION_1 or VIRTIO_NET_F_MRG_RXBUF). A run handles at most `budget` frames so one
// queue cannot starve the others; a TX frame waits while RX has no buffer.
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { VIRTIO_NET_F_MRG_RXBUF, virtio_net_hdr, virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
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

  constructor(
    readonly rx: SplitQueueDevice,
    readonly tx: SplitQueueDevice,
    features: bigint,
  ) {
    const mrg = has(features, VIRTIO_F_VERSION_1) || has(features, VIRTIO_NET_F_MRG_RXBUF);
    this.headerSize = mrg ? virtio_net_hdr_mrg_rxbuf.size : virtio_net_hdr.size;
    const h = { flags: 0, gso_type: 0, hdr_len: 0, gso_size: 0, csum_start: 0, csum_offset: 0 };
    this.header = mrg ? virtio_net_hdr_mrg_rxbuf.toBytes({ hdr: h, num_buffers: 1 }) : virtio_net_hdr.toBytes(h);
  }

  /** Moves up to `budget` frames; returns how many moved. */
  run(budget: number): number {
    let moved = 0;
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
      this.tx.push(tx.head, 0);
      this.rx.push(rx.head, wroteHeader + wrote);
      this.stats.frames++;
      this.stats.bytes += wrote;
      moved++;
    }
    return moved;
  }
}
