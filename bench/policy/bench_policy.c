/* bench_policy.c - load generator for the repute-filter policy service (issue 7, benchmark).
 *
 * Usage: bench_policy [-c CONNS] [-d DEPTH] [-t SECONDS] [-w WARM_SECONDS] [-n CLIENTS] PORT
 * Opens CONNS connections to 127.0.0.1:PORT, one thread each, and keeps DEPTH requests in
 * flight on each (pipelined, as the policy protocol allows: answers come back in order). The
 * requests are what Postfix sends at RCPT: CLIENTS distinct client addresses 10.0.X.Y (run.sh
 * lists 10.0.0.0/24 in its rbldnsd zone, so a quarter of them are rejected), senders in
 * example.org (SPF pass for 10.0.0.0/16) and soft.example.org (softfail), varied recipients.
 * A warm-up phase asks every client address once, so the measured phase runs on a warm DNSBL
 * cache. Prints decisions/s, the action mix and latency percentiles (send to answer, which
 * includes the time a request waits behind the others pipelined on its connection). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "repute/alloc.h"

#define HIST_US 200000 /* latency histogram: 1 us buckets up to 200 ms, then one overflow */
#define MAX_DEPTH 1024

struct bench_opts {
	int port, conns, depth, clients;
	double secs, warm;
};

struct worker {
	const struct bench_opts *o;
	int id;
	uint64_t done, reject, prepend, dunno, other, errors;
	uint32_t *hist; /* HIST_US + 1 buckets */
	double t_start, t_end; /* the measured phase, the same for every connection */
};

/* now_s - monotonic time in seconds. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bench_connect - a TCP connection to 127.0.0.1:port, or -1. */
static int bench_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* make_request - request number n of worker w into buf; returns its length. */
static int make_request(const struct worker *w, uint64_t n, char *buf, size_t size)
{
	unsigned c = (unsigned)((n * 2654435761u + (uint64_t)w->id * 97u) % (unsigned)w->o->clients);
	const char *dom = (n % 10 == 3) ? "soft.example.org" : "example.org";

	return snprintf(buf, size,
		"request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
		"client_address=10.0.%u.%u\nclient_name=unknown\nreverse_client_name=unknown\n"
		"helo_name=mx%u.example.org\nsender=user%u@%s\nrecipient=rcpt%u@example.net\n"
		"recipient_count=0\nqueue_id=\ninstance=%x.%llx\nsize=%u\netrn_domain=\n"
		"stress=\nsasl_method=\nsasl_username=\nsasl_sender=\nccert_subject=\n"
		"ccert_issuer=\nccert_fingerprint=\nencryption_protocol=TLSv1.3\n"
		"encryption_cipher=TLS_AES_256_GCM_SHA384\nencryption_keysize=256\n\n",
		c / 250, c % 250 + 1, c, (unsigned)(n % 1000), dom, (unsigned)(n % 5000),
		w->id, (unsigned long long)n, 1000 + (unsigned)(n % 50000));
}

/* count_answer - classify one answer's action line. */
static void count_answer(struct worker *w, const char *a, size_t len)
{
	if (len > 13 && memcmp(a, "action=REJECT", 13) == 0)
		w->reject++;
	else if (len > 14 && memcmp(a, "action=PREPEND", 14) == 0)
		w->prepend++;
	else if (len >= 12 && memcmp(a, "action=DUNNO", 12) == 0)
		w->dunno++;
	else
		w->other++;
}

/* run_phase - pipelined requests on fd until t_end; records latencies when hist is set. */
static int run_phase(struct worker *w, int fd, uint64_t *seq, double t_end, uint32_t *hist,
		     uint64_t limit)
{
	double sent_at[MAX_DEPTH];
	size_t head = 0, tail = 0, inflight = 0;
	char out[65536], in[65536];
	size_t inlen = 0;
	uint64_t started = 0;
	int depth = w->o->depth;

	for (;;) {
		size_t olen = 0;
		bool more = now_s() < t_end && (limit == 0 || started < limit);

		while (more && inflight < (size_t)depth && olen + 2048 < sizeof(out)) {
			olen += (size_t)make_request(w, (*seq)++, out + olen, sizeof(out) - olen);
			sent_at[tail] = now_s();
			tail = (tail + 1) % MAX_DEPTH;
			inflight++;
			started++;
			more = limit == 0 || started < limit;
		}
		for (size_t off = 0; off < olen;) {
			ssize_t k = write(fd, out + off, olen - off);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return -1;
			off += (size_t)k;
		}
		if (inflight == 0)
			return 0;
		ssize_t k = read(fd, in + inlen, sizeof(in) - inlen);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		inlen += (size_t)k;
		size_t pos = 0;
		for (;;) {
			char *end = memmem(in + pos, inlen - pos, "\n\n", 2);
			if (!end)
				break;
			double lat = now_s() - sent_at[head];
			head = (head + 1) % MAX_DEPTH;
			inflight--;
			if (hist) {
				long us = (long)(lat * 1e6);
				hist[us < HIST_US ? us : HIST_US]++;
				count_answer(w, in + pos, (size_t)(end - (in + pos)));
				w->done++;
			}
			pos = (size_t)(end - in) + 2;
		}
		memmove(in, in + pos, inlen - pos);
		inlen -= pos;
	}
}

/* worker_main - one connection: warm-up over every client address, then the measured phase. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t seq = 0;
	int fd = bench_connect(w->o->port);

	if (fd < 0) {
		w->errors++;
		return NULL;
	}
	/* warm-up: each connection asks its share of the addresses, plus a time-bounded tail */
	if (run_phase(w, fd, &seq, w->t_start, NULL,
		      (uint64_t)w->o->clients * 2 / (uint64_t)w->o->conns + 1) < 0 ||
	    run_phase(w, fd, &seq, w->t_start, NULL, 0) < 0 ||
	    run_phase(w, fd, &seq, w->t_end, w->hist, 0) < 0)
		w->errors++;
	close(fd);
	return NULL;
}

/* percentile - latency in microseconds below which fraction p of the samples fall. */
static double percentile(const uint64_t *hist, uint64_t total, double p)
{
	uint64_t want = (uint64_t)((double)total * p), acc = 0;

	for (long i = 0; i <= HIST_US; i++) {
		acc += hist[i];
		if (acc > want)
			return (double)i;
	}
	return (double)HIST_US;
}

/* usage - print the usage line and exit 2. */
static void usage(void)
{
	fprintf(stderr, "usage: bench_policy [-c CONNS] [-d DEPTH] [-t SECONDS] [-w WARM] [-n CLIENTS] PORT\n");
	exit(2);
}

/* main - options, the connection threads, then the summed figures. */
int main(int argc, char **argv)
{
	struct bench_opts o = { .conns = 8, .depth = 16, .clients = 1000, .secs = 10, .warm = 1 };
	int ch;

	while ((ch = getopt(argc, argv, "c:d:t:w:n:")) != -1) {
		switch (ch) {
		case 'c': o.conns = atoi(optarg); break;
		case 'd': o.depth = atoi(optarg); break;
		case 't': o.secs = atof(optarg); break;
		case 'w': o.warm = atof(optarg); break;
		case 'n': o.clients = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind + 1 != argc || o.conns < 1 || o.conns > 1000 || o.depth < 1 ||
	    o.depth > MAX_DEPTH / 2 || o.clients < 1 || o.clients > 64000 || o.secs <= 0)
		usage();
	o.port = atoi(argv[optind]);

	struct worker *ws = xcalloc((size_t)o.conns, sizeof(*ws));
	pthread_t *th = xcalloc((size_t)o.conns, sizeof(*th));
	double t0 = now_s();
	/* the measured phase of every connection ends at the same instant */
	double warm_bound = (double)o.clients * 2.0 / 5000.0 + 2.0;

	for (int i = 0; i < o.conns; i++) {
		ws[i] = (struct worker){ .o = &o, .id = i, .hist = xcalloc(HIST_US + 1, sizeof(uint32_t)) };
		ws[i].t_start = t0 + warm_bound + o.warm;
		ws[i].t_end = ws[i].t_start + o.secs;
		pthread_create(&th[i], NULL, worker_main, &ws[i]);
	}
	uint64_t *hist = xcalloc(HIST_US + 1, sizeof(uint64_t));
	uint64_t done = 0, rej = 0, pre = 0, dun = 0, oth = 0, err = 0;
	for (int i = 0; i < o.conns; i++) {
		pthread_join(th[i], NULL);
		for (long b = 0; b <= HIST_US; b++)
			hist[b] += ws[i].hist[b];
		done += ws[i].done;
		rej += ws[i].reject;
		pre += ws[i].prepend;
		dun += ws[i].dunno;
		oth += ws[i].other;
		err += ws[i].errors;
		free(ws[i].hist);
	}
	/* every connection measures the same window [t_start, t_end): answers of requests sent
	 * before t_start are not counted, so the rate is answers / window length */
	double rate = done / o.secs;
	printf("connections=%d depth=%d clients=%d seconds=%.1f\n", o.conns, o.depth, o.clients, o.secs);
	printf("decisions=%llu decisions_per_s=%.0f errors=%llu\n", (unsigned long long)done, rate,
	       (unsigned long long)err);
	printf("actions: reject=%llu prepend=%llu dunno=%llu other=%llu\n", (unsigned long long)rej,
	       (unsigned long long)pre, (unsigned long long)dun, (unsigned long long)oth);
	if (done)
		printf("latency_us: p50=%.0f p90=%.0f p99=%.0f p99.9=%.0f over_200ms=%llu\n",
		       percentile(hist, done, 0.50), percentile(hist, done, 0.90),
		       percentile(hist, done, 0.99), percentile(hist, done, 0.999),
		       (unsigned long long)hist[HIST_US]);
	free(hist);
	free(ws);
	free(th);
	return err ? 1 : 0;
}
