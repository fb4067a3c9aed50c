/* bench_analyze.c - messages per second of the evidence engine on one core.
 *
 * Reads a list of message files (one path per line on stdin) into memory, then analyses
 * every message ROUNDS times with the headers-only path (header + Received/origin analysis)
 * and with the full analysis (MIME, ARF, extraction, fingerprint), and prints messages/s,
 * microseconds per message and the peak resident memory. Usage: bench_analyze [ROUNDS] < list */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/evidence.h"
#include "repute/strutil.h"

struct corpus {
	char **data;
	size_t *len;
	size_t n;
	size_t bytes;
};

/* corpus_load - every file named on stdin. */
static void corpus_load(struct corpus *c)
{
	char path[4096];

	memset(c, 0, sizeof(*c));
	while (fgets(path, sizeof(path), stdin)) {
		path[strcspn(path, "\n")] = '\0';
		char *data;
		size_t len;
		if (*path == '\0' || file_read_all(path, 64 << 20, &data, &len) != RP_OK)
			continue;
		c->data = xreallocarray(c->data, c->n + 1, sizeof(char *));
		c->len = xreallocarray(c->len, c->n + 1, sizeof(size_t));
		c->data[c->n] = data;
		c->len[c->n++] = len;
		c->bytes += len;
	}
}

/* now - monotonic seconds. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* run - analyse the corpus rounds times with flags; returns messages/s. */
static double run(struct rp_analyzer *an, const struct corpus *c, int rounds, unsigned flags, size_t *failed)
{
	double t0 = now();

	*failed = 0;
	for (int r = 0; r < rounds; r++) {
		for (size_t i = 0; i < c->n; i++) {
			struct rp_evidence *ev;
			if (rp_analyze(an, c->data[i], c->len[i], flags, &ev, NULL) != RP_OK) {
				(*failed)++;
				continue;
			}
			rp_evidence_free(ev);
		}
	}
	return (double)c->n * rounds / (now() - t0);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	struct rp_analyze_config cfg;
	struct corpus c;
	struct rusage ru;
	size_t failed;

	corpus_load(&c);
	if (c.n == 0) {
		fprintf(stderr, "bench_analyze: no messages on stdin\n");
		return 1;
	}
	rp_analyze_config_default(&cfg);
	struct rp_analyzer *an = rp_analyzer_new(&cfg);
	if (an == NULL)
		return 1;
	printf("corpus: %zu messages, %.1f MiB, %d rounds each\n", c.n, (double)c.bytes / 1048576.0, rounds);
	double hdr = run(an, &c, rounds, RP_ANALYZE_HEADERS_ONLY, &failed);
	printf("headers+origin: %.0f messages/s (%.2f us/message), %zu failed\n", hdr, 1e6 / hdr, failed / rounds);
	double full = run(an, &c, rounds, RP_ANALYZE_FULL, &failed);
	printf("full analysis:  %.0f messages/s (%.2f us/message), %zu failed\n", full, 1e6 / full, failed / rounds);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS: %.1f MiB (corpus held in memory: %.1f MiB)\n", (double)ru.ru_maxrss / 1024.0,
	       (double)c.bytes / 1048576.0);
	rp_analyzer_free(an);
	rp_trust_config_fini(&cfg.trust);
	for (size_t i = 0; i < c.n; i++)
		xfree(c.data[i]);
	xfree(c.data);
	xfree(c.len);
	return 0;
}
