/* Golden scenario: a flag family written after its field. */
#include <linux/types.h>

struct demo_info {
	__u32 argsz;
	__u32 flags;
#define DEMO_INFO_FLAG_READ	(1 << 0)	/* readable */
#define DEMO_INFO_FLAG_WRITE	(1 << 1)	/* writable */
#define DEMO_INFO_FLAG_MASK	(DEMO_INFO_FLAG_READ | DEMO_INFO_FLAG_WRITE)
	__u32 count;
};
