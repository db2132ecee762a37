// The vhost-kernel transport: each request is the right ioctl with its argument encoded as the
// kernel reads it (checked by decoding what reached a recording backend with the generated
// codecs); on this machine's kernel, what opening /dev/vhost-net answers (the QEMU guest of
// npm run test:kernel drives the real device further).
import { existsSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EACCES, ENOENT } from '../../generated/errno.js';
import { VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { VHOST_VRING, vhost_ioctls, vhost_memory, vhost_vring_addr, vhost_vring_file, vhost_vring_state } from '../../generated/vhost.js';
import { VHOST_DEVICE_S_RUNNING, VHOST_DEVICE_S_STOPPED } from '../../generated/vfio_vhost.js';
import { u16, u16be, u64 } from '../../runtime/codegen-v1.js';
import { EPERM } from '../../generated/errno.js';
import { ethhdr, iphdr, udphdr } from '../../generated/inet.js';
import { IFF_NO_PI, IFF_TAP, ifreq, TUNSETIFF } from '../../generated/tun.js';
import { IoctlError } from '../../runtime/errors.js';
import { openTap } from '../../runtime/linux/tap.js';
import { refuse } from '../../runtime/sim/uaccess.js';
import { buildUdpFrame, internetChecksum, ipv4, mac, parseUdpFrame } from '../helpers/frames.js';
import { SyscallError } from '../../runtime/errors.js';
import { errnoOf } from '../helpers/errno.js';
import { LinuxBackend } from '../../runtime/linux/backend.js';
import { SimKernel } from '../../runtime/sim/kernel.js';
import { VhostKernelTransport } from '../../runtime/vhost/kernel-transport.js';

const v = suite('vhost-kernel transport');
const VHOST_NET = '/dev/vhost-net';

/** A backend that records ioctls and answers GET requests. */
function recorder() {
  const calls: { request: number; arg?: Uint8Array | number }[] = [];
  const backend = Object.assign(new SimKernel(), {
    open: () => 100,
    ioctl: (_fd: number, request: number, arg?: Uint8Array | number) => {
      calls.push({ request, arg: arg instanceof Uint8Array ? arg.slice() : arg });
      if (request === vhost_ioctls.VHOST_GET_FEATURES.request && arg instanceof Uint8Array) u64.encode(0x1234n, new DataView(arg.buffer, arg.byteOffset), 0);
      if (request === vhost_ioctls.VHOST_GET_VRING_BASE.request && arg instanceof Uint8Array) new DataView(arg.buffer, arg.byteOffset).setUint32(4, 77, true);
      return 0;
    },
  });
  return { backend, calls };
}

v('each request is its ioctl, with the argument the kernel expects', () => {
  const { backend, calls } = recorder();
  const t = new VhostKernelTransport(backend);
  const io = vhost_ioctls;
  t.setOwner();
  assert.is(t.getFeatures(), 0x1234n);
  t.setFeatures(0x100000000n);
  t.setMemTable([{ guestPhysAddr: 0n, size: 0x200000n, userspaceAddr: 0x7f0000000000n }]);
  t.setVringNum(1, 256);
  t.setVringAddr({ index: 1, flags: VHOST_VRING.none, desc_user_addr: 0x7f0000001000n, avail_user_addr: 0x7f0000002000n, used_user_addr: 0x7f0000003000n, log_guest_addr: 0n });
  t.setVringBase(1, 5);
  assert.is(t.getVringBase(1), 77);
  t.setVringKick(1, 40);
  t.setVringCall(1, 41);
  t.setVringErr(1, 42);
  t.setNetBackend(0, 50);
  t.setNetBackend(1, 50);
  t.setState(VHOST_DEVICE_S_RUNNING);
  t.setState(VHOST_DEVICE_S_STOPPED);
  const names = new Map(Object.values(io).map((x) => [x.request, x.name]));
  assert.equal(calls.map((c) => names.get(c.request)), [
    'VHOST_SET_OWNER', 'VHOST_GET_FEATURES', 'VHOST_SET_FEATURES', 'VHOST_SET_MEM_TABLE', 'VHOST_SET_VRING_NUM', 'VHOST_SET_VRING_ADDR',
    'VHOST_SET_VRING_BASE', 'VHOST_GET_VRING_BASE', 'VHOST_SET_VRING_KICK', 'VHOST_SET_VRING_CALL',
    'VHOST_SET_VRING_ERR', 'VHOST_NET_SET_BACKEND', 'VHOST_NET_SET_BACKEND', 'VHOST_NET_SET_BACKEND', 'VHOST_NET_SET_BACKEND',
  ]);
  const arg = (k: number) => calls[k].arg as Uint8Array;
  assert.is(u64.decode(new DataView(arg(2).buffer), 0), 0x100000000n);
  const mem = vhost_memory.fromBytes(arg(3));
  assert.equal([mem.nregions, mem.regions[0].memory_size, mem.regions[0].userspace_addr], [1, 0x200000n, 0x7f0000000000n]);
  assert.equal(vhost_vring_state.fromBytes(arg(4)), { index: 1, num: 256 });
  assert.is(vhost_vring_addr.fromBytes(arg(5)).used_user_addr, 0x7f0000003000n);
  assert.equal(vhost_vring_file.fromBytes(arg(8)), { index: 1, fd: 40 });
  assert.equal(vhost_vring_file.fromBytes(arg(10)), { index: 1, fd: 42 }, 'the error eventfd');
  assert.equal(vhost_vring_file.fromBytes(arg(12)), { index: 1, fd: 50 }, 'RUNNING attaches the tap');
  assert.equal(vhost_vring_file.fromBytes(arg(14)), { index: 1, fd: -1 }, 'STOPPED detaches it');
  // The sizes encoded in the numbers are those of the structs sent.
  assert.is(io.VHOST_SET_VRING_ADDR.size, vhost_vring_addr.size);
  assert.is(io.VHOST_SET_MEM_TABLE.size, vhost_memory.size);
});

v('as a DmaMapper, the transport sends the whole memory table again with each region', () => {
  const { backend, calls } = recorder();
  const t = new VhostKernelTransport(backend);
  t.mapDma(0x7f0000000000n, 0x100000000n, 0x10000n);
  t.mapDma(0x7f0000100000n, 0x200000000n, 0x2000n);
  const tables = calls.filter((c) => c.request === vhost_ioctls.VHOST_SET_MEM_TABLE.request).map((c) => vhost_memory.fromBytes(c.arg as Uint8Array));
  assert.equal(tables.map((m) => m.nregions), [1, 2]);
  assert.equal(tables[1].regions.map((r) => [r.guest_phys_addr, r.memory_size, r.userspace_addr]), [
    [0x100000000n, 0x10000n, 0x7f0000000000n],
    [0x200000000n, 0x2000n, 0x7f0000100000n],
  ]);
});

v('a tap: TUNSETIFF with a struct ifreq (not the int the header declares), the kernel\'s name read back', () => {
  const { backend, calls } = recorder();
  const closed: number[] = [];
  Object.assign(backend, {
    ioctl: (_fd: number, request: number, arg?: Uint8Array | number) => {
      calls.push({ request, arg: arg instanceof Uint8Array ? arg.slice() : arg });
      // The kernel fills in the name it chose for a pattern.
      if (arg instanceof Uint8Array) arg.set(new TextEncoder().encode('uapigen7\0'), ifreq.offsetOf('ifr_ifrn'));
      return 0;
    },
    close: (fd: number) => closed.push(fd),
  });
  const tap = openTap(backend, 'uapigen%d');
  assert.equal(tap, { fd: 100, name: 'uapigen7' });
  assert.is(calls[0].request, TUNSETIFF);
  const req = ifreq.fromBytes(calls[0].arg as Uint8Array);
  assert.is(new TextDecoder().decode(req.ifr_ifrn.ifrn_name!.subarray(0, 9)), 'uapigen%d');
  assert.is(req.ifr_ifru.ifru_flags, IFF_TAP | IFF_NO_PI);
  assert.throws(() => openTap(backend, 'a-name-far-too-long'), /at most 15 fit/);
  Object.assign(backend, { ioctl: () => refuse('ioctl', EPERM, 'no CAP_NET_ADMIN') });
  assert.throws(() => openTap(backend, 'tap0'), (e: unknown) => e instanceof IoctlError && e.ioctl === 'TUNSETIFF' && e.code === 'EPERM');
  assert.equal(closed, [100], 'the tun fd is closed when TUNSETIFF is refused');
});

v('the kernel test\'s frames: RFC 1071 checksum bytes, and a frame built parses back', () => {
  // The IPv4 header of the usual worked example: its checksum is b8 61 on the wire.
  const header = Uint8Array.from(Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex'));
  const sum = internetChecksum(header);
  u16.encode(sum, new DataView(header.buffer), iphdr.offsetOf('check'));
  assert.equal([...header.subarray(10, 12)], [0xb8, 0x61]);
  assert.is(internetChecksum(header), 0, 'a header with its checksum sums to zero');
  const f = { dstMac: mac('02:00:00:00:00:01'), srcMac: mac('02:00:00:00:00:02'), src: ipv4('10.0.0.2'), dst: ipv4('10.0.0.1'), sport: 4789, dport: 5000, payload: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff) };
  const frame = buildUdpFrame(f);
  assert.equal(parseUdpFrame(frame), f);
  const payloadAt = ethhdr.size + iphdr.size + udphdr.size;
  frame[payloadAt + 7] ^= 1;
  assert.is(parseUdpFrame(frame), undefined, 'a payload its UDP checksum no longer holds is not taken');
  frame[payloadAt + 7] ^= 1;
  frame[ethhdr.size + iphdr.offsetOf('ttl')]--;
  assert.is(parseUdpFrame(frame), undefined, 'a header whose checksum no longer holds is not taken');
});

v("the kernel test's frames: the UDP checksum of a worked example, and 0 sent as all ones", () => {
  // 10.0.0.2:4789 to 10.0.0.1:5000, payload "hi": the sum over the pseudo-header (0a00 0002
  // 0a00 0001 0011 000a) and the segment (12b5 1388 000a 0000 6869) is 0xa2ce by hand, so the
  // field holds its complement, 5d 31 on the wire.
  const hi = buildUdpFrame({ dstMac: mac('02:00:00:00:00:01'), srcMac: mac('02:00:00:00:00:02'), src: ipv4('10.0.0.2'), dst: ipv4('10.0.0.1'), sport: 4789, dport: 5000, payload: Uint8Array.of(0x68, 0x69) });
  const checkAt = ethhdr.size + iphdr.size + udphdr.offsetOf('check');
  assert.equal([...hi.subarray(checkAt, checkAt + 2)], [0x5d, 0x31]);
  // A payload whose words bring the sum to 0xffff: its complement 0 would mean "no checksum".
  const zeroSum = (payload: Uint8Array) => buildUdpFrame({ dstMac: mac('02:00:00:00:00:01'), srcMac: mac('02:00:00:00:00:02'), src: ipv4('10.0.0.2'), dst: ipv4('10.0.0.1'), sport: 4789, dport: 5000, payload });
  const probe = zeroSum(Uint8Array.of(0, 0));
  const rest = 0xffff - (~u16be.decode(new DataView(probe.buffer), checkAt) & 0xffff);
  const ones = zeroSum(Uint8Array.of(rest >> 8, rest & 0xff));
  assert.equal([...ones.subarray(checkAt, checkAt + 2)], [0xff, 0xff], 'a sum of 0 is sent as ffff');
  assert.ok(parseUdpFrame(ones), 'and is taken');
});

v('the real kernel answers for /dev/vhost-net: ENOENT where it is missing; where it is there, an owner gets VERSION_1 among the features, or the open is refused by permission', () => {
  const linux = new LinuxBackend();
  if (!existsSync(VHOST_NET)) {
    assert.is(errnoOf(() => new VhostKernelTransport(linux)), ENOENT);
    return;
  }
  // A workstation with the vhost_net module loaded: the device is there, usually for root and
  // the kvm group only.
  let transport: VhostKernelTransport;
  try {
    transport = new VhostKernelTransport(linux);
  } catch (e) {
    assert.ok(e instanceof SyscallError, String(e));
    assert.ok([EACCES, EPERM].includes(e.errno), `opening ${VHOST_NET}: ${e.message}`);
    return;
  }
  try {
    transport.setOwner();
    assert.is((transport.getFeatures() >> BigInt(VIRTIO_F_VERSION_1)) & 1n, 1n, 'vhost-net offers VIRTIO_F_VERSION_1');
  } finally {
    transport.close();
  }
});

v.run();
