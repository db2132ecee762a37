/* Golden scenario: a flexible array member counted by a sibling field. */
#include <linux/types.h>

struct demo_area {
	__u64 offset;
	__u64 size;
};

struct demo_areas {
	__u32 nr_areas;
	__u32 reserved;
	struct demo_area areas[];
};
