// Mergeable RX buffers (VIRTIO_NET_F_MRG_RXBUF) on real devices, against NetLoopback's rule: a
// frame longer than one RX buffer arrives over several, num_buffers in the first one's header
// counting them and every buffer but the last filled whole (virtio 1.x 5.1.6.4). The frames a
// device delivered are then sent through NetLoopback over buffers of the same size, which must
// take the same buffers with the same used lengths. Here the kernel's vhost-net; QEMU's
// virtio-net uses the same helpers in inside.ts.
import { createSocket } from 'node:dgram';
import { ethhdr, iphdr, udphdr } from '../../generated/inet.js';
import { VHOST_NET_F_VIRTIO_NET_HDR } from '../../generated/vhost.js';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { VIRTIO_NET_F_MRG_RXBUF, virtio_net_hdr_mrg_rxbuf } from '../../generated/virtio_net.js';
import { u64 } from '../../runtime/codegen-v1.js';
import { LinuxBackend } from '../../runtime/linux/backend.js';
import { featureBit } from '../../runtime/vhost/features.js';
import { NetLoopback } from '../../runtime/virtio/net-loopback.js';
import { frameBytes, NetRxFrames } from '../../runtime/virtio/net-rx.js';
import { DmaArena } from '../helpers/rings.js';
import { expect, WAIT_MS } from './checks.js';
import { ipv4, mac, parseUdpFrame } from '../helpers/frames.js';
import { openVhostTap, RX } from './vhost-tap.js';

const HDR = virtio_net_hdr_mrg_rxbuf.size;
/** Smaller than most frames here, as Linux's RX buffers are smaller than a GSO frame. */
const BUF_SIZE = 256;
const NUM = 256;
const DATAGRAMS = 100;
const OUR_PORT = 4790;
/**
 * The first datagrams end at, one short of and one past the end of a buffer, for frames of one
 * to five buffers: where "filled whole but the last" and the count of buffers are decided.
 */
const EDGES = [1, 2, 3, 4, 5].flatMap((k) => [-1, 0, 1].map((d) => k * BUF_SIZE - HDR - (ethhdr.size + iphdr.size + udphdr.size) + d));

const payload = (n: number) => Uint8Array.from({ length: n < EDGES.length ? EDGES[n] : 1 + ((n * 131) % 1400) }, (_, i) => (n * 17 + i) & 0xff);

/** A frame as a device delivered it: the used length of each buffer it took, and its bytes after the header. */
export interface Delivered {
  lengths: number[];
  frame: Uint8Array;
}

/**
 * Gathers frames from used RX entries with NetRxFrames (the first entry's header says how many
 * entries the frame takes); each frame is copied out and its buffers handed to `repost`.
 */
export function frameCollector(features: bigint, num: number, buffer: (token: number) => Uint8Array, repost: (token: number) => void) {
  const frames = new NetRxFrames<number>(features, num);
  return (token: number, length: number): Delivered | undefined => {
    const f = frames.take(token, buffer(token).subarray(0, length));
    if (!f) return undefined;
    const done = { lengths: f.parts.map((p, k) => p.length + (k === 0 ? frames.headerSize : 0)), frame: frameBytes(f) };
    f.tokens.forEach(repost);
    return done;
  };
}

/**
 * Sends the frames a device delivered through NetLoopback, one at a time, over a ring of `num`
 * RX buffers of `bufSize`; answers each frame taken otherwise than the device took it.
 */
export function loopbackDiffers(features: bigint, num: number, bufSize: number, delivered: Delivered[], device: string): string[] {
  const arena = new DmaArena(2 * num * bufSize + (4 << 20));
  const lq = arena.queue<number>(num);
  const tq = arena.queue<number>(num);
  const net = new NetLoopback(lq.device, tq.device, features);
  const bufs = Array.from({ length: num }, () => arena.alloc(bufSize, 64));
  const repost = (token: number) => lq.driver.add([], [{ iova: bufs[token].iova, length: bufSize }], token);
  for (let k = 0; k < num; k++) repost(k);
  lq.driver.publish();
  const ours = frameCollector(features, num, (token) => bufs[token].bytes, repost);
  const txBuf = arena.alloc(net.headerSize + Math.max(...delivered.map((d) => d.frame.length)), 64);
  const differ: string[] = [];
  delivered.forEach((d, n) => {
    txBuf.bytes.set(d.frame, net.headerSize);
    tq.driver.add([{ iova: txBuf.iova, length: net.headerSize + d.frame.length }], [], n);
    tq.driver.publish();
    net.run(1);
    tq.driver.getUsed();
    let got: Delivered | undefined;
    for (let u = lq.driver.getUsed(); u; u = lq.driver.getUsed()) got = ours(u.token!, u.length) ?? got;
    lq.driver.publish();
    if (!got || got.lengths.join() !== d.lengths.join() || got.frame.some((b, i) => b !== d.frame[i])) differ.push(`frame ${n}: ${device} ${d.lengths.join(' ')}, NetLoopback ${got?.lengths.join(' ') ?? 'nothing'}`);
  });
  return differ;
}

export async function mergeableRx(linux: LinuxBackend, signal: (eventfd: number) => void): Promise<string> {
  const features = featureBit(VIRTIO_F_VERSION_1) | featureBit(VHOST_NET_F_VIRTIO_NET_HDR) | featureBit(VIRTIO_NET_F_MRG_RXBUF);
  const v = openVhostTap(linux, { features, num: NUM, bufSize: BUF_SIZE, subnet: '10.0.1', signal });
  const [rx] = v.drivers;
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => socket.once('error', reject).bind(0, v.kernelIp, () => resolve()));
    for (let n = 0; n < DATAGRAMS; n++) socket.send(payload(n), OUR_PORT, v.ourIp);
    const delivered: Delivered[] = [];
    const collect = frameCollector(
      features,
      NUM,
      (token) => v.rxBufs[token].bytes,
      (token) => rx.add([], [{ iova: v.rxBufs[token].iova, length: BUF_SIZE }], token),
    );
    let matched = 0;
    const counter = new Uint8Array(u64.size);
    const deadline = Date.now() + WAIT_MS;
    while (matched < DATAGRAMS && Date.now() < deadline) {
      if (!(await linux.waitReadable(v.calls[RX], deadline - Date.now()))) break;
      linux.read(v.calls[RX], counter);
      for (let u = rx.getUsed(); u; u = rx.getUsed()) {
        const d = collect(u.token!, u.length);
        if (!d) continue;
        delivered.push(d);
        expect(`frame ${delivered.length - 1}: all but the last buffer full`, d.lengths.slice(0, -1).every((l) => l === BUF_SIZE), `used lengths ${d.lengths.join(' ')}`);
        const udp = parseUdpFrame(d.frame);
        if (udp && udp.dport === OUR_PORT && udp.dst === ipv4(v.ourIp) && udp.dstMac.join() === mac(v.ourMac).join()) {
          const want = payload(matched);
          expect(`datagram ${matched}`, udp.payload.length === want.length && udp.payload.every((b, i) => b === want[i]), `${udp.payload.length} bytes differ from the ${want.length} sent`);
          matched++;
        }
      }
      rx.publish();
      v.kick(RX);
    }
    expect('RX', matched === DATAGRAMS, `${matched} of ${DATAGRAMS} datagrams arrived`);
    const spread = delivered.filter((d) => d.lengths.length > 1);
    expect('spread', spread.length > 0, 'no frame took more than one buffer');

    const differ = loopbackDiffers(features, NUM, BUF_SIZE, delivered, 'vhost-net');
    expect('NetLoopback against vhost-net', differ.length === 0, differ.slice(0, 3).join('; '));
    const buffers = delivered.reduce((n, d) => n + d.lengths.length, 0);
    return `${DATAGRAMS} datagrams of 1-1400 bytes (${EDGES.length} ending at a buffer's end or one byte either side) over RX buffers of ${BUF_SIZE}: ${delivered.length} frames in ${buffers} buffers, ${spread.length} of them spread over up to ${Math.max(...spread.map((d) => d.lengths.length))}, num_buffers counting them and all but the last full; NetLoopback took the same buffers with the same used lengths for every frame`;
  } finally {
    socket.close();
    v.close();
  }
}
