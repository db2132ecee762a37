/* Golden scenario: an argsz-extensible ioctl encoded as _IO, declared _IOWR in its doc comment. */
#include <linux/types.h>
#include <linux/ioctl.h>

#define DEMO_TYPE	'D'

/**
 * DEMO_GET_INFO - _IOWR(DEMO_TYPE, 1, struct demo_info)
 *
 * Fills in the info; argsz says how much room the caller has.
 */
struct demo_info {
	__u32 argsz;
	__u32 flags;
	__u64 size;
};
#define DEMO_GET_INFO	_IO(DEMO_TYPE, 1)

/* Encoded with its size: the number itself says write, 8 bytes. */
#define DEMO_SET_MODE	_IOW(DEMO_TYPE, 2, __u64)
