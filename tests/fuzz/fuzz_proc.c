/* The /proc parsers: mountinfo, /proc/PID/cgroup, /proc/cgroups, /proc/PID/status.
 * The first byte picks the parser. */
#include "fuzz.h"
#include "lib/mountinfo.h"
#include "probe/procparse.h"
#include "lib/proccgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = fuzz_str(data + 1, size - 1);
	if (!s)
		return 0;
	switch (data[0] % 4) {
	case 0: {
		struct mountinfo mi;
		if (mountinfo_parse(s, &mi) == 0)
			mountinfo_free(&mi);
		break;
	}
	case 1: {
		struct cg_membership m;
		if (cg_membership_parse(s, &m) == 0)
			cg_membership_v2(&m);
		break;
	}
	case 2: {
		static struct cg_controllers c;
		if (cg_controllers_parse(s, &c) == 0)
			cg_controllers_find(&c, "memory");
		break;
	}
	default: {
		struct proc_status st;
		status_parse(s, &st);
	}
	}
	free(s);
	return 0;
}
