// The vhost-kernel transport: each request is the right ioctl with its argument encoded as the
// kernel reads it (checked by decoding what reached a recording backend with the generated
// codecs); on this machine, which has no /dev/vhost-net, opening it fails with ENOENT.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ENOENT } from '../../generated/errno.js';
import { vhost_ioctls, vhost_memory, vhost_vring_addr, vhost_vring_file, vhost_vring_state } from '../../generated/vhost.js';
import { VHOST_DEVICE_S_RUNNING, VHOST_DEVICE_S_STOPPED } from '../../generated/vfio_vhost.js';
import { u64 } from '../../runtime/codegen-v1.js';
import { SyscallError } from '../../runtime/errors.js';
import { LinuxBackend } from '../../runtime/linux/backend.js';
import { SimKernel } from '../../runtime/sim/kernel.js';
import { VhostKernelTransport } from '../../runtime/vhost/kernel-transport.js';

const v = suite('vhost-kernel transport');

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
  t.setVringAddr({ index: 1, flags: 0 as never, desc_user_addr: 0x7f0000001000n, avail_user_addr: 0x7f0000002000n, used_user_addr: 0x7f0000003000n, log_guest_addr: 0n });
  t.setVringBase(1, 5);
  assert.is(t.getVringBase(1), 77);
  t.setVringKick(1, 40);
  t.setVringCall(1, 41);
  t.setNetBackend(0, 50);
  t.setNetBackend(1, 50);
  t.setState(VHOST_DEVICE_S_RUNNING);
  t.setState(VHOST_DEVICE_S_STOPPED);
  const names = new Map(Object.values(io).map((x) => [x.request, x.name]));
  assert.equal(calls.map((c) => names.get(c.request)), [
    'VHOST_SET_OWNER', 'VHOST_GET_FEATURES', 'VHOST_SET_FEATURES', 'VHOST_SET_MEM_TABLE', 'VHOST_SET_VRING_NUM', 'VHOST_SET_VRING_ADDR',
    'VHOST_SET_VRING_BASE', 'VHOST_GET_VRING_BASE', 'VHOST_SET_VRING_KICK', 'VHOST_SET_VRING_CALL',
    'VHOST_NET_SET_BACKEND', 'VHOST_NET_SET_BACKEND', 'VHOST_NET_SET_BACKEND', 'VHOST_NET_SET_BACKEND',
  ]);
  const arg = (k: number) => calls[k].arg as Uint8Array;
  assert.is(u64.decode(new DataView(arg(2).buffer), 0), 0x100000000n);
  const mem = vhost_memory.fromBytes(arg(3));
  assert.equal([mem.nregions, mem.regions[0].memory_size, mem.regions[0].userspace_addr], [1, 0x200000n, 0x7f0000000000n]);
  assert.equal(vhost_vring_state.fromBytes(arg(4)), { index: 1, num: 256 });
  assert.is(vhost_vring_addr.fromBytes(arg(5)).used_user_addr, 0x7f0000003000n);
  assert.equal(vhost_vring_file.fromBytes(arg(8)), { index: 1, fd: 40 });
  assert.equal(vhost_vring_file.fromBytes(arg(11)), { index: 1, fd: 50 }, 'RUNNING attaches the tap');
  assert.equal(vhost_vring_file.fromBytes(arg(13)), { index: 1, fd: -1 }, 'STOPPED detaches it');
  // The sizes encoded in the numbers are those of the structs sent.
  assert.is(io.VHOST_SET_VRING_ADDR.size, vhost_vring_addr.size);
  assert.is(io.VHOST_SET_MEM_TABLE.size, vhost_memory.size);
});

v('on a machine without vhost-net, the real kernel says ENOENT', () => {
  try {
    new VhostKernelTransport(new LinuxBackend());
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof SyscallError);
    assert.is((e as SyscallError).errno, ENOENT);
  }
});

v.run();
