// What the device records of a popped chain (runtime/virtio/chain.ts): the buffers in order,
// readable then writable, however long the chain (direct and indirect alike, past the pooled
// arrays' first sizes), a head's record rewritten whole by its next pop, and offsets and lengths
// past 2 GiB kept exact.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DmaArena } from '../helpers/rings.js';
import { Chain } from '../../runtime/virtio/chain.js';
import { DESC } from '../../runtime/virtio/split-layout.js';
import type { BufferRef } from '../../runtime/virtio/driver-queue.js';

const c = suite('chain records');

function rig(num: number) {
  const arena = new DmaArena(1 << 20);
  const q = arena.queue<string>(num);
  const data = arena.alloc(64 * 1024);
  /** `count` buffers, buffer k of `length(k)` bytes filled with k + `mark`, laid end to end from `at`. */
  const buffers = (count: number, length: (k: number) => number, mark: number, at = 0): BufferRef[] => {
    let next = Number(data.iova) + at;
    return Array.from({ length: count }, (_, k) => {
      const b = { iova: next, length: length(k) };
      arena.mem.fill(k + mark, next, next + b.length);
      next += b.length;
      return b;
    });
  };
  return { arena, ...q, buffers };
}

const sum = (bs: BufferRef[]) => bs.reduce((n, b) => n + b.length, 0);

c('a chain of 12 buffers comes out whole and in order, and copies read across all of them', () => {
  const r = rig(16);
  const readable = r.buffers(7, (k) => k + 1, 10);
  const writable = r.buffers(5, (k) => 3 + k, 0, 4096);
  const head = r.driver.add(readable, writable, 'long');
  r.driver.publish();
  const chain = r.device.pop()!;
  assert.is(chain.head, head);
  assert.is(chain.count, 12);
  assert.is(chain.writableFrom, 7);
  assert.is(chain.readableLength, sum(readable));
  assert.is(chain.writableLength, sum(writable));
  assert.equal(chain.readable.map((b) => [b.length, b[0]]), readable.map((b, k) => [b.length, k + 10]));
  assert.equal(chain.writable.map((b) => b.length), writable.map((b) => b.length));
  // Every readable byte, in order, from a skip that lands inside the fifth buffer.
  const all = new Uint8Array(sum(readable));
  assert.is(chain.readInto(0, all), all.length);
  const skip = 1 + 2 + 3 + 4 + 2;
  const out = new Uint8Array(all.length - skip);
  assert.is(chain.readInto(skip, out), out.length);
  assert.equal(out, all.subarray(skip));
  // Written across all the writable buffers, then read back through the views.
  const bytes = Uint8Array.from({ length: sum(writable) }, (_, k) => 200 + k);
  assert.is(chain.writeBytes(bytes, 0), bytes.length);
  assert.equal(Uint8Array.from(chain.writable.flatMap((b) => [...b])), bytes);
  // A range of a bigger array, given as numbers (a disk's sectors): from a skip inside the
  // third readable buffer into bytes 5 on of `store`, and back out of `store` from byte 5 into
  // the writable buffers from byte 2 on. Bytes outside the range stay as they were.
  const store = new Uint8Array(all.length + 10).fill(0xee);
  assert.is(chain.readInto(4, store, 5, 20), 20);
  assert.equal(store.subarray(5, 25), all.subarray(4, 24));
  assert.ok(store.subarray(0, 5).every((x) => x === 0xee) && store.subarray(25).every((x) => x === 0xee), 'nothing outside the range written');
  assert.is(chain.writeBytes(store, 2, 5, 20), 20);
  assert.equal(Uint8Array.from(chain.writable.flatMap((b) => [...b])).subarray(2, 22), all.subarray(4, 24));
  // A range longer than the chain's bytes copies what there is.
  assert.is(chain.readInto(all.length - 3, store, 0, 10), 3);
});

c('an indirect chain of 40 buffers comes out whole, in one ring slot', () => {
  // A ring of 64: no chain may be longer than its ring, an indirect one neither (virtio 2.7.5.3.1).
  const r = rig(64);
  const readable = r.buffers(25, () => 8, 1);
  const writable = r.buffers(15, () => 16, 0, 8192);
  const table = r.arena.alloc(40 * DESC.size, 16);
  r.driver.add(readable, writable, 'indirect', table);
  assert.is(r.driver.free, 63);
  r.driver.publish();
  const chain = r.device.pop()!;
  assert.is(r.device.broken, undefined);
  assert.is(chain.count, 40);
  assert.equal(chain.readable.map((b) => b[0]), readable.map((_, k) => k + 1));
  assert.is(chain.writableLength, 15 * 16);
});

c("a head's next pop rewrites its record whole: a short chain after a long one keeps nothing of it", () => {
  // A freed chain's head is the next one the driver hands out, so each chain below has the same head.
  const r = rig(16);
  r.driver.add(r.buffers(6, () => 4, 50), r.buffers(3, () => 4, 0, 4096));
  r.driver.publish();
  const long = r.device.pop()!;
  assert.is(long.count, 9);
  r.device.push(long.head, 0);
  r.driver.popUsed();
  r.driver.add(r.buffers(2, () => 5, 90, 12288), []);
  r.driver.publish();
  const short = r.device.pop()!;
  assert.is(short.head, long.head, 'the same head');
  assert.is(short.count, 2);
  assert.is(short.writableFrom, 2);
  assert.is(short.writableLength, 0);
  assert.equal(short.readable.map((b) => [b.length, b[0]]), [[5, 90], [5, 91]]);
  assert.equal(short.writable, []);
  // And long again: the overflow the first one grew is reused, and holds the new buffers.
  r.device.push(short.head, 0);
  r.driver.popUsed();
  r.driver.add(r.buffers(8, () => 2, 30, 16384), []);
  r.driver.publish();
  const again = r.device.pop()!;
  assert.is(again.head, long.head);
  assert.equal(again.readable.map((b) => b[0]), [30, 31, 32, 33, 34, 35, 36, 37]);
});

c('chainOf refuses a head never popped, and one past the ring', () => {
  const r = rig(8);
  assert.throws(() => r.device.chainOf(3), /no chain was ever popped with head 3/);
  assert.throws(() => r.device.chainOf(8), /no chain was ever popped with head 8/);
  assert.throws(() => r.device.chainOf(-1), /no chain was ever popped with head -1/);
});

c('offsets and lengths past 2 GiB are kept exact', () => {
  // No 4 GiB of memory is needed to check the record itself: the chain is filled as popBurst fills it.
  const chain = new Chain(new Uint8Array(0)).reset(1);
  const big = 2 ** 31 + 12_345;
  const len = 2 ** 32 - 1;
  chain.add(big, len, false);
  chain.add(big * 2, len - 1, true);
  assert.equal([chain.offsets[0], chain.lengths[0], chain.offsets[1], chain.lengths[1]], [big, len, big * 2, len - 1]);
  assert.is(chain.readableLength, len);
  assert.is(chain.writableLength, len - 1);
});

c.run();
