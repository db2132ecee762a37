/* Golden scenario: packed and aligned attributes, and a layout that differs on i386. */
#include <linux/types.h>

struct demo_packed {
	__u8 a;
	__u32 b;
	__u16 c;
} __attribute__((packed));

struct demo_aligned {
	__u8 a;
	__aligned_u64 b;
};

struct demo_big {
	__u8 a;
} __attribute__((aligned(16)));

struct demo_u64 {
	__u32 a;
	__u64 b;
};
