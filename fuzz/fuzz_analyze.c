/* fuzz_analyze.c - libFuzzer target for the evidence engine: any bytes as a reported message,
 * through the full analysis (MIME, ARF, Received walk, extraction, fingerprint) and the JSON
 * rendering, then the headers-only fast path. Must never crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "repute/evidence.h"

static struct rp_analyze_config config;
static struct rp_analyzer *analyzer;

/* analyzer_get - one analyzer for the whole run, with a trusted network to exercise the walk. */
static struct rp_analyzer *analyzer_get(void)
{
	if (analyzer == NULL) {
		rp_analyze_config_default(&config);
		rp_cidrset_add_text(&config.trust.trusted, "192.0.2.0/24");
		rp_trust_config_add_domain(&config.trust, "example.net");
		config.limits.max_text = 1 << 20;
		analyzer = rp_analyzer_new(&config);
		if (analyzer == NULL)
			abort();
	}
	return analyzer;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_analyzer *an = analyzer_get();
	struct rp_evidence *ev = NULL;
	struct rp_diag diag = { 0 };

	for (unsigned flags = RP_ANALYZE_FULL; flags <= RP_ANALYZE_HEADERS_ONLY; flags++) {
		if (rp_analyze(an, (const char *)data, size, flags, &ev, &diag) == RP_OK) {
			json_t *j = rp_evidence_to_json(ev);
			char *text = json_dumps(j, 0);
			if (text == NULL)
				abort(); /* every string we emit must be valid UTF-8 */
			free(text);
			json_decref(j);
			ev = rp_evidence_free(ev);
		}
	}
	return 0;
}
