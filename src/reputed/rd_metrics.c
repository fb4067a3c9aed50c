/* rd_metrics.c - reputed's counters and histograms (atomics, no locks) and their
 * Prometheus text exposition (version 0.0.4) for GET /metrics. */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "rd.h"

static atomic_long counters[M_N_COUNTERS];

static const struct {
	const char *name, *labels, *help;
} counter_info[M_N_COUNTERS] = {
	[M_REPORTS_HTTP] = { "repute_reports_total", "channel=\"http\"", "reports stored, by channel" },
	[M_REPORTS_SMS] = { "repute_reports_total", "channel=\"sms\"", NULL },
	[M_REPORTS_FORM] = { "repute_reports_total", "channel=\"form\"", NULL },
	[M_REPORTS_OPERATOR] = { "repute_reports_total", "channel=\"operator\"", NULL },
	[M_REPORTS_SMTP] = { "repute_reports_total", "channel=\"smtp\"", NULL },
	[M_DUPLICATES] = { "repute_reports_duplicate_total", NULL, "reports merged into an earlier one" },
	[M_REJECTED] = { "repute_reports_rejected_total", NULL, "submissions refused as not mail" },
	[M_COMMITS] = { "repute_commits_total", NULL, "group commits" },
	[M_COMMITTED_REPORTS] = { "repute_committed_reports_total", NULL, "reports in group commits" },
	[M_COMMIT_FAILURES] = { "repute_commit_failures_total", NULL, "group commits that failed" },
	[M_RATE_LIMITED] = { "repute_rate_limited_total", NULL, "requests answered 429" },
	[M_AUTH_FAILURES] = { "repute_auth_failures_total", NULL, "requests answered 401 or 403" },
};

static const int http_codes[] = { 200, 201, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503 };
#define N_HTTP_CODES (sizeof(http_codes) / sizeof(http_codes[0]))
static atomic_long http_count[N_HTTP_CODES + 1]; /* last: any other */

/* Latency histograms in seconds. */
static const double buckets[] = { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct histogram {
	atomic_long le[N_BUCKETS];
	atomic_long count;
	atomic_long sum_us;
};

static struct histogram commit_hist, intake_hist;

/* rd_now - monotonic clock in seconds. */
double rd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* rd_metrics_inc - add n to a counter. */
void rd_metrics_inc(enum rd_counter c, long n)
{
	atomic_fetch_add_explicit(&counters[c], n, memory_order_relaxed);
}

/* rd_metrics_channel - count a stored report by channel. */
void rd_metrics_channel(const char *channel)
{
	static const struct { const char *name; enum rd_counter c; } map[] = {
		{ "http", M_REPORTS_HTTP }, { "sms", M_REPORTS_SMS },   { "form", M_REPORTS_FORM },
		{ "operator", M_REPORTS_OPERATOR }, { "smtp", M_REPORTS_SMTP },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(channel, map[i].name) == 0)
			rd_metrics_inc(map[i].c, 1);
}

/* rd_metrics_http - count an answer by status. */
void rd_metrics_http(int status)
{
	size_t i = 0;

	while (i < N_HTTP_CODES && http_codes[i] != status)
		i++;
	atomic_fetch_add_explicit(&http_count[i], 1, memory_order_relaxed);
}

/* observe - one sample into a histogram. */
static void observe(struct histogram *h, double seconds)
{
	for (size_t i = 0; i < N_BUCKETS; i++)
		if (seconds <= buckets[i])
			atomic_fetch_add_explicit(&h->le[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, (long)(seconds * 1e6), memory_order_relaxed);
}

/* rd_metrics_commit - one group commit. */
void rd_metrics_commit(long n, double seconds)
{
	rd_metrics_inc(M_COMMITS, 1);
	rd_metrics_inc(M_COMMITTED_REPORTS, n);
	observe(&commit_hist, seconds);
}

/* rd_metrics_intake - one acknowledged report's latency. */
void rd_metrics_intake(double seconds)
{
	observe(&intake_hist, seconds);
}

/* write_histogram - one histogram in exposition format. */
static void write_histogram(struct buf *b, const char *name, const char *help, struct histogram *h)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < N_BUCKETS; i++)
		buf_printf(b, "%s_bucket{le=\"%g\"} %ld\n", name, buckets[i], atomic_load(&h->le[i]));
	buf_printf(b, "%s_bucket{le=\"+Inf\"} %ld\n%s_sum %.6f\n%s_count %ld\n", name, atomic_load(&h->count), name,
		   (double)atomic_load(&h->sum_us) / 1e6, name, atomic_load(&h->count));
}

/* rd_metrics_write - everything, in Prometheus text format. */
void rd_metrics_write(struct rd *rd, struct buf *b)
{
	const char *last = NULL;

	for (int i = 0; i < M_N_COUNTERS; i++) {
		if (last == NULL || strcmp(last, counter_info[i].name) != 0) {
			buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", counter_info[i].name, counter_info[i].help,
				   counter_info[i].name);
			last = counter_info[i].name;
		}
		if (counter_info[i].labels)
			buf_printf(b, "%s{%s} %ld\n", counter_info[i].name, counter_info[i].labels, atomic_load(&counters[i]));
		else
			buf_printf(b, "%s %ld\n", counter_info[i].name, atomic_load(&counters[i]));
	}
	buf_puts(b, "# HELP repute_http_responses_total HTTP answers by status code\n"
		    "# TYPE repute_http_responses_total counter\n");
	for (size_t i = 0; i < N_HTTP_CODES; i++)
		buf_printf(b, "repute_http_responses_total{code=\"%d\"} %ld\n", http_codes[i], atomic_load(&http_count[i]));
	buf_printf(b, "repute_http_responses_total{code=\"other\"} %ld\n", atomic_load(&http_count[N_HTTP_CODES]));
	buf_printf(b, "# HELP repute_writer_queue_depth reports waiting for the writer\n"
		      "# TYPE repute_writer_queue_depth gauge\nrepute_writer_queue_depth %ld\n",
		   rd->writer ? rd_writer_depth(rd->writer) : 0);
	write_histogram(b, "repute_commit_seconds", "time of one group commit including fsync", &commit_hist);
	write_histogram(b, "repute_intake_seconds", "time from request complete to acknowledgement", &intake_hist);
}
