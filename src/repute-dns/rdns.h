/* rdns.h - private header of repute-dns, the authoritative DNSBL/DNSWL server.
 *
 * rdns_main.c    arguments (ours and rbldnsd's), config, sockets, threads, signals
 * rdns_zones.c   loading snapshots and datasets into a zone set; RCU-like swap on reload
 * rdns_answer.c  one query in, one response out (no allocation, no locks)
 * rdns_udp.c     UDP workers: one SO_REUSEPORT socket each, recvmmsg/sendmmsg batches
 * rdns_tcp.c     TCP: one epoll thread, bounded connections, idle timeout, pipelining
 * rdns_metrics.c /metrics over HTTP: queries, answers by rcode, zone serials
 *
 * Zone sets are immutable once published. Readers announce the epoch they read in their
 * struct rdns_reader slot and clear it when done with a batch; a reload publishes the new set,
 * then waits until no slot holds an older epoch before freeing the old set (quiescent-state
 * reclamation), so no query ever sees a freed zone and none is dropped during a swap. */
#ifndef RDNS_H
#define RDNS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "repute/config.h"
#include "repute/dns.h"
#include "repute/zone.h"

#define RDNS_MAXTHREADS 64
#define RDNS_MAXLISTEN 16
#define RDNS_MAXREADERS (RDNS_MAXTHREADS * RDNS_MAXLISTEN + 2)

struct rdns_config {
	struct cfg_list listen;    /* ADDR/PORT items */
	long threads;
	long udp_size;             /* largest UDP response we send with EDNS */
	long tcp_max;              /* simultaneous TCP connections */
	long tcp_idle;             /* seconds */
	char *metrics;             /* ADDR/PORT for /metrics, empty for none */
	struct cfg_list snapshots; /* snapshot files */
	struct cfg_list datasets;  /* zone:type:file items */
	long ttl;                  /* default TTL for datasets */
	char *pidfile;
	char *log_level;
	long rrl_rate;             /* UDP responses per second per client network, 0 = no limit */
	long rrl_slip;             /* every Nth limited response goes out truncated (TC), 0 = never */
	struct cfg_list xfr_allow; /* CIDRs allowed to AXFR/IXFR */
	struct cfg_list notify;    /* ADDR/PORT of secondaries to NOTIFY */
};
extern const struct cfg_opt rdns_config_table[];

/* One zone as served: the snapshot plus precomputed apex records. */
struct rdns_zone {
	struct zone *z;
	const uint8_t *apex;
	size_t apex_len;
	bool has_soa;
	uint32_t soa_ttl, neg_ttl;
	uint8_t soa_rdata[2 * DNS_MAXNAME + 20];
	size_t soa_rdlen;
};

struct rdns_zoneset {
	unsigned n;
	struct rdns_zone *zones;
	_Atomic unsigned refs; /* 1 while published, +1 per zone transfer in progress */
};

/* Counters, one block per thread; written only by their thread, summed by /metrics. */
struct rdns_stats {
	_Atomic uint64_t queries, udp, tcp, truncated, dropped, tcp_conns, tcp_refused, rrl_dropped, rrl_slipped;
	_Atomic uint64_t rcode[24];
};
#define STAT_ADD(p, n) atomic_store_explicit(&(p), atomic_load_explicit(&(p), memory_order_relaxed) + (n), \
					     memory_order_relaxed)
#define STAT_INC(p) STAT_ADD(p, 1)

/* A reader slot: the epoch a thread entered with, 0 when quiescent. */
struct rdns_reader {
	_Atomic uint64_t epoch;
	char pad[56];
};

struct rdns_listen {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int tcp_fd;
	int udp_fd[RDNS_MAXTHREADS];
};

/* Global server state (one per process, owned by main). */
struct rdns_server {
	struct rdns_config cfg;
	_Atomic(struct rdns_zoneset *) zones;
	_Atomic uint64_t epoch;
	struct rdns_reader readers[RDNS_MAXREADERS];
	struct rdns_stats stats[RDNS_MAXREADERS];
	unsigned nreaders;
	atomic_bool stop;
	struct rdns_listen listen[RDNS_MAXLISTEN];
	unsigned nlisten;
	_Atomic uint64_t reloads;          /* written by main, read by /metrics */
	_Atomic double last_reload_seconds;
	/* the set before the last reload, kept (with a reference) for IXFR when secondaries are
	 * notified; swapped by the main thread only, read under the TCP thread's epoch */
	_Atomic(struct rdns_zoneset *) prev;
};

/* rdns_zones.c */
/* rdns_zoneset_load - everything the config names; NULL on failure (logged). */
struct rdns_zoneset *rdns_zoneset_load(const struct rdns_config *cfg);
void rdns_zoneset_free(struct rdns_zoneset *zs);
/* rdns_zoneset_ref, rdns_zoneset_unref - keep a set alive beyond a batch (zone transfers);
 * ref only while inside rdns_enter/rdns_leave; the last unref frees it. */
void rdns_zoneset_ref(struct rdns_zoneset *zs);
void rdns_zoneset_unref(struct rdns_zoneset *zs);
/* rdns_zoneset_find - the zone with the longest apex containing name, or NULL. */
const struct rdns_zone *rdns_zoneset_find(const struct rdns_zoneset *zs, const uint8_t *name, size_t len,
					  size_t *prefix_len);
/* rdns_enter, rdns_leave - bracket a batch of queries on reader slot r; enter returns the set. */
const struct rdns_zoneset *rdns_enter(struct rdns_server *s, unsigned r);
void rdns_leave(struct rdns_server *s, unsigned r);
/* rdns_publish - swap in a new set, wait for readers of the old one, free it. */
void rdns_publish(struct rdns_server *s, struct rdns_zoneset *zs);

/* rdns_answer.c */
/* A parsed query waiting for its answer (one per slot of a batch). */
struct rdns_pending {
	struct dns_query q;
	enum dns_parse_result pr;
	const struct rdns_zone *rz;
	size_t plen;
	struct zone_result res; /* the name parsed once (zone_parse_name), looked up at respond */
};
/* rdns_prepare - parse pkt, find its zone, and start fetching the lookup's memory (stage 0);
 * rdns_prefetch runs stage 1. Together they let a batch overlap its cache misses. */
void rdns_prepare(const struct rdns_zoneset *zs, const uint8_t *pkt, size_t len, struct rdns_pending *p);
void rdns_prefetch(const struct rdns_pending *p);
/* rdns_respond - the response for a prepared query (same arguments as rdns_answer). */
size_t rdns_respond(struct rdns_pending *p, const uint8_t *pkt, uint8_t *out, size_t cap, bool tcp,
		    unsigned max_udp, struct rdns_stats *st);
/* rdns_answer - the response to one query into out (cap bytes); 0 means drop. max_udp is
 * our EDNS payload limit; tcp lifts the size limit to cap. */
size_t rdns_answer(const struct rdns_zoneset *zs, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap,
		   bool tcp, unsigned max_udp, struct rdns_stats *st);

/* rdns_udp.c, rdns_tcp.c, rdns_metrics.c: thread bodies */
struct rdns_thread_arg {
	struct rdns_server *s;
	unsigned reader;
	int fd;
};
void *rdns_udp_worker(void *arg);
void *rdns_tcp_thread(void *arg);
void *rdns_metrics_thread(void *arg);

/* rdns_xfr.c: AXFR/IXFR out over TCP (RFC 5936, RFC 1995) and NOTIFY (RFC 1996) */
struct rdns_xfr;
/* rdns_xfr_start - if pkt is an AXFR/IXFR query we serve for peer, a transfer (else NULL and
 * the caller answers normally: REFUSED). Called inside rdns_enter. */
struct rdns_xfr *rdns_xfr_start(struct rdns_server *s, const struct rdns_zoneset *zs, const uint8_t *pkt,
				size_t len, const struct sockaddr_storage *peer);
/* rdns_xfr_next - the next message of the transfer into out (cap bytes); 0 when finished. */
size_t rdns_xfr_next(struct rdns_xfr *x, uint8_t *out, size_t cap);
void rdns_xfr_free(struct rdns_xfr *x);
/* rdns_notify_all - NOTIFY every configured secondary of every zone (blocking, a few tries). */
void rdns_notify_all(struct rdns_server *s);

/* rdns_main.c */
/* rdns_parse_hostport - "ADDR/PORT", "ADDR" (port dflt), "[v6]:PORT" into a sockaddr. */
int rdns_parse_hostport(const char *text, int dflt_port, struct sockaddr_storage *ss, socklen_t *len);

#endif
