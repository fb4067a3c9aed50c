/* rdns_metrics.c - a tiny HTTP listener for Prometheus-style /metrics: queries by transport,
 * answers by rcode, truncations, drops, TCP connections, reloads, and each zone's serial.
 * Runs in its own thread with blocking sockets and short timeouts, so a slow scraper can
 * never delay DNS traffic. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "repute/buf.h"
#include "repute/dns.h"

#include "rdns.h"

static const char *const rcode_names[24] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
					     [16] = "BADVERS" };

/* sum - one counter summed over every thread's stats block. */
static uint64_t sum(const struct rdns_server *s, size_t offset)
{
	uint64_t total = 0;

	for (unsigned r = 0; r < s->nreaders; r++)
		total += atomic_load_explicit((_Atomic uint64_t *)((char *)&s->stats[r] + offset), memory_order_relaxed);
	return total;
}

/* render - the metrics text. */
static void render(struct rdns_server *s, unsigned reader, struct buf *b)
{
#define C(name, field, help) \
	buf_printf(b, "# HELP repute_dns_" name " " help "\n# TYPE repute_dns_" name " counter\nrepute_dns_" name " %llu\n", \
		   (unsigned long long)sum(s, offsetof(struct rdns_stats, field)))
	C("queries_total", queries, "queries received");
	C("udp_queries_total", udp, "queries received over UDP");
	C("tcp_queries_total", tcp, "queries received over TCP");
	C("truncated_total", truncated, "UDP answers truncated (TC)");
	C("dropped_total", dropped, "packets dropped without answer");
	C("tcp_connections_total", tcp_conns, "TCP connections accepted");
	C("tcp_refused_total", tcp_refused, "TCP connections closed at the limit");
	C("rrl_dropped_total", rrl_dropped, "UDP responses dropped by rate limiting");
	C("rrl_slipped_total", rrl_slipped, "UDP responses sent truncated by rate limiting");
#undef C
	buf_puts(b, "# HELP repute_dns_responses_total responses by rcode\n# TYPE repute_dns_responses_total counter\n");
	for (int i = 0; i < 24; i++)
		if (rcode_names[i])
			buf_printf(b, "repute_dns_responses_total{rcode=\"%s\"} %llu\n", rcode_names[i],
				   (unsigned long long)sum(s, offsetof(struct rdns_stats, rcode) + (size_t)i * sizeof(uint64_t)));
	buf_printf(b, "# TYPE repute_dns_reloads_total counter\nrepute_dns_reloads_total %llu\n",
		   (unsigned long long)atomic_load(&s->reloads));
	buf_printf(b, "# TYPE repute_dns_last_reload_seconds gauge\nrepute_dns_last_reload_seconds %.3f\n",
		   atomic_load(&s->last_reload_seconds));
	buf_puts(b, "# TYPE repute_dns_zone_serial gauge\n");
	const struct rdns_zoneset *zs = rdns_enter(s, reader);
	for (unsigned i = 0; zs && i < zs->n; i++) {
		char name[1010];
		dns_name_to_text(zs->zones[i].apex, zs->zones[i].apex_len, name, sizeof(name));
		buf_printf(b, "repute_dns_zone_serial{zone=\"%s\"} %u\nrepute_dns_zone_bytes{zone=\"%s\"} %zu\n", name,
			   zone_serial(zs->zones[i].z), name, zone_size(zs->zones[i].z));
	}
	rdns_leave(s, reader);
}

/* serve_one - read a request head and answer it. */
static void serve_one(struct rdns_server *s, unsigned reader, int fd)
{
	char req[2048];
	size_t n = 0;
	struct timeval tv = { 1, 0 };
	struct buf body, resp;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (n < sizeof(req) - 1) {
		ssize_t k = read(fd, req + n, sizeof(req) - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
		req[n] = 0;
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[n] = 0;
	buf_init(&body);
	buf_init(&resp);
	if (strncmp(req, "GET /metrics", 12) == 0) {
		render(s, reader, &body);
		buf_printf(&resp, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n"
				  "Connection: close\r\n\r\n%s", body.len, body.data);
	} else
		buf_puts(&resp, "HTTP/1.0 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n");
	for (size_t off = 0; off < resp.len;) {
		ssize_t k = write(fd, resp.data + off, resp.len - off);
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	buf_fini(&body);
	buf_fini(&resp);
}

/* rdns_metrics_thread - thread body: accept and answer scrapes until stop. */
void *rdns_metrics_thread(void *arg)
{
	struct rdns_thread_arg *a = arg;
	struct timeval tv = { 0, 500000 };

	setsockopt(a->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!atomic_load(&a->s->stop)) {
		int fd = accept(a->fd, NULL, NULL);
		if (fd < 0)
			continue;
		serve_one(a->s, a->reader, fd);
		close(fd);
	}
	return NULL;
}
