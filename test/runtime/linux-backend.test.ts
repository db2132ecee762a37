// The Linux backend against this machine's real kernel, for what it offers without VFIO:
// files, mmap, eventfds, and ioctls refused with the kernel's own errno.
import { suite } from 'uvu';
import { errnoOf } from '../helpers/errno.js';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../../generator/scratch.js';
import { EAGAIN, ENOENT, ENOTTY } from '../../generated/errno.js';
import { u64 } from '../../runtime/codegen-v1.js';
import { IoctlError, SyscallError } from '../../runtime/errors.js';
import { LinuxBackend, LinuxBackendUnavailable } from '../../runtime/linux/backend.js';
import { Container } from '../../runtime/vfio/container.js';

const l = suite('Linux backend (koffi, real kernel)');
const linux = new LinuxBackend();
const file = () => {
  const p = join(scratchDir('linux'), 'data');
  writeFileSync(p, new Uint8Array(8192));
  return p;
};

l('pwrite and pread reach the file; mmap shares its pages', () => {
  const path = file();
  const fd = linux.open(path);
  assert.is(linux.pwrite(fd, Uint8Array.of(1, 2, 3), 4096n), 3);
  const back = new Uint8Array(3);
  assert.is(linux.pread(fd, back, 4096n), 3);
  assert.equal([...back], [1, 2, 3]);
  const page = linux.mmap(fd, 0n, 4096);
  page[10] = 42;
  const seen = new Uint8Array(1);
  linux.pread(fd, seen, 10n);
  assert.is(seen[0], 42, 'a write through the mapping is in the file');
  linux.close(fd);
  assert.is(readFileSync(path)[4097], 2);
});

l('eventfd: writes add, a read takes the sum, an empty one is EAGAIN', () => {
  const fd = linux.eventfd();
  const b = new Uint8Array(u64.size);
  const put = (v: bigint) => {
    u64.encode(v, new DataView(b.buffer), 0);
    linux.write(fd, b);
  };
  put(3n);
  put(4n);
  assert.is(linux.read(fd, b), u64.size);
  assert.is(u64.decode(new DataView(b.buffer), 0), 7n);
  assert.is(errnoOf(() => linux.read(fd, b)), EAGAIN);
  linux.close(fd);
});

l('waitReadable: poll on a worker thread, false on timeout, true once the eventfd is written, the event loop free meanwhile', async () => {
  const fd = linux.eventfd();
  try {
    assert.is(await linux.waitReadable(fd, 20), false);
    const one = new Uint8Array(u64.size);
    u64.encode(1n, new DataView(one.buffer), 0);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    setTimeout(() => linux.write(fd, one), 50);
    const ready = await linux.waitReadable(fd, 5000);
    clearInterval(ticker);
    assert.is(ready, true);
    assert.ok(ticks > 0, 'timers ran while poll waited');
  } finally {
    linux.close(fd);
  }
  // poll does not fail on a closed fd; it flags it, and the backend says EBADF.
  await linux.waitReadable(fd, 1000).then(
    () => assert.unreachable('a closed fd was waited on'),
    (e) => assert.ok(e instanceof SyscallError && e.code === 'EBADF', String(e)),
  );
});

l('errors come back typed with the kernel\'s errno: no such file, ioctl on a file', () => {
  assert.is(errnoOf(() => linux.open('/no/such/device')), ENOENT);
  try {
    new Container(linux, file());
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof IoctlError);
    assert.is((e as IoctlError).ioctl, 'VFIO_GET_API_VERSION');
    assert.is((e as IoctlError).errno, ENOTTY);
  }
});

l('DMA memory is anonymous shared memory at a real address', () => {
  const a = linux.allocDma(8192);
  const b = linux.allocDma(4096);
  assert.is(a.bytes.length, 8192);
  a.bytes[8191] = 7;
  assert.is(a.bytes[8191], 7);
  assert.ok(a.vaddr > 0n && b.vaddr > 0n && a.vaddr !== b.vaddr);
  // Rounded up to whole pages, as an IOMMU maps them (MAP_DMA refuses a partial page with EINVAL).
  const c = linux.allocDma(100);
  assert.is(c.bytes.length, 4096);
  assert.is(c.vaddr % 4096n, 0n);
});

l('without koffi it says why it is unavailable', () => {
  assert.throws(
    () =>
      new LinuxBackend(() => {
        throw new Error("Cannot find module 'koffi'");
      }),
    (e: unknown) => e instanceof LinuxBackendUnavailable && /optional package koffi/.test((e as Error).message),
  );
});

l.run();
