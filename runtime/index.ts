// The runtime's public entry. A program that drives devices imports this (and generated/),
// never the generator.
export type { Backend } from './backend.js';
export { takeEventfd } from './eventfd.js';
export { SyscallError, IoctlError, CapabilityChainError, VhostProtocolError, errnoName } from './errors.js';
export { Container } from './vfio/container.js';
export { Group } from './vfio/group.js';
export { Device } from './vfio/device.js';
export type { DeviceInfo, RegionInfo, IrqInfo } from './vfio/device.js';
export { walkCapabilities } from './vfio/capabilities.js';
export type { Capability } from './vfio/capabilities.js';
export type { VhostTransport } from './vhost/transport.js';
export { VfioVhostTransport } from './vhost/vfio-transport.js';
export { VfioVhostDevice, VHOST_DEVICE_FLAGS } from './vhost/vfio-vhost-device.js';
export { discoverVhostRegions } from './vhost/discover.js';
export { decodeFeatures, featureBit } from './vhost/features.js';
export { SimKernel } from './sim/kernel.js';
export { describeDevices, describeVfio, describeVfioPciDevices } from './devices.js';
export { Registers } from './vfio/registers.js';
export { DmaPool } from './dma-pool.js';
export type { DmaMapper, DmaPiece } from './dma-pool.js';
export { LinuxBackend, LinuxBackendUnavailable } from './linux/backend.js';
export { openTap } from './linux/tap.js';
export { VhostKernelTransport } from './vhost/kernel-transport.js';
// Virtqueues: both ends of the split ring, the devices the runtime simulates, and a device in a worker thread.
export { SplitQueueDriver, DriverRingError, QueueFullError } from './virtio/driver-queue.js';
export type { BufferRef, DmaSpan, Iova } from './virtio/driver-queue.js';
export { SplitQueueDevice, RingError, Chain } from './virtio/device-queue.js';
export type { DmaView, RingFault } from './virtio/device-queue.js';
export type { RingOrdering } from './virtio/ring-words.js';
export { allocSplitRing, ringIovas, splitRingBytes, splitSizes, needEvent, type RingPiece } from './virtio/split-layout.js';
export { NetLoopback } from './virtio/net-loopback.js';
export type { NetStats } from './virtio/net-loopback.js';
export { BlockRamDisk } from './virtio/block.js';
export type { BlockStats } from './virtio/block.js';
export { ThreadedDevice } from './virtio/threaded-device.js';
