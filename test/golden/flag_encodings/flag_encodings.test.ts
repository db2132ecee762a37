import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEMO_RING_F, DEMO_RING_F_DIRTY, DEMO_RING_F_LOG, DEMO_RING_GSO, DEMO_RING_GSO_ECN, DEMO_RING_GSO_TCP, DEMO_RING_GSO_UDP, DEMO_RING_HDR_F, DEMO_RING_OP, DEMO_RING_OP_FLUSH, DEMO_RING_PERM, DEMO_RW_SYNC, DEMO_SQE, DEMO_SQE_BUFFER_SELECT, DEMO_SQE_RW_FLAGS, DEMO_SQE_TIMEOUT_FLAGS, DEMO_TIMEOUT_ABS, demo_ring, demo_sqe } from './expected/flag_encodings.js';

const t = suite('golden: flag families placed and described past what the numbers say');

t('runs written above their field type that field', () => {
  assert.is(DEMO_RING_HDR_F.family, 'demo_ring.flags');
  const v = demo_ring.zero();
  v.flags = DEMO_RING_HDR_F.of(DEMO_RING_HDR_F.members.CSUM, DEMO_RING_HDR_F.members.VALID);
  v.gso_type = DEMO_RING_GSO_UDP;
  // @ts-expect-error a GSO value is not a value of flags (the build fails if this compiles)
  v.flags = DEMO_RING_GSO_UDP;
  v.flags = DEMO_RING_HDR_F.none;
  assert.is(demo_ring.fromBytes(demo_ring.toBytes(v)).gso_type, 3);
});

t('bit numbers: the constants stay positions, the family holds the flags they set', () => {
  const position: number = DEMO_RING_F_LOG;
  assert.equal([position, DEMO_RING_F_DIRTY], [0, 5]);
  assert.equal(DEMO_RING_F.members, { LOG: 1, DIRTY: 32 });
  const v = demo_ring.zero();
  v.addr_flags = DEMO_RING_F.of(DEMO_RING_F.members.LOG, DEMO_RING_F.members.DIRTY);
  assert.is(v.addr_flags, (1 << DEMO_RING_F_LOG) | (1 << DEMO_RING_F_DIRTY));
  assert.equal(DEMO_RING_F.decode(demo_ring.fromBytes(demo_ring.toBytes(v)).addr_flags), { names: ['LOG', 'DIRTY'], unknown: 0 });
});

t('a run that counts in decimal is values without an override; a bit well above them goes with any', () => {
  assert.is(DEMO_RING_GSO.encoding, 'values');
  assert.equal(DEMO_RING_GSO.kinds, { NONE: 'value', TCP: 'value', UDP: 'value', ECN: 'bit' });
  // By bits, 3 would be TCP and a stray 2.
  assert.equal(DEMO_RING_GSO.decode(DEMO_RING_GSO_UDP), { names: ['UDP'], unknown: 0 });
  const v = demo_ring.zero();
  v.gso_type = DEMO_RING_GSO.of(DEMO_RING_GSO_UDP, DEMO_RING_GSO_ECN);
  const back = demo_ring.fromBytes(demo_ring.toBytes(v)).gso_type;
  assert.equal(DEMO_RING_GSO.decode(back), { names: ['UDP', 'ECN'], unknown: 0 });
  assert.ok(DEMO_RING_GSO.has(back, DEMO_RING_GSO_UDP));
  assert.ok(DEMO_RING_GSO.has(back, DEMO_RING_GSO_ECN));
  assert.not.ok(DEMO_RING_GSO.has(back, DEMO_RING_GSO_TCP), 'UDP is not TCP, whatever bits they share');
  assert.equal(DEMO_RING_GSO.decode(2 | 0x80), { names: ['ECN'], unknown: 2 });
});

t('a hex run with a mask of its bits stays flags', () => {
  assert.is(DEMO_RING_PERM.encoding, 'flags');
  assert.equal(DEMO_RING_PERM.kinds, { RO: 'bit', WO: 'bit', RW: 'mask' });
  assert.equal(DEMO_RING_PERM.decode(DEMO_RING_PERM.members.RW), { names: ['RO', 'WO'], unknown: 0 });
});

t('values: every member a value of the field, none a bit', () => {
  assert.equal(DEMO_RING_OP.kinds, { READ: 'value', WRITE: 'value', FLUSH: 'value' });
  const v = demo_ring.zero();
  v.op = DEMO_RING_OP_FLUSH;
  assert.is(demo_ring.fromBytes(demo_ring.toBytes(v)).op, 3);
  // Read back as the one value it is: by bits, 3 would be READ and WRITE.
  assert.equal(DEMO_RING_OP.decode(3), { names: ['FLUSH'], unknown: 0 });
  assert.equal(DEMO_RING_OP.decode(9), { names: [], unknown: 9 });
});

t('runs outside their struct, under a comment naming the field, type that field', () => {
  assert.equal([DEMO_SQE.family, DEMO_SQE_TIMEOUT_FLAGS.family, DEMO_SQE_RW_FLAGS.family], ['demo_sqe.flags', 'demo_sqe.timeout_flags', 'demo_sqe.rw_flags']);
  // The note on one flag naming another field does not end the run.
  assert.equal(DEMO_SQE.members, { FIXED_FILE: 1, BUFFER_SELECT: 2 });
  const v = demo_sqe.zero();
  v.flags = DEMO_SQE.of(DEMO_SQE_BUFFER_SELECT);
  v.timeout_flags = DEMO_TIMEOUT_ABS;
  v.rw_flags = DEMO_RW_SYNC;
  // @ts-expect-error a timeout flag is not a flag of sqe.flags (the build fails if this compiles)
  v.flags = DEMO_TIMEOUT_ABS;
  v.flags = DEMO_SQE.none;
  assert.equal(DEMO_SQE_TIMEOUT_FLAGS.decode(demo_sqe.fromBytes(demo_sqe.toBytes(v)).timeout_flags), { names: ['TIMEOUT_ABS'], unknown: 0 });
});

t.run();
