/* bench_intake.c - reports per second and latency of reputed's intake, over HTTP or SMTP.
 *
 * Reads message files (one path per line on stdin) into memory, then opens CONNS parallel
 * connections to a running reputed on 127.0.0.1, each in its own thread with plain
 * blocking sockets, and files reports for SECONDS (or until COUNT reports):
 *   http  POST /v1/reports (message/rfc822) on keep-alive connections; connection i
 *         authenticates with key i modulo the keys given (--key may repeat)
 *   smtp  MAIL FROM:<bench-i@bench.example> RCPT TO:<report@bench.example> DATA per message
 *         (MAIL/RCPT/DATA pipelined, then the dot-stuffed text), one session per connection
 * Each connection walks the corpus from its own offset, so with one reporter per connection
 * a message is filed at most once per reporter (new reports, not duplicates) as long as
 * every connection sends fewer reports than there are messages. Every 201/200 (HTTP) or
 * 250 (SMTP) reply comes after the daemon's commit, so the figures include the fsync.
 * Prints accepted (new, duplicate), failed, reports/s and p50/p90/p99/max latency in ms.
 *
 * Usage: bench_intake http|smtp PORT [-c CONNS] [-d SECONDS] [-n COUNT] [--key KEY]... < list */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/error.h"
#include "repute/strutil.h"

#define MAX_KEYS 256

struct corpus {
	char **data;
	size_t *len;
	size_t n;
	size_t bytes;
};

struct opts {
	bool smtp;
	int port;
	int conns;
	double seconds;
	long count;
	const char *keys[MAX_KEYS];
	int n_keys;
};

struct worker {
	const struct opts *o;
	const struct corpus *c;
	int id;
	double *lat;           /* latencies in seconds */
	size_t n_lat, cap_lat;
	long created, duplicates, refused, failed; /* refused: a 4xx/5xx answer */
	char first_error[256];
	pthread_t thread;
};

static atomic_long g_sent;  /* reports started, bounded by o->count */
static double g_deadline;

/* now - monotonic seconds. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* corpus_load - every file named on stdin. */
static void corpus_load(struct corpus *c)
{
	char path[4096];

	memset(c, 0, sizeof(*c));
	while (fgets(path, sizeof(path), stdin)) {
		path[strcspn(path, "\n")] = '\0';
		char *data;
		size_t len;
		if (*path == '\0' || file_read_all(path, 64 << 20, &data, &len) != RP_OK || len == 0)
			continue;
		c->data = xreallocarray(c->data, c->n + 1, sizeof(char *));
		c->len = xreallocarray(c->len, c->n + 1, sizeof(size_t));
		c->data[c->n] = data;
		c->len[c->n++] = len;
		c->bytes += len;
	}
}

/* smtp_text - CRLF line ends, dot-stuffing and the final ".\r\n" for DATA. */
static void smtp_text(const char *data, size_t len, struct buf *out)
{
	bool bol = true;

	for (size_t i = 0; i < len; i++) {
		char ch = data[i];
		if (bol && ch == '.')
			buf_append(out, ".", 1);
		if (ch == '\n' && (i == 0 || data[i - 1] != '\r'))
			buf_append(out, "\r", 1);
		buf_append(out, &ch, 1);
		bol = ch == '\n';
	}
	if (!bol)
		buf_append(out, "\r\n", 2);
	buf_append(out, ".\r\n", 3);
}

/* dial - a connected TCP socket to 127.0.0.1:port, -1 on failure. */
static int dial(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* send_all - write every byte of two pieces; false on error. */
static bool send_all(int fd, const char *a, size_t alen, const char *b, size_t blen)
{
	struct iovec iov[2] = { { (void *)a, alen }, { (void *)b, blen } };
	int n_iov = 2, first = 0;

	while (first < n_iov) {
		ssize_t n = writev(fd, iov + first, n_iov - first);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		size_t left = (size_t)n;
		while (first < n_iov && left >= iov[first].iov_len)
			left -= iov[first++].iov_len;
		if (first < n_iov) {
			iov[first].iov_base = (char *)iov[first].iov_base + left;
			iov[first].iov_len -= left;
		}
	}
	return true;
}

/* rbuf - a connection's read buffer. */
struct rbuf {
	char data[65536];
	size_t len;
};

/* fill - read more bytes; false on EOF or error. */
static bool fill(int fd, struct rbuf *r)
{
	if (r->len == sizeof(r->data))
		return false;
	ssize_t n;
	do
		n = read(fd, r->data + r->len, sizeof(r->data) - r->len);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	r->len += (size_t)n;
	return true;
}

/* consume - drop the first n bytes. */
static void consume(struct rbuf *r, size_t n)
{
	memmove(r->data, r->data + n, r->len - n);
	r->len -= n;
}

/* http_response - read one response; its status (0 on error), the body's start in msg. */
static int http_response(int fd, struct rbuf *r, char *msg, size_t msglen)
{
	char *end;

	for (;;) {
		end = memmem(r->data, r->len, "\r\n\r\n", 4);
		if (end != NULL)
			break;
		if (!fill(fd, r))
			return 0;
	}
	size_t hlen = (size_t)(end - r->data) + 4, clen = 0;
	int status = atoi(r->data + 9);
	for (char *p = r->data; p < end; p++)
		if ((*p == '\n') && strncasecmp(p + 1, "Content-Length:", 15) == 0)
			clen = strtoul(p + 16, NULL, 10);
	while (r->len < hlen + clen)
		if (!fill(fd, r))
			return 0;
	snprintf(msg, msglen, "%.*s", (int)(clen < msglen - 1 ? clen : msglen - 1), r->data + hlen);
	consume(r, hlen + clen);
	return status;
}

/* smtp_reply - read one (possibly multi-line) reply; its code, 0 on error. */
static int smtp_reply(int fd, struct rbuf *r, char *msg, size_t msglen)
{
	for (;;) {
		char *nl = memchr(r->data, '\n', r->len);
		if (nl == NULL) {
			if (!fill(fd, r))
				return 0;
			continue;
		}
		size_t ll = (size_t)(nl - r->data) + 1;
		bool last = ll >= 4 && r->data[3] == ' ';
		int code = atoi(r->data);
		snprintf(msg, msglen, "%.*s", (int)(ll < msglen - 1 ? ll : msglen - 1), r->data);
		consume(r, ll);
		if (last)
			return code;
	}
}

/* take - the right to send one more report; false when the run is over. */
static bool take(const struct opts *o)
{
	if (now() >= g_deadline)
		return false;
	return atomic_fetch_add(&g_sent, 1) < o->count;
}

/* record - one answered report (code: the HTTP status or SMTP reply code, 0 if none). */
static void record(struct worker *w, double seconds, int code, bool ok, bool dup, const char *msg)
{
	if (w->n_lat == w->cap_lat) {
		w->cap_lat = w->cap_lat ? w->cap_lat * 2 : 4096;
		w->lat = xreallocarray(w->lat, w->cap_lat, sizeof(double));
	}
	if (!ok && code >= 400 && code != 500 && code != 503 && code / 10 != 45) {
		if (w->refused++ == 0)
			snprintf(w->first_error, sizeof(w->first_error), "%s", msg);
		return;
	}
	if (!ok) {
		if (w->failed++ == 0)
			snprintf(w->first_error, sizeof(w->first_error), "%s", msg);
		return;
	}
	w->lat[w->n_lat++] = seconds;
	if (dup)
		w->duplicates++;
	else
		w->created++;
}

/* run_http - keep-alive POSTs until the run is over. */
static void run_http(struct worker *w)
{
	const struct opts *o = w->o;
	const char *key = o->keys[w->id % o->n_keys];
	struct rbuf *r = xcalloc(1, sizeof(*r));
	char head[1024], msg[256];
	int fd = dial(o->port);

	for (size_t i = (size_t)w->id * (w->c->n / (size_t)o->conns); fd >= 0 && take(o); i++) {
		size_t m = i % w->c->n;
		int hl = snprintf(head, sizeof(head),
				  "POST /v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
				  "Content-Type: message/rfc822\r\nContent-Length: %zu\r\n\r\n",
				  key, w->c->len[m]);
		double t0 = now();
		if (!send_all(fd, head, (size_t)hl, w->c->data[m], w->c->len[m])) {
			record(w, 0, 0, false, false, "send failed");
			break;
		}
		int st = http_response(fd, r, msg, sizeof(msg));
		record(w, now() - t0, st, st == 201 || st == 200, st == 200, st == 0 ? "connection closed" : msg);
		if (st == 0)
			break;
	}
	if (fd >= 0)
		close(fd);
	xfree(r);
}

/* smtp_cmd - send a command and expect a reply class; false otherwise (msg says why). */
static bool smtp_cmd(int fd, struct rbuf *r, const char *cmd, int want, char *msg, size_t msglen)
{
	if (cmd != NULL && !send_all(fd, cmd, strlen(cmd), "", 0))
		return false;
	int code = smtp_reply(fd, r, msg, msglen);
	return code / 100 == want / 100;
}

/* run_smtp - one session, one transaction per report. */
static void run_smtp(struct worker *w)
{
	const struct opts *o = w->o;
	struct rbuf *r = xcalloc(1, sizeof(*r));
	char cmd[512], msg[256];
	struct buf text;
	int fd = dial(o->port);

	buf_init(&text);
	if (fd < 0 || !smtp_cmd(fd, r, NULL, 220, msg, sizeof(msg)) ||
	    !smtp_cmd(fd, r, "EHLO bench.example\r\n", 250, msg, sizeof(msg))) {
		record(w, 0, 0, false, false, fd < 0 ? "connect failed" : msg);
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<bench-%d@bench.example>\r\nRCPT TO:<report@bench.example>\r\nDATA\r\n",
		 w->id);
	for (size_t i = (size_t)w->id * (w->c->n / (size_t)o->conns); take(o); i++) {
		size_t m = i % w->c->n;
		buf_reset(&text);
		smtp_text(w->c->data[m], w->c->len[m], &text);
		double t0 = now();
		if (!send_all(fd, cmd, strlen(cmd), "", 0) || smtp_reply(fd, r, msg, sizeof(msg)) != 250 ||
		    smtp_reply(fd, r, msg, sizeof(msg)) != 250 || smtp_reply(fd, r, msg, sizeof(msg)) != 354) {
			record(w, 0, 0, false, false, msg);
			break;
		}
		if (!send_all(fd, text.data, text.len, "", 0)) {
			record(w, 0, 0, false, false, "send failed");
			break;
		}
		int code = smtp_reply(fd, r, msg, sizeof(msg));
		record(w, now() - t0, code, code == 250, strstr(msg, "duplicate") != NULL, code == 0 ? "connection closed" : msg);
		if (code == 0)
			break;
	}
	send_all(fd, "QUIT\r\n", 6, "", 0);
out:
	if (fd >= 0)
		close(fd);
	buf_fini(&text);
	xfree(r);
}

/* worker_main - one connection's thread. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (w->o->smtp)
		run_smtp(w);
	else
		run_http(w);
	return NULL;
}

/* cmp_double - qsort order. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* usage - print how to call and exit 2. */
static void usage(void)
{
	fprintf(stderr, "usage: bench_intake http|smtp PORT [-c CONNS] [-d SECONDS] [-n COUNT] [--key KEY]... < list\n");
	exit(2);
}

/* parse_opts - the command line into o. */
static void parse_opts(int argc, char **argv, struct opts *o)
{
	if (argc < 3)
		usage();
	o->smtp = strcmp(argv[1], "smtp") == 0;
	if (!o->smtp && strcmp(argv[1], "http") != 0)
		usage();
	o->port = atoi(argv[2]);
	o->conns = 16;
	o->seconds = 10;
	o->count = 1L << 40;
	for (int i = 3; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "-c") == 0)
			o->conns = atoi(argv[++i]);
		else if (strcmp(argv[i], "-d") == 0)
			o->seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "-n") == 0)
			o->count = atol(argv[++i]);
		else if (strcmp(argv[i], "--key") == 0 && o->n_keys < MAX_KEYS)
			o->keys[o->n_keys++] = argv[++i];
		else
			usage();
	}
	if (o->conns < 1 || o->port <= 0 || (!o->smtp && o->n_keys == 0))
		usage();
}

/* report - sum the workers and print the figures. */
static void report(const struct opts *o, struct worker *ws, double elapsed)
{
	long created = 0, dups = 0, refused = 0, failed = 0;
	size_t n = 0;

	for (int i = 0; i < o->conns; i++)
		n += ws[i].n_lat;
	double *all = xcalloc(n ? n : 1, sizeof(double));
	n = 0;
	for (int i = 0; i < o->conns; i++) {
		created += ws[i].created;
		dups += ws[i].duplicates;
		failed += ws[i].failed;
		refused += ws[i].refused;
		memcpy(all + n, ws[i].lat, ws[i].n_lat * sizeof(double));
		n += ws[i].n_lat;
		if (ws[i].failed || ws[i].refused)
			fprintf(stderr, "connection %d: %ld failed, %ld refused, first: %s", i, ws[i].failed, ws[i].refused,
				ws[i].first_error);
	}
	qsort(all, n, sizeof(double), cmp_double);
#define PCT(p) (n ? all[(size_t)((double)(n - 1) * (p))] * 1e3 : 0.0)
	printf("%s: %d connections, %.1f s: %ld accepted (%ld new, %ld duplicate), %ld refused, %ld failed\n",
	       o->smtp ? "smtp" : "http", o->conns, elapsed, created + dups, created, dups, refused, failed);
	printf("%s: %.0f reports/s, latency ms p50 %.2f p90 %.2f p99 %.2f max %.2f\n", o->smtp ? "smtp" : "http",
	       (double)(created + dups) / elapsed, PCT(0.5), PCT(0.9), PCT(0.99), PCT(1.0));
#undef PCT
	xfree(all);
}

/* main - load, run the connections, print. */
int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct corpus c;

	parse_opts(argc, argv, &o);
	corpus_load(&c);
	if (c.n == 0) {
		fprintf(stderr, "bench_intake: no messages on stdin\n");
		return 2;
	}
	struct worker *ws = xcalloc((size_t)o.conns, sizeof(*ws));
	double t0 = now();
	g_deadline = t0 + o.seconds;
	for (int i = 0; i < o.conns; i++) {
		ws[i] = (struct worker){ .o = &o, .c = &c, .id = i };
		pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);
	}
	for (int i = 0; i < o.conns; i++)
		pthread_join(ws[i].thread, NULL);
	report(&o, ws, now() - t0);
	long failed = 0;
	for (int i = 0; i < o.conns; i++) {
		failed += ws[i].failed;
		xfree(ws[i].lat);
	}
	xfree(ws);
	for (size_t i = 0; i < c.n; i++)
		xfree(c.data[i]);
	xfree(c.data);
	xfree(c.len);
	return failed ? 1 : 0;
}
