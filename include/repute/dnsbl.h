/* dnsbl.h - DNSBL/DNSWL lookups of a client address (RFC 5782) through libunbound.
 *
 * A struct rp_dnsbl_conf lists the zones (block lists and allow lists), where to send queries
 * (a per-zone authoritative server, a forwarder, or the system's resolv.conf) and the timeout.
 * A struct rp_dnsbl is one resolver context over a conf; it is NOT thread-safe, so a threaded
 * program makes one per thread. A struct rp_dnsbl_cache is a shared, thread-safe answer cache
 * that several rp_dnsbl may use. rp_dnsbl_check asks every zone at once (A, and TXT for the
 * reason) and waits at most timeout_ms: a zone whose server does not answer in time is reported
 * as RP_DNSBL_TIMEOUT and the others still count (fail open). Listed means an A record in
 * 127.0.0.0/8 other than 127.0.0.1 and 127.255.255.0/24 (the latter are list errors, e.g. a
 * refused public resolver). The conf, the cache and each rp_dnsbl are freed by their *_free /
 * *_fini functions; results are copied into caller storage. */
#ifndef REPUTE_DNSBL_H
#define REPUTE_DNSBL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repute/error.h"
#include "repute/netaddr.h"

#define RP_DNSBL_MAX_ZONES 16

enum rp_dnsbl_kind {
	RP_DNSBL_BLOCK = 0, /* a listing is evidence against the client */
	RP_DNSBL_ALLOW,     /* a listing vouches for the client (DNSWL) */
};

enum rp_dnsbl_status {
	RP_DNSBL_CLEAN = 0, /* NXDOMAIN or no listing code */
	RP_DNSBL_LISTED,
	RP_DNSBL_ERROR,     /* SERVFAIL, an error code from the list, bad answer */
	RP_DNSBL_TIMEOUT,   /* no answer within the timeout */
};

struct rp_dnsbl_zone {
	char *zone;       /* e.g. "bl.example.org" */
	enum rp_dnsbl_kind kind;
	char *server;     /* "127.0.0.1@5353" to ask that server directly (stub), or NULL */
	char *delist_url; /* shown in rejections, may be NULL */
};

struct rp_dnsbl_conf {
	struct rp_dnsbl_zone zones[RP_DNSBL_MAX_ZONES];
	size_t n;
	char *forward;    /* forwarder "addr[@port]" for zones without a server, or NULL */
	bool resolvconf;  /* without forward: use /etc/resolv.conf's servers (else full recursion) */
	long timeout_ms;  /* per check, for all zones together */
	long max_ttl;     /* cache answers at most this long (seconds) */
	long neg_ttl;     /* cache "not listed" this long (seconds) */
};

struct rp_dnsbl_hit {
	const struct rp_dnsbl_zone *zone; /* borrowed from the conf */
	enum rp_dnsbl_status status;
	uint8_t code[4];  /* the first listing A record (127.0.0.x) */
	char txt[256];    /* the TXT reason when listed, may be empty */
	bool cached;
};

struct rp_dnsbl_result {
	struct rp_dnsbl_hit hits[RP_DNSBL_MAX_ZONES]; /* one per zone, in conf order */
	size_t n;
	unsigned listed, allowed, errors, timeouts, cache_hits;
};

struct rp_dnsbl_cache;
struct rp_dnsbl;

/* rp_dnsbl_conf_init - empty conf with timeout 2000 ms, max_ttl 3600, neg_ttl 300. */
void rp_dnsbl_conf_init(struct rp_dnsbl_conf *c);
/* rp_dnsbl_conf_add - add a zone (strings copied); RP_ETOOBIG past RP_DNSBL_MAX_ZONES,
 * RP_EINVAL for an empty zone name. */
int rp_dnsbl_conf_add(struct rp_dnsbl_conf *c, const char *zone, enum rp_dnsbl_kind kind,
		      const char *server, const char *delist_url);
/* rp_dnsbl_conf_fini - free the strings held by c. */
void rp_dnsbl_conf_fini(struct rp_dnsbl_conf *c);

/* rp_dnsbl_cache_new - a shared cache of at most max_entries answers; free with _free. */
struct rp_dnsbl_cache *rp_dnsbl_cache_new(size_t max_entries);
struct rp_dnsbl_cache *rp_dnsbl_cache_free(struct rp_dnsbl_cache *c);
/* rp_dnsbl_cache_size - entries held now. */
size_t rp_dnsbl_cache_size(struct rp_dnsbl_cache *c);

/* rp_dnsbl_new - a resolver context over conf (which must outlive it) and cache (may be NULL).
 * Returns NULL with diag set when libunbound rejects the configuration. */
struct rp_dnsbl *rp_dnsbl_new(const struct rp_dnsbl_conf *conf, struct rp_dnsbl_cache *cache,
			      struct rp_diag *diag);
struct rp_dnsbl *rp_dnsbl_free(struct rp_dnsbl *d);

/* rp_dnsbl_check - look ip up in every zone; returns 0 with out filled (errors and timeouts
 * are per zone in out), or RP_EINVAL for an address without family. */
int rp_dnsbl_check(struct rp_dnsbl *d, const struct rp_addr *ip, struct rp_dnsbl_result *out);

/* rp_dnsbl_query_name - the RFC 5782 query name of ip in zone ("2.0.0.127.zone", IPv6 nibbles)
 * into buf of size; returns 0 or RP_ETOOBIG. */
int rp_dnsbl_query_name(const struct rp_addr *ip, const char *zone, char *buf, size_t size);

/* rp_dnsbl_status_name - "clean", "listed", "error", "timeout". */
const char *rp_dnsbl_status_name(enum rp_dnsbl_status s);

#endif
