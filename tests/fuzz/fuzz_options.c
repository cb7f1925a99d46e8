/* Option parsers: sizes, CPU counts, counts, signals, names, addresses, subnets,
 * -p specifications, network names, -v / --mount / --tmpfs specifications. */
#include "fuzz.h"
#include "lib/names.h"
#include "netsetup/netconf.h"
#include "lib/parse.h"
#include "runtime/diyc.h"
#include "runtime/storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct dc_err e;
	if (!s)
		return 0;
	uint64_t u;
	long l;
	int sig;
	uint32_t a;
	struct netconf c;
	parse_size(s, &u);
	parse_cpus(s, &u);
	parse_count(s, 1, 4194304, &l);
	parse_signal(s, &sig);
	name_check("container", s, DC_NAME_MAX, &e);
	ip4_parse(s, &a);
	netconf_parse_subnet(s, &c, &e);
	char norm[64];
	struct port_map m[4];
	net_port_parse(s, norm, sizeof(norm), &e);
	ports_split(s, m, 4);
	net_ports_rules(s);
	net_name_check(s, &e);
	static struct run_mount rm;
	mount_parse_volume(s, &rm, &e);
	mount_parse_mount(s, &rm, &e);
	mount_parse_tmpfs(s, &rm, &e);
	free(s);
	return 0;
}
