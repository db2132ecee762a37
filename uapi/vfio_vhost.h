/* SPDX-License-Identifier: MIT */
/*
 * uapigen proposal header: the vfio-vhost device interface of the July 2019 RFC
 * "[RFC v2] vhost: introduce mdev based hardware vhost backend", restated from its
 * facts (see ../shared/notes/vfio-vhost-device.md), plus what the review of that RFC
 * asked for: regions identified by a VFIO_REGION_INFO_CAP_TYPE capability rather than
 * by fixed indexes alone.
 *
 * This is not a kernel header. It includes the system's own linux/vfio.h and
 * linux/vhost.h and adds only what the RFC adds.
 */
#ifndef UAPIGEN_VFIO_VHOST_H
#define UAPIGEN_VFIO_VHOST_H

#include <stddef.h>
#include <linux/types.h>
#include <linux/vfio.h>
#include <linux/vhost.h>

/*
 * Device flag of a vfio-vhost device, for vfio_device_info.flags. The RFC took bit 6,
 * which linux/vfio.h gives to VFIO_DEVICE_FLAGS_FSL_MC since Linux 4.x: a collision
 * that `uapigen diff` reports. Kept as the RFC wrote it.
 */
#define VFIO_DEVICE_FLAGS_VHOST	(1 << 6)	/* vfio-vhost device */

/* The device API string reported for a vfio-vhost device. */
#define VFIO_DEVICE_API_VHOST_STRING	"vfio-vhost"

/*
 * Fixed region and IRQ indexes of the RFC. A region that is not implemented reports
 * size 0; an IRQ type that is not implemented reports count 0.
 */
enum {
	VFIO_VHOST_CONFIG_REGION_INDEX,
	VFIO_VHOST_NOTIFY_REGION_INDEX,
	VFIO_VHOST_NUM_REGIONS
};

enum {
	VFIO_VHOST_VQ_IRQ_INDEX,
	VFIO_VHOST_ERR_IRQ_INDEX,
	VFIO_VHOST_NUM_IRQS
};

/*
 * VFIO_VHOST_ERR_IRQ_INDEX is uapigen's addition, not the RFC's. The RFC carries vhost's
 * "call" eventfds as VQ IRQs but has no place for the "err" eventfds vhost takes with
 * VHOST_SET_VRING_ERR (a vhost_vring_file, which no vhost_vfio_op payload holds). Without
 * them a driver whose ring the device refuses sees only a queue that stops moving. As a VFIO
 * IRQ the channel keeps the RFC's model: VFIO_DEVICE_SET_IRQS on this index with
 * DATA_EVENTFD | ACTION_TRIGGER attaches one eventfd per queue (start + i), which the device
 * signals when it stops that queue over a ring it refuses, and again at each kick while the
 * queue stays stopped, as vhost does. VFIO_DEVICE_RESET (or RESET_OWNER) starts over.
 */

/*
 * As the review asks: each region also carries a VFIO_REGION_INFO_CAP_TYPE capability
 * naming what it is, so that userspace finds the regions by (type, subtype) and keeps
 * working when their indexes change. Type 4 is the first one linux/vfio.h leaves free.
 */
#define VFIO_REGION_TYPE_VHOST			(4)
#define VFIO_REGION_SUBTYPE_VHOST_CONFIG	(1)
#define VFIO_REGION_SUBTYPE_VHOST_NOTIFY	(2)

/*
 * VHOST_DEVICE_SET_STATE - _IOW(VHOST_VIRTIO, 0x70, __u64)
 *
 * Starts or stops the device's datapath. Carried as a request over the config region.
 */
#define VHOST_DEVICE_SET_STATE	_IOW(VHOST_VIRTIO, 0x70, __u64)

#define VHOST_DEVICE_S_STOPPED	0
#define VHOST_DEVICE_S_RUNNING	1
#define VHOST_DEVICE_S_MAX	2

/*
 * One message on the config region: the driver writes HDR_SIZE + size bytes at offset 0.
 * `request` is a vhost ioctl number; a request that returns data is written with
 * VHOST_VFIO_NEED_REPLY and size 0, and its reply is read back from offset 0.
 */
struct vhost_vfio_op {
	__u64 request;
	__u32 flags;
#define VHOST_VFIO_NEED_REPLY	0x1	/* the driver reads a reply after this request */
	__u32 size;
	union {
		__u64 u64;
		struct vhost_vring_state state;
		struct vhost_vring_addr addr;
	} payload;
};

/* Size of the message header: the offset of `payload`, in the RFC's own idiom. */
#define VHOST_VFIO_OP_HDR_SIZE \
	((unsigned long)&((struct vhost_vfio_op *)NULL)->payload)
#define VHOST_VFIO_OP_PAYLOAD_MAX_SIZE	1024

#endif /* UAPIGEN_VFIO_VHOST_H */
