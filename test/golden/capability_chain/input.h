/* Golden scenario: an info struct whose cap_offset starts a capability chain. */
#include <linux/types.h>

struct demo_cap_header {
	__u16 id;
	__u16 version;
	__u32 next;
};

struct demo_info {
	__u32 argsz;
	__u32 flags;
	__u32 cap_offset;	/* first capability, 0 if none */
	__u32 pad;
};

#define DEMO_INFO_CAP_RANGE	1

struct demo_info_cap_range {
	struct demo_cap_header header;
	__u64 start;
	__u64 end;
};

/* A capability with no body beyond the header. */
#define DEMO_INFO_CAP_MARK	2
