// The ring's shared 16-bit words: both orderings read and write the same little-endian bytes,
// and a driver and device on either leave the rings byte for byte the same.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ringWords, type RingOrdering } from '../../runtime/virtio/ring-words.js';
import { DmaArena } from '../helpers/rings.js';

const w = suite('ring words');
const ORDERINGS: RingOrdering[] = ['shared', 'same-thread'];

w('both orderings store little-endian words where the other side reads them', () => {
  for (const ordering of ORDERINGS) {
    const bytes = new Uint8Array(new SharedArrayBuffer(16));
    const words = ringWords(bytes.subarray(4), ordering);
    words.store(2, 0xbeef);
    assert.equal([...bytes.subarray(6, 8)], [0xef, 0xbe], ordering);
    bytes[10] = 0x34;
    bytes[11] = 0x12;
    assert.is(words.load(6), 0x1234, ordering);
  }
});

w('memory at an odd byte of its buffer, or an ordering that is neither, is refused', () => {
  const bytes = new Uint8Array(new SharedArrayBuffer(16));
  assert.throws(() => ringWords(bytes.subarray(1), 'shared'), /even offset/);
  assert.throws(() => ringWords(bytes, 'sometimes' as RingOrdering), /'shared' or 'same-thread'/);
});

w('a driver and device leave the rings byte for byte the same with either ordering', () => {
  const run = (ordering: RingOrdering) => {
    const arena = new DmaArena(1 << 16);
    const { driver, device } = arena.queue<number>(16, true, ordering);
    const data = arena.alloc(4096);
    const heads = new Uint16Array(16);
    const written = new Uint32Array(16);
    const lengths = new Uint32Array(16);
    let kicks = 0;
    let interrupts = 0;
    for (let round = 0; round < 3000; round++) {
      const n = 1 + (round % 16);
      driver.addBurst(Array.from({ length: n }, (_, k) => ({ iova: Number(data.iova) + k * 8, length: 8 })), round % 2 === 0);
      driver.publish();
      if (driver.shouldKick()) kicks++;
      const popped = device.popBurst(heads);
      written.fill(round % 2 === 0 ? 8 : 0);
      device.pushBurst(heads, written, popped);
      if (device.needInterrupt()) interrupts++;
      driver.setInterrupts(true, 1 + (round % 3));
      driver.popUsedBurst(heads, lengths, undefined, n - (round % 2));
    }
    return { memory: arena.mem.slice(0, data.bytes.byteOffset), kicks, interrupts, broken: device.broken };
  };
  const shared = run('shared');
  const local = run('same-thread');
  assert.is(shared.broken, undefined);
  assert.ok(shared.kicks > 0 && shared.interrupts > 0, `${shared.kicks} kicks, ${shared.interrupts} interrupts`);
  assert.equal([local.kicks, local.interrupts], [shared.kicks, shared.interrupts]);
  assert.ok(shared.memory.some((b) => b !== 0));
  assert.ok(local.memory.every((b, i) => b === shared.memory[i]), 'the rings differ');
});

w.run();
