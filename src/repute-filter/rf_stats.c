/* rf_stats.c - the counters as "name=value" lines closed by an empty line: the answer to a
 * "request=repute_stats" request on the policy socket (same framing as the policy protocol). */
#include <stdio.h>
#include <time.h>

#include "repute/buf.h"
#include "repute/dnsbl.h"
#include "repute/spf.h"

#include "rf.h"

#define GET(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

/* rf_stats_format - every counter, one per line. */
void rf_stats_format(struct rf_server *s, struct buf *out)
{
	static const char *const actions[] = { "dunno", "prepend", "reject", "defer" };
	struct rf_stats *st = &s->stats;

	buf_printf(out, "uptime=%lld\n", (long long)(time(NULL) - s->started));
	buf_printf(out, "connections=%llu\nconnections_open=%d\nconnections_refused=%llu\n",
		   GET(st->connections), atomic_load(&s->nconn), GET(st->connections_refused));
	buf_printf(out, "requests=%llu\nmalformed=%llu\nstats_requests=%llu\nreloads=%llu\n",
		   GET(st->requests), GET(st->malformed), GET(st->stats_requests), GET(st->reloads));
	for (int i = 0; i < RF_NACTIONS; i++)
		buf_printf(out, "action_%s=%llu\n", actions[i], GET(st->actions[i]));
	buf_printf(out, "dnsbl_listed=%llu\ndnsbl_allowed=%llu\ndnsbl_errors=%llu\ndnsbl_timeouts=%llu\n",
		   GET(st->dnsbl_listed), GET(st->dnsbl_allowed), GET(st->dnsbl_errors), GET(st->dnsbl_timeouts));
	buf_printf(out, "dnsbl_cache_hits=%llu\ndnsbl_cache_entries=%zu\n", GET(st->dnsbl_cache_hits),
		   rp_dnsbl_cache_size(s->cache));
	for (int i = 0; i < 7; i++)
		buf_printf(out, "spf_%s=%llu\n", rp_spf_result_name((enum rp_spf_result)i), GET(st->spf[i]));
	buf_printf(out, "rate_limited_client=%llu\nrate_limited_sender=%llu\n\n", GET(st->rate_client),
		   GET(st->rate_sender));
}
