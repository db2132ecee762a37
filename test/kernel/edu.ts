// QEMU's `edu` teaching device (PCI 1234:11e8), as QEMU's docs/specs/edu.rst describes it: the
// registers of BAR0, its DMA engine and its interrupt. These are facts of an emulated test
// device, not of any UAPI header, so they live with the kernel tests.
export const EDU = {
  vendor: 0x1234,
  device: 0x11e8,
  /** 0x00: identification, 0xRRrr00ed (major, minor revision). */
  ID: 0x00,
  idValue: 0x010000ed,
  /** 0x04: liveness check; reads back the bitwise inverse of what was written. */
  LIVENESS: 0x04,
  /** 0x24: interrupt status; 0x60 raises (ORs the value in); 0x64 acknowledges (clears bits). */
  IRQ_STATUS: 0x24,
  IRQ_RAISE: 0x60,
  IRQ_ACK: 0x64,
  /** 64-bit DMA registers: source, destination, byte count, command. */
  DMA_SRC: 0x80,
  DMA_DST: 0x88,
  DMA_COUNT: 0x90,
  DMA_CMD: 0x98,
  DMA_START: 0x1,
  /** Command bit: 0 copies RAM to the device's buffer, 1 the other way. */
  DMA_TO_RAM: 0x2,
  /** The device's own 4 KiB DMA buffer, at this address in its DMA address space. */
  BUFFER: 0x40000n,
  BUFFER_SIZE: 4096,
  /**
   * The longest transfer: QEMU 7.2's range check wants the end strictly inside the buffer, and
   * a transfer that fills it exactly stops QEMU with a hardware error ("DMA range ... out of
   * bounds"), so one byte short of the whole buffer.
   */
  DMA_MAX: 4095,
  /** edu masks every DMA address to 28 bits: IOVAs must be below 256 MiB. */
  DMA_ADDRESS_BITS: 28,
} as const;
