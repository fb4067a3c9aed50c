/* fuzz_dns_zone.c - libFuzzer target for zone data: the input is parsed as an rbldnsd dataset
 * of the type chosen by its first byte, built into a snapshot and looked up; then the input's
 * bytes are opened as a snapshot image directly (validation must reject or accept safely). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "repute/alloc.h"
#include "repute/dns.h"
#include "repute/zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* probe - a few lookups of every kind. */
static void probe(const struct zone *z)
{
	static const char *const names[] = { "2.0.0.127", "1.2.3.4", "test", "a.b.example.com", "",
		"2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint8_t wire[DNS_MAXNAME];
		struct zone_result res;
		char subj[300];
		int n = dns_name_from_text(names[i], wire);
		zone_lookup(z, wire, (size_t)n - 1, &res);
		zone_subject_text(&res, wire, (size_t)n - 1, subj, sizeof(subj));
		for (unsigned k = 0; k < res.n; k++)
			(void)zone_txt(z, res.v[k]);
	}
}

/* LLVMFuzzerTestOneInput - one input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "ip4set", "ip4trie", "ip6trie", "ip6tset", "dnset", "generic" };
	struct zone *z;

	if (size < 1)
		return 0;
	struct zone_builder *b = zone_builder_new("bl.example");
	zone_builder_load_text(b, types[data[0] % 6], "fuzz", (const char *)data + 1, size - 1, NULL, NULL, NULL);
	void *img;
	size_t len;
	zone_builder_build(b, &img, &len);
	zone_builder_free(b);
	if (zone_open_mem(img, len, &z, NULL) != 0)
		__builtin_trap(); /* what we build must always validate */
	probe(z);
	zone_close(z);
	void *copy = xmalloc(size);
	memcpy(copy, data, size);
	if (zone_open_mem(copy, size, &z, NULL) == 0) {
		probe(z);
		zone_close(z);
	}
	return 0;
}
