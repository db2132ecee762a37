// A simulated vfio-vhost net device, as the RFC describes it, enforcing the ABI as a kernel
// driver would: argsz checks, EINVAL for bad indexes, the config-region message rules, one
// notify page per queue, SET_IRQS validated as libvfio-user does. Two layouts: `typed` (the
// regions carry VFIO_REGION_INFO_CAP_TYPE, and sit at other indexes than the RFC's) and
// `fixed` (the RFC's own indexes, no capabilities). A queue the device stops over a ring it
// refuses is reported on the ERR IRQ (uapi/vfio_vhost.h), unless the device is made without it.
import { EBUSY, EINVAL, ENOBUFS, ENOTTY, EOPNOTSUPP, EPERM } from '../../generated/errno.js';
import {
  VFIO_DEVICE_FLAGS, VFIO_DEVICE_FLAGS_RESET, VFIO_IRQ_INFO_EVENTFD, VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_TYPE_MASK,
  VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_TYPE_MASK, VFIO_REGION_INFO_CAP_SPARSE_MMAP,
  VFIO_REGION_INFO_CAP_TYPE, VFIO_REGION_INFO_FLAG, VFIO_REGION_INFO_FLAG_CAPS, VFIO_REGION_INFO_FLAG_MMAP, VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE, vfio_device_info, vfio_ioctls, vfio_irq_info, vfio_irq_set, vfio_region_info, vfio_region_info_cap_sparse_mmap,
  vfio_region_info_cap_type, vfio_region_sparse_mmap_area,
} from '../../generated/vfio.js';
import {
  VFIO_DEVICE_FLAGS_VHOST, VFIO_REGION_SUBTYPE_VHOST_CONFIG, VFIO_REGION_SUBTYPE_VHOST_NOTIFY, VFIO_REGION_TYPE_VHOST,
  VFIO_VHOST_CONFIG_REGION_INDEX, VFIO_VHOST_ERR_IRQ_INDEX, VFIO_VHOST_NOTIFY_REGION_INDEX, VFIO_VHOST_NUM_IRQS, VFIO_VHOST_NUM_REGIONS,
  VFIO_VHOST_VQ_IRQ_INDEX, VHOST_DEVICE_SET_STATE, VHOST_DEVICE_S_MAX, VHOST_DEVICE_S_RUNNING, VHOST_DEVICE_S_STOPPED, VHOST_VFIO,
  VHOST_VFIO_NEED_REPLY, VHOST_VFIO_OP_HDR_SIZE, VHOST_VFIO_OP_PAYLOAD_MAX_SIZE, vhost_vfio_op,
} from '../../generated/vfio_vhost.js';
import {
  VHOST_GET_FEATURES, VHOST_GET_VRING_BASE, VHOST_RESET_OWNER, VHOST_SET_FEATURES, VHOST_SET_LOG_BASE, VHOST_SET_OWNER,
  VHOST_SET_VRING_ADDR, VHOST_SET_VRING_BASE, VHOST_SET_VRING_NUM, vhost_vring_addr, vhost_vring_state,
} from '../../generated/vhost.js';
import { VRING_AVAIL_ALIGN_SIZE, VRING_DESC_ALIGN_SIZE, VRING_USED_ALIGN_SIZE } from '../../generated/virtio_ring.js';
import { VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_VERSION_1 } from '../../generated/virtio_config.js';
import { VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC } from '../../generated/virtio_ring.js';
import { VIRTIO_NET_F_MAC, VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_STATUS } from '../../generated/virtio_net.js';
import { Codec, Flags, s32, u32, u64 } from '../codegen-v1.js';
import { buildChain, CapBody } from './capability-chain.js';
import { SplitQueueDevice } from '../virtio/device-queue.js';
import { NetLoopback } from '../virtio/net-loopback.js';
import { INDEX_MASK } from '../virtio/split-layout.js';
import { argszRequest, refuse, userBuffer, writeStruct } from './uaccess.js';
import { SimEventfd } from './eventfd.js';
import { CONFIG_REGION_SIZE, MAX_QUEUE_SIZE, PAGE_SIZE, QUEUES, REGION_INDEX_SHIFT, RX_QUEUE, TX_QUEUE } from './parameters.js';
import type { SimContainer } from './container.js';

const io = vfio_ioctls;

export type SimLayout = 'typed' | 'fixed';

interface RegionSpec {
  kind: 'config' | 'notify';
  size: bigint;
  flags: Flags<'vfio_region_info.flags'>;
  caps: CapBody[];
}

interface Vring {
  num?: number;
  addr?: vhost_vring_addr;
  base: number;
}

const bit = (n: number) => 1n << BigInt(n);
function popcount(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x !== 0; x &= x - 1) n++;
  return n;
}

export class SimVhostNetDevice {
  container: SimContainer | undefined;
  readonly regions: RegionSpec[] = [];
  readonly offeredFeatures = [VIRTIO_F_VERSION_1, VIRTIO_F_ACCESS_PLATFORM, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_NET_F_MRG_RXBUF, VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX].reduce((a, b) => a | bit(b), 0n);
  owner = false;
  features: bigint | undefined;
  logBase: bigint | undefined;
  vrings: Vring[] = [];
  state = VHOST_DEVICE_S_STOPPED;
  /**
   * Eventfds by IRQ index, then queue: VQ (the call eventfds, signalled when the device has used
   * buffers) and ERR (signalled when it stops the queue over a ring it refuses).
   */
  private readonly irqs: (SimEventfd | undefined)[][] = Array.from({ length: VFIO_VHOST_NUM_IRQS }, () => new Array(QUEUES).fill(undefined));
  /** Ring errors signalled, per queue. */
  readonly ringErrors: number[] = new Array(QUEUES).fill(0);
  /** Kicks seen, per queue. */
  readonly kicks: number[] = new Array(QUEUES).fill(0);
  readonly kickListeners: ((queue: number) => void)[] = [];
  /** The doorbell pages a driver may mmap. */
  readonly doorbells = new Uint8Array(new SharedArrayBuffer(PAGE_SIZE * QUEUES));
  private pendingReply: Uint8Array | undefined;
  /** While RUNNING: the datapath (queue 0 receives, queue 1 transmits) over the IOMMU. */
  datapath: { queues: SplitQueueDevice[]; net: NetLoopback } | undefined;
  private frameBudget = QUEUES * MAX_QUEUE_SIZE;

  constructor(
    readonly layout: SimLayout,
    private readonly eventfdOf: (fd: number, syscall: string) => SimEventfd,
    /** Whether the ERR IRQ is there: without it (as the RFC's own device) its count is 0. */
    readonly reportsRingErrors = true,
  ) {
    this.resetVhost();
    const notifySize = BigInt(PAGE_SIZE * QUEUES);
    const typeCap = (subtype: number): CapBody => ({ id: VFIO_REGION_INFO_CAP_TYPE, version: 1, codec: vfio_region_info_cap_type, value: { type: VFIO_REGION_TYPE_VHOST, subtype } });
    const sparse: CapBody = {
      id: VFIO_REGION_INFO_CAP_SPARSE_MMAP,
      version: 1,
      codec: vfio_region_info_cap_sparse_mmap,
      value: { nr_areas: QUEUES, reserved: 0, areas: Array.from({ length: QUEUES }, (_, q) => ({ offset: BigInt(q * PAGE_SIZE), size: BigInt(PAGE_SIZE) })) },
      length: vfio_region_info_cap_sparse_mmap.size + QUEUES * vfio_region_sparse_mmap_area.size,
    };
    const rw = VFIO_REGION_INFO_FLAG.of(VFIO_REGION_INFO_FLAG_READ, VFIO_REGION_INFO_FLAG_WRITE);
    const typed = layout === 'typed';
    const config: RegionSpec = { kind: 'config', size: CONFIG_REGION_SIZE, flags: typed ? VFIO_REGION_INFO_FLAG.of(rw, VFIO_REGION_INFO_FLAG_CAPS) : rw, caps: typed ? [typeCap(VFIO_REGION_SUBTYPE_VHOST_CONFIG)] : [] };
    const notifyFlags = VFIO_REGION_INFO_FLAG.of(rw, VFIO_REGION_INFO_FLAG_MMAP);
    const notify: RegionSpec = { kind: 'notify', size: notifySize, flags: typed ? VFIO_REGION_INFO_FLAG.of(notifyFlags, VFIO_REGION_INFO_FLAG_CAPS) : notifyFlags, caps: typed ? [typeCap(VFIO_REGION_SUBTYPE_VHOST_NOTIFY), sparse] : [] };
    // The typed layout puts the regions where the RFC's indexes do not: discovery must go by type.
    const [configIndex, notifyIndex] = typed ? [VFIO_VHOST_NOTIFY_REGION_INDEX, VFIO_VHOST_CONFIG_REGION_INDEX] : [VFIO_VHOST_CONFIG_REGION_INDEX, VFIO_VHOST_NOTIFY_REGION_INDEX];
    this.regions[configIndex] = config;
    this.regions[notifyIndex] = notify;
  }

  private resetVhost(): void {
    this.datapath = undefined;
    this.owner = false;
    this.features = undefined;
    this.logBase = undefined;
    this.vrings = Array.from({ length: QUEUES }, () => ({ base: 0 }));
    this.state = VHOST_DEVICE_S_STOPPED;
    this.pendingReply = undefined;
  }

  // ---- VFIO device ioctls ----------------------------------------------------------------------

  ioctl(request: number, arg: Uint8Array | number | undefined): number {
    switch (request) {
      case io.VFIO_DEVICE_GET_INFO.request:
        return this.getInfo(arg);
      case io.VFIO_DEVICE_GET_REGION_INFO.request:
        return this.getRegionInfo(arg);
      case io.VFIO_DEVICE_GET_IRQ_INFO.request:
        return this.getIrqInfo(arg);
      case io.VFIO_DEVICE_SET_IRQS.request:
        return this.setIrqs(arg);
      case io.VFIO_DEVICE_RESET.request:
        this.resetVhost();
        return 0;
    }
    return refuse(`ioctl ${request}`, ENOTTY, 'not a vfio-vhost device ioctl');
  }

  private getInfo(arg: Uint8Array | number | undefined): number {
    const name = io.VFIO_DEVICE_GET_INFO.name;
    const { buf, req } = argszRequest(name, arg, vfio_device_info, vfio_device_info.offsetOf('cap_offset'));
    const flags = VFIO_DEVICE_FLAGS.of(VFIO_DEVICE_FLAGS_RESET, VFIO_DEVICE_FLAGS_VHOST);
    writeStruct(vfio_device_info, { argsz: req.argsz, flags, num_regions: VFIO_VHOST_NUM_REGIONS, num_irqs: VFIO_VHOST_NUM_IRQS, cap_offset: 0 }, buf);
    return 0;
  }

  private getRegionInfo(arg: Uint8Array | number | undefined): number {
    const name = io.VFIO_DEVICE_GET_REGION_INFO.name;
    const { buf, req } = argszRequest(name, arg, vfio_region_info);
    const spec = this.regions[req.index];
    if (req.index >= VFIO_VHOST_NUM_REGIONS || !spec) refuse(name, EINVAL, `region index ${req.index}`);
    const chain = spec.caps.length ? buildChain(vfio_region_info.size, spec.caps) : undefined;
    // The kernel's argsz protocol: a chain that does not fit is left out, and argsz says how much would.
    const fits = !chain || req.argsz >= chain.required;
    writeStruct(vfio_region_info, {
      argsz: fits ? req.argsz : chain!.required,
      flags: spec.flags,
      index: req.index,
      cap_offset: chain && fits ? chain.offset : 0,
      size: spec.size,
      offset: BigInt(req.index) << REGION_INDEX_SHIFT,
    }, buf);
    if (chain && fits) buf.set(chain.bytes, chain.offset);
    return 0;
  }

  private getIrqInfo(arg: Uint8Array | number | undefined): number {
    const name = io.VFIO_DEVICE_GET_IRQ_INFO.name;
    const { buf, req } = argszRequest(name, arg, vfio_irq_info);
    if (req.index >= VFIO_VHOST_NUM_IRQS) refuse(name, EINVAL, `IRQ index ${req.index}`);
    writeStruct(vfio_irq_info, { argsz: req.argsz, flags: VFIO_IRQ_INFO_EVENTFD, index: req.index, count: this.irqCount(req.index) }, buf);
    return 0;
  }

  /** IRQs of an index: one per queue; none on ERR for a device made without it. */
  private irqCount(index: number): number {
    return index === VFIO_VHOST_ERR_IRQ_INDEX && !this.reportsRingErrors ? 0 : QUEUES;
  }

  private setIrqs(arg: Uint8Array | number | undefined): number {
    const name = io.VFIO_DEVICE_SET_IRQS.name;
    const head = vfio_irq_set.size;
    const buf = userBuffer(name, arg, head);
    const s = vfio_irq_set.decode(new DataView(buf.buffer, buf.byteOffset, buf.length), 0, { counts: { data: 0 } });
    if (s.argsz < head || s.argsz > buf.length) refuse(name, EINVAL, `argsz ${s.argsz}`);
    const dataType = s.flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
    const action = s.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
    if ((s.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)) !== 0) refuse(name, EINVAL, `unknown flags ${s.flags}`);
    if (popcount(dataType) !== 1 || popcount(action) !== 1) refuse(name, EINVAL, 'exactly one data type and one action');
    if (s.index >= VFIO_VHOST_NUM_IRQS) refuse(name, EINVAL, `IRQ index ${s.index}`);
    if (action !== VFIO_IRQ_SET_ACTION_TRIGGER) refuse(name, EINVAL, 'only ACTION_TRIGGER is implemented');
    const eventfds = this.irqs[s.index];
    if (s.count === 0) {
      if (dataType !== VFIO_IRQ_SET_DATA_NONE) refuse(name, EINVAL, 'count 0 goes only with DATA_NONE (detach all)');
      if (s.argsz !== head) refuse(name, EINVAL, `argsz ${s.argsz} for no data`);
      eventfds.fill(undefined);
      return 0;
    }
    // start + count within the IRQ count, written so that a huge count cannot wrap.
    const irqs = this.irqCount(s.index);
    if (s.start >= irqs || s.count > irqs - s.start) refuse(name, EINVAL, `IRQs ${s.start}+${s.count} of ${irqs}`);
    const each = dataType === VFIO_IRQ_SET_DATA_EVENTFD ? s32.size : dataType === VFIO_IRQ_SET_DATA_BOOL ? 1 : 0;
    if (s.argsz !== head + each * s.count) refuse(name, EINVAL, `argsz ${s.argsz}: ${s.count} IRQs need ${head + each * s.count}`);
    const data = new DataView(buf.buffer, buf.byteOffset + head, each * s.count);
    if (dataType === VFIO_IRQ_SET_DATA_EVENTFD) {
      // Every fd is checked before any is attached.
      const fds = Array.from({ length: s.count }, (_, k) => s32.decode(data, k * s32.size));
      const resolved = fds.map((fd) => (fd === -1 ? undefined : this.eventfdOf(fd, name)));
      resolved.forEach((e, k) => (eventfds[s.start + k] = e));
    } else {
      for (let k = 0; k < s.count; k++) if (dataType === VFIO_IRQ_SET_DATA_NONE || data.getUint8(k)) this.signal(s.start + k, s.index);
    }
    return 0;
  }

  /** Signals a queue's eventfd on an IRQ index: by default its call (the device used buffers of it). */
  signal(queue: number, index = VFIO_VHOST_VQ_IRQ_INDEX): boolean {
    const e = this.irqs[index][queue];
    e?.signal();
    return e !== undefined;
  }

  // ---- Region I/O ---------------------------------------------------------------------------------

  private locate(syscall: string, offset: bigint, length: number): { spec: RegionSpec; at: bigint } {
    const index = Number(offset >> REGION_INDEX_SHIFT);
    const spec = this.regions[index];
    const at = offset & ((1n << REGION_INDEX_SHIFT) - 1n);
    if (!spec) refuse(syscall, EINVAL, `offset 0x${offset.toString(16)} is in no region`);
    if (at + BigInt(length) > spec.size) refuse(syscall, EINVAL, `${length} bytes at 0x${at.toString(16)} run past the ${spec.kind} region`);
    return { spec, at };
  }

  pwrite(buf: Uint8Array, offset: bigint): number {
    const { spec, at } = this.locate('pwrite', offset, buf.length);
    if (spec.kind === 'config') {
      if (at !== 0n) refuse('pwrite', EINVAL, 'messages are written at offset 0 of the config region');
      this.message(buf);
      return buf.length;
    }
    const page = BigInt(PAGE_SIZE);
    if (buf.length !== u32.size || at % page !== 0n) refuse('pwrite', EINVAL, 'a kick is a 32-bit queue index at the start of its page');
    const queue = Number(at / page);
    const value = u32.decode(new DataView(buf.buffer, buf.byteOffset, buf.length), 0);
    if (value !== queue) refuse('pwrite', EINVAL, `queue ${value} kicked on the page of queue ${queue}`);
    this.kick(queue);
    return buf.length;
  }

  pread(buf: Uint8Array, offset: bigint): number {
    const { spec, at } = this.locate('pread', offset, buf.length);
    if (spec.kind === 'notify') {
      buf.fill(0);
      return buf.length;
    }
    if (at !== 0n) refuse('pread', EINVAL, 'replies are read at offset 0 of the config region');
    // No pending reply reads as 0 bytes, as the RFC has it.
    if (!this.pendingReply) return 0;
    const n = Math.min(buf.length, this.pendingReply.length);
    buf.set(this.pendingReply.subarray(0, n));
    this.pendingReply = undefined;
    return n;
  }

  mmap(offset: bigint, length: number): Uint8Array {
    const { spec, at } = this.locate('mmap', offset, length);
    if (spec.kind !== 'notify' || at % BigInt(PAGE_SIZE) !== 0n || length % PAGE_SIZE !== 0) refuse('mmap', EINVAL, 'only whole pages of the notify region can be mapped');
    return new Uint8Array(this.doorbells.buffer, Number(at), length);
  }

  private kick(queue: number): void {
    this.kicks[queue]++;
    for (const l of this.kickListeners) l(queue);
    this.process(queue);
  }

  /**
   * Frames a run of the loopback moves at most (vdpa_sim's budget): process() signals
   * interrupts between runs. A whole number, 1 or more: with 0 a run would move nothing.
   */
  get budget(): number {
    return this.frameBudget;
  }

  set budget(frames: number) {
    if (!(Number.isInteger(frames) && frames >= 1)) throw new RangeError(`budget ${frames}: a whole number of frames, 1 or more`);
    this.frameBudget = frames;
  }

  /**
   * Runs the loopback a budget at a time, signalling each queue whose driver wants an interrupt
   * after each run, until a run comes up short. vhost and vdpa_sim requeue their work when a
   * run spends its budget: a driver that kicked once for all its frames sees them all, where
   * one run a kick left the rest on the ring until some later kick. The loop ends: nothing
   * adds to the rings while it runs, so each full run takes frames that are not there again.
   * A queue that stops in this call, over a ring it refuses, is signalled on the ERR IRQ; so is
   * the `kicked` queue if it had stopped before, as vhost reports each time it looks at a ring
   * it cannot use.
   */
  process(kicked?: number): number {
    if (!this.datapath) return 0;
    const queues = this.datapath.queues;
    const stoppedBefore = queues.map((q) => q.broken !== undefined);
    let moved = 0;
    for (;;) {
      const run = this.datapath.net.run(this.frameBudget);
      moved += run;
      queues.forEach((q, i) => {
        if (q.needInterrupt()) this.signal(i);
      });
      if (run < this.frameBudget) break;
    }
    queues.forEach((q, i) => {
      if (q.broken && (!stoppedBefore[i] || i === kicked)) {
        this.ringErrors[i]++;
        this.signal(i, VFIO_VHOST_ERR_IRQ_INDEX);
      }
    });
    return moved;
  }

  private startDatapath(): void {
    const container = this.container;
    if (!container) refuse('pwrite', EINVAL, 'RUNNING without a container');
    const eventIdx = ((this.features! >> BigInt(VIRTIO_RING_F_EVENT_IDX)) & 1n) === 1n;
    const queues = this.vrings.map(
      (r) => new SplitQueueDevice(r.num!, { desc: r.addr!.desc_user_addr, avail: r.addr!.avail_user_addr, used: r.addr!.used_user_addr }, container.dma, eventIdx, r.base),
    );
    const broken = queues.find((q) => q.broken);
    if (broken) refuse('pwrite', EINVAL, `RUNNING with a ring the device cannot use: ${broken.broken!.message}`);
    this.datapath = { queues, net: new NetLoopback(queues[RX_QUEUE], queues[TX_QUEUE], this.features!) };
  }

  /** Doorbells written through an mmapped page: each holds its queue index once kicked. */
  pollDoorbells(): number[] {
    const kicked: number[] = [];
    const view = new DataView(this.doorbells.buffer);
    for (let q = 0; q < QUEUES; q++) {
      if (view.getUint32(q * PAGE_SIZE, true) === q + 1) {
        view.setUint32(q * PAGE_SIZE, 0, true);
        this.kick(q);
        kicked.push(q);
      }
    }
    return kicked;
  }

  // ---- The vhost request set over the config region ----------------------------------------------

  private message(bytes: Uint8Array): void {
    if (bytes.length < VHOST_VFIO_OP_HDR_SIZE) refuse('pwrite', EINVAL, `a message has at least a ${VHOST_VFIO_OP_HDR_SIZE}-byte header`);
    const full = new Uint8Array(vhost_vfio_op.size);
    full.set(bytes.subarray(0, Math.min(bytes.length, full.length)));
    const op = vhost_vfio_op.fromBytes(full);
    if (op.size > VHOST_VFIO_OP_PAYLOAD_MAX_SIZE) refuse('pwrite', EINVAL, `payload size ${op.size} over ${VHOST_VFIO_OP_PAYLOAD_MAX_SIZE}`);
    if (bytes.length !== VHOST_VFIO_OP_HDR_SIZE + op.size) refuse('pwrite', EINVAL, `${bytes.length} bytes written for a ${op.size}-byte payload`);
    const request = Number(op.request);
    const needReply = VHOST_VFIO.has(op.flags, VHOST_VFIO_NEED_REPLY);
    const payload = <T>(codec: Codec<T>, what: string): T => {
      if (op.size !== codec.size) refuse('pwrite', EINVAL, `${what} needs a ${codec.size}-byte payload, got ${op.size}`);
      return codec.decode(new DataView(full.buffer), VHOST_VFIO_OP_HDR_SIZE);
    };
    const owner = (what: string) => {
      if (!this.owner) refuse('pwrite', EPERM, `${what} before SET_OWNER`);
    };
    const ring = (index: number, what: string) => {
      if (index >= QUEUES) refuse('pwrite', ENOBUFS, `${what}: ring ${index} of ${QUEUES}`);
      return this.vrings[index];
    };
    switch (request) {
      case VHOST_SET_OWNER:
        if (this.owner) refuse('pwrite', EBUSY, 'SET_OWNER: already owned');
        this.owner = true;
        return;
      case VHOST_RESET_OWNER:
        this.resetVhost();
        return;
      case VHOST_GET_FEATURES:
        if (!needReply) refuse('pwrite', EINVAL, 'GET_FEATURES without NEED_REPLY');
        return this.reply(request, { u64: this.offeredFeatures }, u64.size);
      case VHOST_SET_FEATURES: {
        owner('SET_FEATURES');
        const f = payload(u64, 'SET_FEATURES');
        if (f & ~this.offeredFeatures) refuse('pwrite', EOPNOTSUPP, `features 0x${(f & ~this.offeredFeatures).toString(16)} not offered`);
        this.features = f;
        return;
      }
      case VHOST_SET_LOG_BASE:
        owner('SET_LOG_BASE');
        this.logBase = payload(u64, 'SET_LOG_BASE');
        return;
      case VHOST_SET_VRING_NUM: {
        owner('SET_VRING_NUM');
        const st = payload(vhost_vring_state, 'SET_VRING_NUM');
        const r = ring(st.index, 'SET_VRING_NUM');
        if (this.state === VHOST_DEVICE_S_RUNNING) refuse('pwrite', EBUSY, 'SET_VRING_NUM while running');
        if (st.num === 0 || st.num > MAX_QUEUE_SIZE || (st.num & (st.num - 1)) !== 0) refuse('pwrite', EINVAL, `ring size ${st.num} is not a power of two up to ${MAX_QUEUE_SIZE}`);
        r.num = st.num;
        return;
      }
      case VHOST_SET_VRING_ADDR: {
        owner('SET_VRING_ADDR');
        const a = payload(vhost_vring_addr, 'SET_VRING_ADDR');
        const r = ring(a.index, 'SET_VRING_ADDR');
        const misaligned = (v: bigint, align: number) => v % BigInt(align) !== 0n;
        if (misaligned(a.desc_user_addr, VRING_DESC_ALIGN_SIZE) || misaligned(a.avail_user_addr, VRING_AVAIL_ALIGN_SIZE) || misaligned(a.used_user_addr, VRING_USED_ALIGN_SIZE)) {
          refuse('pwrite', EINVAL, 'ring addresses are not aligned as virtio requires');
        }
        r.addr = a;
        return;
      }
      case VHOST_SET_VRING_BASE: {
        owner('SET_VRING_BASE');
        const st = payload(vhost_vring_state, 'SET_VRING_BASE');
        // A split ring's index is 16 bits: the kernel's vhost refuses more, and the ring would take its low bits.
        if (st.num > INDEX_MASK) refuse('pwrite', EINVAL, `SET_VRING_BASE: ${st.num} is past a 16-bit ring index`);
        ring(st.index, 'SET_VRING_BASE').base = st.num;
        return;
      }
      case VHOST_GET_VRING_BASE: {
        owner('GET_VRING_BASE');
        if (!needReply) refuse('pwrite', EINVAL, 'GET_VRING_BASE without NEED_REPLY');
        const st = payload(vhost_vring_state, 'GET_VRING_BASE');
        const base = this.datapath?.queues[st.index]?.base ?? ring(st.index, 'GET_VRING_BASE').base;
        return this.reply(request, { state: { index: st.index, num: base } }, vhost_vring_state.size);
      }
      case VHOST_DEVICE_SET_STATE: {
        owner('DEVICE_SET_STATE');
        const st = payload(u64, 'DEVICE_SET_STATE');
        if (st >= BigInt(VHOST_DEVICE_S_MAX)) refuse('pwrite', EINVAL, `state ${st}`);
        if (Number(st) === VHOST_DEVICE_S_RUNNING) {
          if (this.features === undefined) refuse('pwrite', EINVAL, 'RUNNING before SET_FEATURES');
          const missing = this.vrings.findIndex((r) => r.num === undefined || r.addr === undefined);
          if (missing >= 0) refuse('pwrite', EINVAL, `RUNNING with ring ${missing} not set up`);
        }
        if (Number(st) === VHOST_DEVICE_S_RUNNING && this.state !== VHOST_DEVICE_S_RUNNING) this.startDatapath();
        if (Number(st) === VHOST_DEVICE_S_STOPPED && this.datapath) {
          this.datapath.queues.forEach((q, i) => (this.vrings[i].base = q.base));
          this.datapath = undefined;
        }
        this.state = Number(st);
        return;
      }
    }
    refuse('pwrite', ENOTTY, `unknown vhost request 0x${request.toString(16)}`);
  }

  private reply(request: number, payload: Record<string, unknown>, size: number): void {
    const bytes = vhost_vfio_op.toBytes({ request: BigInt(request), flags: VHOST_VFIO.none, size, payload });
    this.pendingReply = bytes.slice(0, VHOST_VFIO_OP_HDR_SIZE + size);
  }
}

