// A virtio 1.x device on PCI, driven from user space through VFIO: the modern PCI transport
// (virtio 1.x, 4.1). Vendor capabilities in config space say where, in which BAR, the common
// configuration, the notification area and the device-specific configuration are; the driver
// resets the device, negotiates features, writes the IOVAs of virtqueues laid out in memory
// mapped through the IOMMU, and kicks a queue by writing its index to its doorbell. Every
// register is a field of a generated record (virtio_pci_common_cfg), read and written at the
// width the record gives it.
import { u16, u32, u8 } from '../codegen-v1.js';
import { PCI_CAPABILITY_LIST, PCI_CAP_ID_VNDR, PCI_CAP_LIST_ID, PCI_CAP_LIST_NEXT, PCI_STATUS, PCI_STATUS_CAP_LIST } from '../../generated/pci_regs.js';
import { VFIO_PCI_BAR0_REGION_INDEX, VFIO_PCI_CONFIG_REGION_INDEX } from '../../generated/vfio.js';
import { VIRTIO_CONFIG_S_ACKNOWLEDGE, VIRTIO_CONFIG_S_DRIVER, VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FAILED, VIRTIO_CONFIG_S_FEATURES_OK, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../generated/virtio_config.js';
import { VIRTIO_MSI_NO_VECTOR, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_CAP_NOTIFY_CFG, virtio_pci_cap, virtio_pci_common_cfg, virtio_pci_notify_cap } from '../../generated/virtio_pci.js';
import { BITS_PER_BYTE, PCI_MAX_CAPABILITIES, VIRTIO_RESET_POLLS } from '../policy.js';
import { DmaPiece } from '../dma-pool.js';
import { Device } from '../vfio/device.js';
import { Registers } from '../vfio/registers.js';

export class VirtioPciError extends Error {
  override name = 'VirtioPciError';
}

/** A structure the capabilities point at: a window into one BAR's registers. */
interface Window {
  regs: Registers;
  offset: number;
  length: number;
}

const cfg = virtio_pci_common_cfg;
const WORD_BITS = BigInt(u32.size * BITS_PER_BYTE);
const lowWord = (v: bigint) => Number(BigInt.asUintN(u32.size * BITS_PER_BYTE, v));
const highWord = (v: bigint) => Number(v >> WORD_BITS);
/** Capability pointers are dword aligned; the low bits are reserved. */
const CAP_POINTER_MASK = ~(u32.size - 1);

export class VirtioPciDevice {
  readonly common: Window;
  readonly notify: Window & { multiplier: number };
  readonly deviceConfig: Window | undefined;
  private readonly bars = new Map<number, Registers>();
  private readonly notifyOffsets: number[] = [];

  constructor(readonly device: Device) {
    const configRegion = device.regionInfo(VFIO_PCI_CONFIG_REGION_INDEX);
    const config = new Uint8Array(Number(configRegion.size));
    device.read(configRegion, 0n, config);
    const view = new DataView(config.buffer);
    if (!(u16.decode(view, PCI_STATUS) & PCI_STATUS_CAP_LIST)) throw new VirtioPciError(`${device.name}: no capability list in config space: not a modern virtio device`);
    const found = new Map<number, { at: number; cap: virtio_pci_cap }>();
    let at = config[PCI_CAPABILITY_LIST] & CAP_POINTER_MASK;
    for (let seen = 0; at !== 0; seen++) {
      if (seen >= PCI_MAX_CAPABILITIES || at + virtio_pci_cap.size > config.length) throw new VirtioPciError(`${device.name}: the capability list loops or runs past config space (at 0x${at.toString(16)})`);
      // The first capability of each type is the one to use (virtio 1.x, 4.1.4).
      if (config[at + PCI_CAP_LIST_ID] === PCI_CAP_ID_VNDR) {
        const cap = virtio_pci_cap.decode(view, at);
        if (!found.has(cap.cfg_type)) found.set(cap.cfg_type, { at, cap });
      }
      at = config[at + PCI_CAP_LIST_NEXT] & CAP_POINTER_MASK;
    }
    const window = (type: number, what: string): Window => {
      const f = found.get(type);
      if (!f) throw new VirtioPciError(`${device.name}: no ${what} capability`);
      return { regs: this.bar(f.cap.bar), offset: f.cap.offset, length: f.cap.length };
    };
    this.common = window(VIRTIO_PCI_CAP_COMMON_CFG, 'common configuration');
    const notify = found.get(VIRTIO_PCI_CAP_NOTIFY_CFG);
    this.notify = { ...window(VIRTIO_PCI_CAP_NOTIFY_CFG, 'notification'), multiplier: notify ? virtio_pci_notify_cap.decode(view, notify.at).notify_off_multiplier : 0 };
    this.deviceConfig = found.has(VIRTIO_PCI_CAP_DEVICE_CFG) ? window(VIRTIO_PCI_CAP_DEVICE_CFG, 'device configuration') : undefined;
  }

  private bar(index: number): Registers {
    let regs = this.bars.get(index);
    if (!regs) this.bars.set(index, (regs = this.device.registers(this.device.regionInfo(VFIO_PCI_BAR0_REGION_INDEX + index))));
    return regs;
  }

  private read(field: keyof virtio_pci_common_cfg & string): number {
    return this.common.regs.readField(this.common.offset, cfg, field);
  }

  private write(field: keyof virtio_pci_common_cfg & string, value: number): void {
    this.common.regs.writeField(this.common.offset, cfg, field, value);
  }

  get status(): number {
    return this.read('device_status');
  }

  /** Writes 0 to the status and waits, bounded, for the device to read back 0 (reset done). */
  reset(): void {
    this.write('device_status', 0);
    for (let k = 0; k < VIRTIO_RESET_POLLS; k++) if (this.status === 0) return;
    throw new VirtioPciError(`${this.device.name}: the device did not finish its reset`);
  }

  private addStatus(bits: number): void {
    this.write('device_status', this.status | bits);
  }

  /**
   * Reset, ACKNOWLEDGE and DRIVER, then the features both sides have out of `wanted`, then
   * FEATURES_OK, which the device must keep set to accept them. Returns what was negotiated.
   */
  negotiate(wanted: bigint): bigint {
    this.reset();
    this.addStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    this.addStatus(VIRTIO_CONFIG_S_DRIVER);
    const offered = this.featureWords('device_feature_select', 'device_feature');
    const accepted = offered & wanted;
    for (const word of [0, 1]) {
      this.write('guest_feature_select', word);
      this.write('guest_feature', lowWord(accepted >> (WORD_BITS * BigInt(word))));
    }
    this.addStatus(VIRTIO_CONFIG_S_FEATURES_OK);
    if (!(this.status & VIRTIO_CONFIG_S_FEATURES_OK)) {
      this.addStatus(VIRTIO_CONFIG_S_FAILED);
      throw new VirtioPciError(`${this.device.name}: the device refused features 0x${accepted.toString(16)} (offered 0x${offered.toString(16)})`);
    }
    return accepted;
  }

  /** The device's 64 feature bits, read 32 at a time through the select register. */
  private featureWords(select: 'device_feature_select', value: 'device_feature'): bigint {
    let features = 0n;
    for (const word of [0, 1]) {
      this.write(select, word);
      features |= BigInt(this.read(value)) << (WORD_BITS * BigInt(word));
    }
    return features;
  }

  /**
   * Hands queue `index` its rings (their IOVAs) and enables it; `num` must not exceed the
   * device's maximum. With `vector`, the queue's used-buffer interrupts go to that MSI-X vector
   * (which the caller has wired to an eventfd with VFIO_DEVICE_SET_IRQS); without, none are sent.
   */
  setupQueue(index: number, num: number, rings: { desc: DmaPiece; avail: DmaPiece; used: DmaPiece }, vector = VIRTIO_MSI_NO_VECTOR): void {
    this.write('queue_select', index);
    const max = this.read('queue_size');
    if (max === 0) throw new VirtioPciError(`${this.device.name}: queue ${index} does not exist`);
    if (num > max) throw new VirtioPciError(`${this.device.name}: queue ${index} holds at most ${max} entries, not ${num}`);
    this.write('queue_size', num);
    for (const [lo, hi, piece] of [
      ['queue_desc_lo', 'queue_desc_hi', rings.desc],
      ['queue_avail_lo', 'queue_avail_hi', rings.avail],
      ['queue_used_lo', 'queue_used_hi', rings.used],
    ] as const) {
      this.write(lo, lowWord(piece.iova));
      this.write(hi, highWord(piece.iova));
    }
    this.notifyOffsets[index] = this.read('queue_notify_off') * this.notify.multiplier;
    // The device answers NO_VECTOR when it cannot take the vector (virtio 1.x, 4.1.5.1.2).
    this.write('queue_msix_vector', vector);
    if (this.read('queue_msix_vector') !== vector) throw new VirtioPciError(`${this.device.name}: queue ${index} refused MSI-X vector ${vector}`);
    this.write('queue_enable', 1);
  }

  /** Where configuration-change interrupts go: an MSI-X vector, or none. */
  setConfigVector(vector: number): void {
    this.write('msix_config', vector);
    if (this.read('msix_config') !== vector) throw new VirtioPciError(`${this.device.name}: configuration changes refused MSI-X vector ${vector}`);
  }

  /** DRIVER_OK: the device may use its queues. A device that wants a reset says so here. */
  driverOk(): void {
    this.addStatus(VIRTIO_CONFIG_S_DRIVER_OK);
    if (this.needsReset) throw new VirtioPciError(`${this.device.name}: the device needs a reset`);
  }

  /**
   * Whether the device has met an error it cannot go on from (NEEDS_RESET: a ring it refuses,
   * say) and uses no queue until reset. A driver that sees its chains stop coming back asks this
   * before it waits longer.
   */
  get needsReset(): boolean {
    return (this.status & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0;
  }

  /** Kicks queue `index`: its index written to its doorbell. */
  kick(index: number): void {
    const at = this.notifyOffsets[index];
    // Without setupQueue there is no doorbell offset: the write would go to offset NaN.
    if (at === undefined) throw new VirtioPciError(`${this.device.name}: queue ${index} was kicked before setupQueue`);
    this.notify.regs.write16(this.notify.offset + at, index);
  }

  /** Bytes of the device-specific configuration (virtio_net_config for a net device), read a byte at a time. */
  readDeviceConfig(offset: number, length: number): Uint8Array {
    const w = this.deviceConfig;
    if (!w || offset + length > w.length) throw new VirtioPciError(`${this.device.name}: no device configuration at ${offset}+${length}`);
    return Uint8Array.from({ length }, (_, k) => w.regs.read8(w.offset + offset + k * u8.size));
  }
}
