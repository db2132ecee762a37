/*
 * Golden scenario: flag families the header's numbers alone do not place or describe.
 * Runs written above their field (virtio_net.h's style), a family of bit numbers
 * (vhost_types.h's VHOST_VRING_F_LOG), families of values taken one at a time (told by their
 * decimal count, or by an override) and a family of flags with a mask. Then io_uring.h's
 * style: runs outside their struct under a comment that names the field.
 */
#include <linux/types.h>

struct demo_ring {
#define DEMO_RING_HDR_F_CSUM	1	/* above the first field: that field's */
#define DEMO_RING_HDR_F_VALID	2
	__u8 flags;
#define DEMO_RING_GSO_NONE	0	/* the names point at gso_type below, not at flags above */
#define DEMO_RING_GSO_TCP	1
#define DEMO_RING_GSO_UDP	3	/* counts in decimal: values, one at a time, without an override */
#define DEMO_RING_GSO_ECN	0x80	/* a bit well above the values, written as a flag: goes with any */
	__u8 gso_type;
#define DEMO_RING_PERM_RO	0x1	/* hex, with a mask of the two bits: flags */
#define DEMO_RING_PERM_WO	0x2
#define DEMO_RING_PERM_RW	0x3
	__u8 perm;
	__u8 reserved;
	__u32 addr_flags;
#define DEMO_RING_F_LOG		0	/* bit numbers: a driver sets 1 << DEMO_RING_F_LOG */
#define DEMO_RING_F_DIRTY	5
	__u32 op;
#define DEMO_RING_OP_READ	1
#define DEMO_RING_OP_WRITE	2
#define DEMO_RING_OP_FLUSH	3
};

struct demo_sqe {
	__u8 opcode;
	__u8 flags;
	__u16 ioprio;
	__u32 timeout_flags;
	__u32 rw_flags;
};

/*
 * sqe->flags
 */
/* use a registered file */
#define DEMO_SQE_FIXED_FILE	(1U << 0)
/* pick the buffer from sqe->ioprio (a note on one flag, not a heading) */
#define DEMO_SQE_BUFFER_SELECT	(1U << 1)

/*
 * sqe->timeout_flags
 */
#define DEMO_TIMEOUT_ABS	(1U << 0)
#define DEMO_LINK_TIMEOUT_UPDATE	(1U << 1)

/* flags for demo_sqe->rw_flags */
#define DEMO_RW_SYNC	(1U << 0)
