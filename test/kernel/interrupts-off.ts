// The driver turning interrupts off (`setInterrupts(false)`) against real devices: by
// VRING_AVAIL_F_NO_INTERRUPT without event idx, and by used_event kept half the index space ahead
// with it (event idx has no flag for "none"). A driver that polls its ring asks for no
// interrupts; a device that still signalled would cost it an eventfd write and a wake-up per
// batch while the datapath went on working, so only a count shows it. vhost adds 1 to the call
// eventfd per signal, and so does VFIO per MSI-X message, so the counter read once at the end is
// the exact number of signals.
//
// What the devices do (vhost.c's vhost_notify, QEMU's virtio_should_notify): without event idx
// they signal unless the avail flags hold NO_INTERRUPT; with it, once after the ring starts
// whatever used_event says (there is no signalled index to compare with yet), then only where
// used_event falls inside the entries just used.
import type { Backend } from '../../runtime/backend.js';
import { takeEventfd } from '../../runtime/eventfd.js';
import type { LinuxBackend } from '../../runtime/linux/backend.js';
import type { TxQueue } from './tx-queue.js';
import { expect, sleep, WAIT_MS } from './checks.js';
import { droppingTxQueue } from './vhost-tap.js';

/** Frames sent with interrupts off, in bursts of 1 to 8, and then one at a time with them on. */
const FRAMES_OFF = 300;
const FRAMES_ON = 40;

const signals = (n: bigint) => `${n} signal${n === 1n ? '' : 's'}`;

/**
 * The driver's half, for any device: TX frames with interrupts off, collected by polling, then
 * the signal count (at most `allowed`); then interrupts on, set before the next frame is
 * published, and each of FRAMES_ON frames sent alone must wake the driver, so the quiet before
 * is not a counter that counts nothing. The TX queue is empty when it starts.
 */
export async function interruptsOffRounds(
  backend: Backend,
  o: TxQueue & {
    allowed: bigint;
    /** Called at each look at the used ring (a receiver to refill, say). */
    poll?: () => void;
  },
): Promise<{ summary: string; frames: number }> {
  const { tx, irq } = o;
  const send = (k: number) => tx.add([{ iova: o.bufs[k % o.bufs.length].iova, length: o.length }], [], k);
  takeEventfd(backend, irq);
  tx.setInterrupts(false);
  let kicks = 0;
  let collected = 0;
  for (let sent = 0, burst = 1; sent < FRAMES_OFF; burst = 1 + (burst % 8)) {
    const n = Math.min(burst, FRAMES_OFF - sent, tx.free);
    for (let k = 0; k < n; k++) send(sent + k);
    sent += n;
    tx.publish();
    if (tx.shouldKick()) {
      o.kick();
      kicks++;
    }
    // A polling driver: it collects what is used as it goes, and waits for room by looking.
    for (const deadline = Date.now() + WAIT_MS; ; await sleep(1)) {
      o.poll?.();
      while (tx.popUsed() >= 0) collected++;
      if (tx.free > 0 && (sent < FRAMES_OFF || collected === FRAMES_OFF)) break;
      expect('interrupts off', Date.now() < deadline, `${collected} of ${sent} frames used after ${WAIT_MS} ms`);
    }
  }
  const off = takeEventfd(backend, irq);
  expect('interrupts off', off <= o.allowed, `the TX interrupt signalled ${off} times over ${FRAMES_OFF} frames with interrupts off (at most ${o.allowed})`);

  tx.setInterrupts(true);
  let on = 0n;
  for (let k = 0; k < FRAMES_ON; k++) {
    send(k);
    tx.publish();
    if (tx.shouldKick()) o.kick();
    expect(`interrupts on, frame ${k}`, await backend.waitReadable(irq, WAIT_MS), `no interrupt in ${WAIT_MS} ms (${tx.usedWaiting()} used)`);
    on += takeEventfd(backend, irq);
    expect(`interrupts on, frame ${k}`, tx.popUsed() >= 0, 'signalled, but nothing used');
    o.poll?.();
  }
  const summary = `${tx.eventIdx ? 'used_event half the index space ahead' : 'VRING_AVAIL_F_NO_INTERRUPT'}: ${FRAMES_OFF} frames in bursts of 1 to 8 (${kicks} kicks), ${signals(off)}; turned on, ${signals(on)} for ${FRAMES_ON} frames sent one at a time`;
  return { summary, frames: FRAMES_OFF + FRAMES_ON };
}

/** interruptsOffRounds on a fresh vhost-net TX ring: at most the one signal vhost gives as it starts, under event idx. */
export async function interruptsOffVhost(linux: LinuxBackend, signal: (eventfd: number) => void, o: { eventIdx: boolean; subnet: string }): Promise<string> {
  const q = droppingTxQueue(linux, { ...o, signal });
  try {
    return (await interruptsOffRounds(linux, { ...q, allowed: o.eventIdx ? 1n : 0n })).summary;
  } finally {
    q.close();
  }
}
