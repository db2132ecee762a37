/*
 * Golden scenario: flag families the header's numbers alone do not place or describe.
 * Runs written above their field (virtio_net.h's style), a family of bit numbers
 * (vhost_types.h's VHOST_VRING_F_LOG), families of values taken one at a time (told by their
 * decimal count, or by an override) and a family of flags with a mask.
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
