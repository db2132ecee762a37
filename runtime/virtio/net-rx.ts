// The driver's side of virtio-net RX: used entries gathered into frames. Under
// VIRTIO_NET_F_MRG_RXBUF a frame spans as many buffers as the num_buffers of its first header
// says (virtio 1.x 5.1.6.4); without it each buffer is one frame, whatever num_buffers holds
// (Linux's vhost-net left it unset under VERSION_1 until a fix of 2025, and Linux's driver
// reads it only when buffers are mergeable). The device is not trusted: a first buffer shorter
// than the header, or a count of 0 or more than the ring holds, is a NetRxError, where a driver
// that believed it would wait for buffers that cannot come or take the next frame's as this one's.
import { netHeaderOf, NUM_BUFFERS } from './net-header.js';

export class NetRxError extends Error {
  override name = 'NetRxError';
  constructor(
    readonly fault: 'short-header' | 'bad-num-buffers',
    message: string,
  ) {
    super(message);
  }
}

export interface ReceivedFrame<T> {
  /** The virtio-net header, in the first buffer. */
  header: Uint8Array;
  /** The frame's bytes, buffer by buffer: views of the RX buffers, valid until they are posted again. */
  parts: Uint8Array[];
  /** The frame's length: the parts' bytes together. */
  length: number;
  /** The tokens of the buffers the frame took, in order: each can be posted again once the frame is read. */
  tokens: T[];
}

export class NetRxFrames<T> {
  readonly headerSize: number;
  readonly mergeable: boolean;
  private header: Uint8Array | undefined;
  private parts: Uint8Array[] = [];
  private tokens: T[] = [];
  private length = 0;
  private left = 0;

  /** For the features negotiated and an RX ring of `ringSize` (which bounds num_buffers). */
  constructor(
    features: bigint,
    readonly ringSize: number,
  ) {
    const h = netHeaderOf(features);
    this.headerSize = h.size;
    this.mergeable = h.mergeable;
  }

  /** Whether a frame has some of its buffers and waits for the rest. */
  get partial(): boolean {
    return this.left > 0;
  }

  /**
   * Takes one used RX entry: its token and the bytes the device wrote (the buffer up to the
   * used length). Answers the frame once its last buffer has come, else undefined.
   */
  take(token: T, bytes: Uint8Array): ReceivedFrame<T> | undefined {
    if (this.left === 0) {
      if (bytes.length < this.headerSize) throw new NetRxError('short-header', `a frame's first buffer holds ${bytes.length} bytes, less than the ${this.headerSize}-byte virtio-net header`);
      const count = this.mergeable ? (NUM_BUFFERS.codec.decode(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), NUM_BUFFERS.offset) as number) : 1;
      if (count < 1 || count > this.ringSize) throw new NetRxError('bad-num-buffers', `num_buffers ${count} on an RX ring of ${this.ringSize}`);
      this.left = count;
      this.header = bytes.subarray(0, this.headerSize);
      bytes = bytes.subarray(this.headerSize);
    }
    this.parts.push(bytes);
    this.tokens.push(token);
    this.length += bytes.length;
    if (--this.left > 0) return undefined;
    const frame = { header: this.header!, parts: this.parts, length: this.length, tokens: this.tokens };
    this.header = undefined;
    this.parts = [];
    this.tokens = [];
    this.length = 0;
    return frame;
  }
}

/** A received frame's bytes in one copy (the parts are views of buffers the driver will reuse). */
export function frameBytes(frame: ReceivedFrame<unknown>): Uint8Array {
  const out = new Uint8Array(frame.length);
  let at = 0;
  for (const part of frame.parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
