/* The kernel-config parser (probe/kconfig.c). */
#include "fuzz.h"
#include "probe/kconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct kconfig kc;
	if (s && kconfig_parse_owned(s, &kc) == 0) {
		kconfig_get(&kc, "CONFIG_PID_NS");
		kconfig_get(&kc, "CONFIG_");
		kconfig_get(&kc, "");
	}
	kconfig_free(&kc);
	return 0;
}
