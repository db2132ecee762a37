/* Golden scenario: bit-fields, signed and unsigned, straddling no unit of their type. */
#include <linux/types.h>

struct demo_bits {
	__u8 version : 4;
	__u8 ihl : 4;
	__u16 frag : 13;
	__s8 level : 3;
	__u32 rest;
};
