/* bench_store.c - the writer's cost per report, without HTTP or threads around it.
 *
 * Analyses the message files named on stdin once (as reputed's intake does: evidence JSON,
 * origin, domains and phone numbers as sources, fingerprint), then stores them all in a
 * fresh SQLite database in group transactions of GROUP reports (each commit fsynced, as in
 * reputed), ROUNDS times under ROUNDS reporters so every report is new, and prints the
 * thread CPU time (and the process CPU time, which adds the store's checkpoint thread) and
 * wall time per report. CPU time holds still on a shared machine, which
 * makes it the figure to compare writer changes by.
 * Usage: bench_store DBPATH [GROUP [ROUNDS]] < list */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "repute/alloc.h"
#include "repute/evidence.h"
#include "repute/message.h"
#include "repute/store.h"
#include "repute/strutil.h"

#define MAX_SOURCES 100

struct prepared {
	char *raw;
	size_t len;
	char *evidence, *message_id, *fingerprint, *origin;
	struct rp_fingerprint fp;
	struct rp_source_ref *src;
	char **values;
	size_t n_src;
};

/* clock_of - seconds on a clock. */
static double clock_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* add_source - one source, copied. */
static void add_source(struct prepared *p, enum rp_source_kind kind, const char *value)
{
	if (p->n_src >= MAX_SOURCES)
		return;
	for (size_t i = 0; i < p->n_src; i++)
		if (p->src[i].kind == kind && strcmp(p->values[i], value) == 0)
			return;
	p->values[p->n_src] = xstrdup(value);
	p->src[p->n_src].kind = kind;
	p->src[p->n_src].value = p->values[p->n_src];
	p->n_src++;
}

/* prepare - analyse one message into p; false when it is not mail. */
static bool prepare(struct rp_analyzer *an, char *raw, size_t len, struct prepared *p)
{
	struct rp_evidence *ev = NULL;
	struct rp_diag diag = { 0 };
	char text[RP_ADDR_STRLEN], value[96], fptext[RP_FP_TEXTLEN];
	enum rp_source_kind kind;

	if (rp_analyze(an, raw, len, RP_ANALYZE_FULL, &ev, &diag) != RP_OK)
		return false;
	memset(p, 0, sizeof(*p));
	p->raw = raw;
	p->len = len;
	json_t *j = rp_evidence_to_json(ev);
	p->evidence = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	const char *mid = ev->subject ? rp_message_header(ev->subject, "Message-ID") : NULL;
	p->message_id = mid ? xstrdup(mid) : NULL;
	p->fp = ev->fingerprint;
	p->fingerprint = ev->fingerprint.n_features ? xstrdup(rp_fingerprint_format(&ev->fingerprint, fptext)) : NULL;
	p->src = xcalloc(MAX_SOURCES, sizeof(*p->src));
	p->values = xcalloc(MAX_SOURCES, sizeof(*p->values));
	if (ev->origin.found) {
		rp_addr_format(&ev->origin.ip, text);
		p->origin = xstrdup(text);
		if (rp_addr_is_public(&ev->origin.ip) && rp_source_classify(text, &kind, value, sizeof(value)) == RP_OK)
			add_source(p, kind, value);
	}
	for (size_t i = 0; i < ev->found.domains.n; i++)
		add_source(p, RP_SRC_DOMAIN, ev->found.domains.items[i]);
	for (size_t i = 0; i < ev->found.phones.n; i++)
		add_source(p, RP_SRC_PHONE, ev->found.phones.items[i]);
	rp_evidence_free(ev);
	return true;
}

/* store_all - every prepared report under reporter, in groups; false on a store error. */
static bool store_all(struct rp_store *st, const char *reporter, struct prepared *v, size_t n, long group)
{
	struct rp_diag diag = { 0 };
	struct rp_report_result res;

	for (size_t i = 0; i < n; i += (size_t)group) {
		if (rp_store_begin(st, &diag) != RP_OK)
			return false;
		for (size_t k = i; k < n && k < i + (size_t)group; k++) {
			struct rp_report_in in = {
				.channel = "http", .reporter_id = reporter, .received_at = (int64_t)time(NULL),
				.raw = v[k].raw, .raw_len = v[k].len, .evidence_json = v[k].evidence,
				.message_id = v[k].message_id, .fingerprint = v[k].fingerprint, .fp = &v[k].fp,
				.origin = v[k].origin, .sources = v[k].src, .n_sources = v[k].n_src,
			};
			if (rp_store_report_add(st, &in, &res, &diag) != RP_OK)
				fprintf(stderr, "report %zu: %s\n", k, diag.reason);
		}
		if (rp_store_commit(st, &diag) != RP_OK) {
			fprintf(stderr, "commit: %s\n", diag.reason);
			return false;
		}
	}
	return true;
}

/* main - load, analyse, store, print. */
int main(int argc, char **argv)
{
	struct rp_analyze_config acfg;
	struct prepared *v = NULL;
	size_t n = 0;
	char path[4096];

	if (argc < 2) {
		fprintf(stderr, "usage: bench_store DBPATH [GROUP [ROUNDS]] < list\n");
		return 2;
	}
	long group = argc > 2 ? atol(argv[2]) : 16, rounds = argc > 3 ? atol(argv[3]) : 1;
	rp_analyze_config_default(&acfg);
	struct rp_analyzer *an = rp_analyzer_new(&acfg);
	while (an != NULL && fgets(path, sizeof(path), stdin)) {
		path[strcspn(path, "\n")] = '\0';
		char *data;
		size_t len;
		if (*path == '\0' || file_read_all(path, 64 << 20, &data, &len) != RP_OK)
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		if (prepare(an, data, len, &v[n]))
			n++;
		else
			xfree(data);
	}
	struct rp_store_config cfg = { .path = argv[1], .fp_match = rp_fingerprint_match };
	struct rp_store *st = NULL;
	struct rp_diag diag = { 0 };
	if (n == 0 || rp_store_open(&cfg, &st, &diag) != RP_OK) {
		fprintf(stderr, "bench_store: %s\n", n == 0 ? "no messages" : diag.reason);
		return 1;
	}
	double cpu = 0, pcpu = 0, wall = 0;
	for (long r = 0; r < rounds; r++) {
		char name[32], id[32];
		snprintf(name, sizeof(name), "bench-%ld", r);
		if (rp_store_reporter_add(st, name, "reporter", id, &diag) != RP_OK)
			return 1;
		double c0 = clock_of(CLOCK_THREAD_CPUTIME_ID), w0 = clock_of(CLOCK_MONOTONIC);
		double p0 = clock_of(CLOCK_PROCESS_CPUTIME_ID);
		if (!store_all(st, id, v, n, group))
			return 1;
		cpu += clock_of(CLOCK_THREAD_CPUTIME_ID) - c0;
		pcpu += clock_of(CLOCK_PROCESS_CPUTIME_ID) - p0;
		wall += clock_of(CLOCK_MONOTONIC) - w0;
	}
	double total = (double)n * (double)rounds;
	printf("store: %.0f reports in groups of %ld: %.1f us CPU (%.1f with the checkpoint thread) and %.1f us wall "
	       "per report (%.0f reports/s on one thread)\n",
	       total, group, cpu / total * 1e6, pcpu / total * 1e6, wall / total * 1e6, total / wall);
	rp_store_close(st);
	rp_analyzer_free(an);
	return 0;
}
