/* Golden scenario: a named union member inside a struct (the shape of vhost_vfio_op). */
#include <linux/types.h>

struct demo_op {
	__u64 request;
	__u32 flags;
	__u32 size;
	union {
		__u64 u64;
		struct {
			__u32 index;
			__u32 num;
		} state;
	} payload;
};
