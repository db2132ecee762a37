// The virtio-net header the negotiated features imply, for both ends: the 12-byte one with
// num_buffers under VIRTIO_F_VERSION_1 or VIRTIO_NET_F_MRG_RXBUF, else the legacy 10-byte
// one; and whether a received frame may span several RX buffers (MRG_RXBUF alone says so:
// under VERSION_1 without it, num_buffers is 1).
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { VIRTIO_NET_F_MRG_RXBUF, virtio_net_hdr, virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';

const has = (features: bigint, bit: number) => ((features >> BigInt(bit)) & 1n) === 1n;

export interface NetHeader {
  /** Bytes before every frame, on TX and RX. */
  size: number;
  /** Whether the header has num_buffers (VERSION_1 or MRG_RXBUF). */
  withNumBuffers: boolean;
  /** Whether a received frame may take more than one RX buffer (MRG_RXBUF). */
  mergeable: boolean;
}

export function netHeaderOf(features: bigint): NetHeader {
  const mergeable = has(features, VIRTIO_NET_F_MRG_RXBUF);
  const withNumBuffers = mergeable || has(features, VIRTIO_F_VERSION_1);
  return { size: withNumBuffers ? virtio_net_hdr_mrg_rxbuf.size : virtio_net_hdr.size, withNumBuffers, mergeable };
}

/** Where num_buffers sits in the header, and its codec. */
export const NUM_BUFFERS = virtio_net_hdr_mrg_rxbuf.fields.num_buffers;
