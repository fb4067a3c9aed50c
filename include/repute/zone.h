/* zone.h - DNSBL/DNSWL zones: rbldnsd dataset files in, compact binary snapshots out, and the
 * lookup that repute-dns runs for every query.
 *
 * Building: zone_builder_new(), zone_builder_load() once per dataset (type + files, as in
 * rbldnsd's zone:type:file,file), then zone_builder_build() produces the snapshot image (heap,
 * caller frees with xfree or hands it to zone_open_mem). zone_write_file() writes it
 * atomically. Bad data lines are reported through a warn callback with file:line and skipped;
 * only unreadable files and resource limits fail a load.
 *
 * Serving: zone_open_file() reads a snapshot into read-only, huge-page-backed memory (validated
 * once, so lookups need no bounds checks); zone_lookup() allocates nothing. The format is
 * documented in docs/snapshot-format.md. A struct zone is immutable and may be shared by any
 * number of threads; zone_close() unmaps it (the caller guarantees no reader remains). */
#ifndef REPUTE_ZONE_H
#define REPUTE_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repute/error.h"

#define DNS_NAME_BUF 256

#define ZONE_MAGIC "RPZSNAP1"
#define ZONE_VERSION 1
#define ZONE_MAXDS 16         /* datasets in one zone */
#define ZONE_MAXNS 32         /* NS records at the apex */
#define ZONE_DEFAULT_TTL 2100 /* rbldnsd's default: 35 minutes */

/* A value: what a listed entry answers. Stored as is in snapshots (16 bytes). */
enum { ZV_A = 1, ZV_TXT = 2, ZV_SUBST = 4 /* TXT contains '$' to replace by the subject */ };
struct zone_value {
	uint8_t a[4];     /* A record data (127.0.0.x), valid with ZV_A */
	uint32_t ttl;
	uint32_t txt_off; /* into the string table, valid with ZV_TXT */
	uint16_t txt_len;
	uint8_t flags;
	uint8_t pad;
};

/* zone_warn_fn - one bad line: file, 1-based line, reason. */
typedef void (*zone_warn_fn)(void *ctx, const char *file, unsigned long line, const char *reason);

struct zone_builder;

/* zone_builder_new - a builder for zone name (text); NULL if the name is invalid. */
struct zone_builder *zone_builder_new(const char *zone);
struct zone_builder *zone_builder_free(struct zone_builder *b);
/* zone_builder_set_ttl - default TTL for datasets without $TTL (rbldnsd -t). */
void zone_builder_set_ttl(struct zone_builder *b, uint32_t ttl);
/* zone_builder_set_serial - force the SOA serial (otherwise $SOA's, or the newest file's mtime
 * when $SOA says 0). */
void zone_builder_set_serial(struct zone_builder *b, uint32_t serial);
/* zone_builder_load - parse one dataset: type is ip4set, ip4tset, ip4trie, ip6trie, ip6tset,
 * dnset or generic; paths are its files, read as one. RP_EUNSUPP for an unknown type, RP_EIO
 * (diag names the file) when a file cannot be read, RP_ETOOBIG past ZONE_MAXDS datasets. */
int zone_builder_load(struct zone_builder *b, const char *type, const char *const *paths, size_t npaths,
		      zone_warn_fn warn, void *ctx, struct rp_diag *diag);
/* zone_builder_load_text - the same for a dataset held in memory (name is used in warnings). */
int zone_builder_load_text(struct zone_builder *b, const char *type, const char *name, const char *text,
			   size_t len, zone_warn_fn warn, void *ctx, struct rp_diag *diag);
/* zone_builder_warnings - bad lines seen so far. */
unsigned long zone_builder_warnings(const struct zone_builder *b);
/* zone_builder_build - the snapshot image in *out (caller frees with xfree). */
int zone_builder_build(struct zone_builder *b, void **out, size_t *out_len);

/* zone_write_file - write a snapshot image atomically (temporary file, fsync, rename). */
int zone_write_file(const char *path, const void *image, size_t len);

struct zone;

/* zone_open_file - load and validate a snapshot file (diag says why it was refused). */
int zone_open_file(const char *path, struct zone **out, struct rp_diag *diag);
/* zone_open_mem - validate an image from zone_builder_build and take ownership of it (freed
 * by zone_close, also on failure). */
int zone_open_mem(void *image, size_t len, struct zone **out, struct rp_diag *diag);
struct zone *zone_close(struct zone *z);

/* zone_name - the apex in wire form, lower-cased. */
const uint8_t *zone_name(const struct zone *z, size_t *len);
uint32_t zone_serial(const struct zone *z);
size_t zone_size(const struct zone *z);

/* zone_get_soa - apex SOA fields (names in wire form, pointing into the zone); false if the
 * datasets gave none. */
struct zone_soa {
	const uint8_t *mname, *rname;
	size_t mname_len, rname_len;
	uint32_t ttl, serial, refresh, retry, expire, minimum;
};
bool zone_get_soa(const struct zone *z, struct zone_soa *soa);
/* zone_ns_count, zone_get_ns - apex NS names (wire form) and their TTL. */
unsigned zone_ns_count(const struct zone *z);
const uint8_t *zone_get_ns(const struct zone *z, unsigned i, size_t *len, uint32_t *ttl);
/* zone_txt - the TXT template of a value (not NUL-terminated; v->txt_len bytes). */
const char *zone_txt(const struct zone *z, const struct zone_value *v);

/* Result of a lookup: the name's kind, the parsed subject and one value per matching dataset. */
enum zone_name_kind { ZONE_NAME_OTHER = 0, ZONE_NAME_IP4, ZONE_NAME_IP6 };
struct zone_result {
	enum zone_name_kind kind;
	uint8_t addr[16];  /* the IP queried, network order (4 bytes for IPv4) */
	unsigned n;        /* matches, in dataset order */
	const struct zone_value *v[ZONE_MAXDS];
};
/* zone_lookup - look up the labels before the apex (prefix, wire form without the root
 * label, lower-cased, plen bytes; plen 0 is the apex). Never allocates. */
void zone_lookup(const struct zone *z, const uint8_t *prefix, size_t plen, struct zone_result *res);
/* zone_prefetch - warm the caches for a coming zone_lookup of the same prefix, so a server can
 * overlap the memory latency of a batch of queries: stage 0 prefetches the IPv4 directory
 * entries, stage 1 (after stage 0 for the whole batch) reads them and prefetches the entries. */
void zone_prefetch(const struct zone *z, const uint8_t *prefix, size_t plen, int stage);
/* zone_parse_name, zone_lookup_parsed, zone_prefetch_parsed - the same in steps, so a server
 * parses each name once: zone_parse_name fills res->kind and res->addr (res->n = 0), the other
 * two take that res instead of parsing the prefix again. */
void zone_parse_name(const uint8_t *prefix, size_t plen, struct zone_result *res);
void zone_lookup_parsed(const struct zone *z, const uint8_t *prefix, size_t plen, struct zone_result *res);
void zone_prefetch_parsed(const struct zone *z, const struct zone_result *res, int stage);
/* zone_subject_text - the text that replaces '$' in TXT: the address, or the domain name
 * (prefix as dotted text) for other names. Returns its length. */
size_t zone_subject_text(const struct zone_result *res, const uint8_t *prefix, size_t plen, char *out,
			 size_t cap);

/* Zone contents as ordinary resource records, for zone transfers (AXFR/IXFR). Intervals become
 * names: CIDR blocks aligned on a label boundary become wildcards ("*.2.0.192" for
 * 192.0.2.0/24, nibble-aligned IPv6 prefixes likewise), anything else is expanded into the
 * aligned blocks or single addresses it covers. '$' in TXT is replaced by the address, or by the
 * block in CIDR notation for a wildcard. dnset wildcards become "*.name"; exclusions cannot be
 * expressed in a standard zone and are left out. The apex SOA and NS are not produced (the caller
 * frames the transfer with them). Iteration allocates nothing. */
struct zone_rr {
	uint8_t owner[DNS_NAME_BUF];  /* labels before the apex, wire form without the root */
	size_t owner_len;
	uint16_t type;                /* DNS_T_A or DNS_T_TXT (see dns.h) */
	uint32_t ttl;
	const struct zone_value *v;
	char subject[64];             /* replaces '$' in the TXT */
	/* order key: records come out sorted by (ds, k1, k2, k3, owner, type) in every version of a
	 * zone, so two versions can be merged to compute a difference (zone_rr_cmp) */
	unsigned ds;
	uint64_t k1, k2;
	unsigned k3;
};
struct zone_iter {
	const struct zone *z;
	unsigned ds;
	size_t idx;
	uint64_t pos_hi, pos_lo;      /* next address inside the current interval (128 bits) */
	bool in_interval;
	int pending;                  /* records still to emit for the current name: 2 = A then TXT */
	struct zone_rr cur;
};
void zone_iter_init(struct zone_iter *it, const struct zone *z);
/* zone_iter_next - the next record into rr; false at the end. */
bool zone_iter_next(struct zone_iter *it, struct zone_rr *rr);
/* zone_rr_cmp - order of two records from zone_iter (of the same or another version). */
int zone_rr_cmp(const struct zone_rr *a, const struct zone_rr *b);
/* zone_rr_same - same owner, type, TTL and data (TXT compared after '$' expansion). */
bool zone_rr_same(const struct zone *za, const struct zone_rr *a, const struct zone *zb, const struct zone_rr *b);
/* zone_txt_expand - a TXT template with '$' replaced by subject, into out (cap bytes); returns
 * the length (truncated at cap). */
size_t zone_txt_expand(const struct zone *z, const struct zone_value *v, const char *subject, char *out,
		       size_t cap);

#endif
