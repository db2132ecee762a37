// How a virtio device shows on PCI (virtio 1.x, 4.1.2.1): vendor 0x1AF4 (Red Hat, Inc., the
// Qumranet ID virtio inherited), and a modern (non-transitional) device ID of 0x1040 plus the
// virtio device ID (VIRTIO_ID_NET from linux/virtio_ids.h gives 0x1041). Spec facts, not UAPI.
import { VIRTIO_ID_BLOCK, VIRTIO_ID_NET } from '../../generated/virtio_ids.js';

export const VIRTIO_PCI_VENDOR = 0x1af4;
export const VIRTIO_PCI_MODERN_DEVICE_BASE = 0x1040;
export const VIRTIO_NET_MODERN_DEVICE = VIRTIO_PCI_MODERN_DEVICE_BASE + VIRTIO_ID_NET;
export const VIRTIO_BLK_MODERN_DEVICE = VIRTIO_PCI_MODERN_DEVICE_BASE + VIRTIO_ID_BLOCK;
