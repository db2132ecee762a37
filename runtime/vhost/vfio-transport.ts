// vhost requests as vhost_vfio_op messages on the config region of a vfio-vhost device, as the
// RFC defines them: the driver writes HDR_SIZE + size bytes at offset 0; a request that returns
// data is written with NEED_REPLY and size 0, and its reply is read back from offset 0, where
// the driver checks that the reply answers the request it wrote.
import { Codec, u64 } from '../codegen-v1.js';
import {
  VHOST_GET_FEATURES, VHOST_GET_VRING_BASE, VHOST_RESET_OWNER, VHOST_SET_FEATURES, VHOST_SET_LOG_BASE, VHOST_SET_OWNER,
  VHOST_SET_VRING_ADDR, VHOST_SET_VRING_BASE, VHOST_SET_VRING_NUM, vhost_vring_addr, vhost_vring_state,
} from '../../generated/vhost.js';
import { VHOST_DEVICE_SET_STATE, VHOST_VFIO, VHOST_VFIO_NEED_REPLY, VHOST_VFIO_OP_HDR_SIZE, vhost_vfio_op } from '../../generated/vfio_vhost.js';
import { Device, RegionInfo } from '../vfio/device.js';
import { VhostProtocolError } from '../errors.js';
import { VhostTransport } from './transport.js';

type Payload = { u64: bigint } | { state: { index: number; num: number } } | { addr: vhost_vring_addr };

function payloadSize(p: Payload | undefined): number {
  if (!p) return 0;
  const codec: Codec<unknown> = 'u64' in p ? u64 : 'state' in p ? vhost_vring_state : vhost_vring_addr;
  return codec.size;
}

export class VfioVhostTransport implements VhostTransport {
  constructor(
    readonly device: Device,
    readonly config: RegionInfo,
  ) {}

  private send(request: number, payload?: Payload, needReply = false): void {
    const size = payloadSize(payload);
    const op = vhost_vfio_op.toBytes({
      request: BigInt(request),
      flags: needReply ? VHOST_VFIO_NEED_REPLY : VHOST_VFIO.none,
      size,
      payload: (payload ?? {}) as vhost_vfio_op['payload'],
    });
    const message = op.subarray(0, VHOST_VFIO_OP_HDR_SIZE + size);
    const written = this.device.write(this.config, 0n, message);
    if (written !== message.length) throw new VhostProtocolError(`request ${request}: wrote ${written} of ${message.length} bytes`);
  }

  /** Writes a request that wants a reply, then reads the reply and checks it answers it. */
  private ask(request: number, reply: Codec<unknown>, payload?: Payload): vhost_vfio_op {
    this.send(request, payload, true);
    const buf = new Uint8Array(vhost_vfio_op.size);
    const n = this.device.read(this.config, 0n, buf.subarray(0, VHOST_VFIO_OP_HDR_SIZE + reply.size));
    if (n === 0) throw new VhostProtocolError(`request ${request}: the device has no reply`);
    const op = vhost_vfio_op.fromBytes(buf);
    if (op.request !== BigInt(request)) throw new VhostProtocolError(`request ${request}: the reply answers request ${op.request}`);
    if (op.size !== reply.size || n !== VHOST_VFIO_OP_HDR_SIZE + reply.size) throw new VhostProtocolError(`request ${request}: reply of ${op.size} payload bytes (read ${n}), expected ${reply.size}`);
    return op;
  }

  setOwner(): void {
    this.send(VHOST_SET_OWNER);
  }
  resetOwner(): void {
    this.send(VHOST_RESET_OWNER);
  }
  getFeatures(): bigint {
    return this.ask(VHOST_GET_FEATURES, u64).payload.u64!;
  }
  setFeatures(features: bigint): void {
    this.send(VHOST_SET_FEATURES, { u64: features });
  }
  setLogBase(address: bigint): void {
    this.send(VHOST_SET_LOG_BASE, { u64: address });
  }
  setVringNum(index: number, num: number): void {
    this.send(VHOST_SET_VRING_NUM, { state: { index, num } });
  }
  setVringAddr(addr: vhost_vring_addr): void {
    this.send(VHOST_SET_VRING_ADDR, { addr });
  }
  setVringBase(index: number, base: number): void {
    this.send(VHOST_SET_VRING_BASE, { state: { index, num: base } });
  }
  /** GET_FEATURES asks with size 0, as the RFC has it; GET_VRING_BASE must say which ring, so it carries the state with the index. */
  getVringBase(index: number): number {
    const reply = this.ask(VHOST_GET_VRING_BASE, vhost_vring_state, { state: { index, num: 0 } }).payload.state!;
    if (reply.index !== index) throw new VhostProtocolError(`GET_VRING_BASE for ring ${index} answered for ring ${reply.index}`);
    return reply.num;
  }
  setState(state: number): void {
    this.send(VHOST_DEVICE_SET_STATE, { u64: BigInt(state) });
  }
}
