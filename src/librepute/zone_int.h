/* zone_int.h - private to the zone_*.c files: the snapshot's on-disk structures and the
 * builder's working state. The layout is documented in docs/snapshot-format.md; change both
 * together and bump ZONE_VERSION. All integers are little-endian (the host order of every
 * platform repute targets; zone_open_* rejects a snapshot written in another order). */
#ifndef ZONE_INT_H
#define ZONE_INT_H

#include <stdint.h>
#include <time.h>

#include "repute/buf.h"
#include "repute/dns.h"
#include "repute/zone.h"

typedef unsigned __int128 zu128;

#define ZS_BYTE_ORDER 0x01020304u
#define ZS_HAS_SOA 1u
#define ZS_EXCLUDED 0xffffffffu /* dnset value of an exclusion entry */
#define ZS_DIRBITS 16           /* IPv4 directory indexed by the top 16 bits */

enum zs_kind { ZS_IP4 = 4, ZS_IP6 = 6, ZS_DOM = 'D' };
enum zs_dom_kind { ZS_DOM_EXACT = 1, ZS_DOM_WILD = 2 };

/* zs_header: the first 192 bytes of a snapshot. Offsets are from the start of the file. */
struct zs_header {
	char magic[8];
	uint32_t version;
	uint32_t byte_order;
	uint64_t size;
	uint64_t created;
	uint32_t serial;
	uint32_t flags;
	uint32_t soa_ttl, refresh, retry, expire, minimum;
	uint32_t ns_ttl;
	uint32_t n_ns;
	uint32_t n_values;
	uint32_t n_datasets;
	uint32_t zone_off, zone_len;   /* in the string table */
	uint32_t mname_off, mname_len;
	uint32_t rname_off, rname_len;
	uint32_t pad;
	uint64_t ns_off;               /* n_ns pairs of uint32 (string offset, length) */
	uint64_t values_off;           /* n_values struct zone_value */
	uint64_t strings_off, strings_len;
	uint64_t datasets_off;         /* n_datasets struct zs_dataset */
	uint8_t reserved[48];
};

/* zs_dataset: one dataset's arrays.
 * ZS_IP4: off[0] directory of 65537 uint32 (dir[h] = first entry whose start >= h << 16),
 *         off[1] entries sorted and disjoint: struct zs_ip4c[n] (8 bytes; intervals longer than
 *         65536 addresses are split) or, with ZS_DS_WIDE (more than 65535 values), struct zs_ip4[n].
 * ZS_IP6: off[1] start [n][16], off[2] end [n][16] (big-endian), off[3] value uint32[n].
 * ZS_DOM: off[1] struct zs_dom[n] sorted by (hash, kind). */
#define ZS_DS_WIDE 1u

struct zs_dataset {
	uint32_t kind;
	uint32_t flags;
	uint64_t n;
	uint64_t off[4];
};

struct zs_ip4 {
	uint32_t lo, hi, val; /* inclusive bounds, host order; value index */
};

struct zs_ip4c {
	uint32_t lo;  /* first address, host order */
	uint16_t len; /* last address - first address */
	uint16_t val; /* value index */
};

struct zs_dom {
	uint64_t hash;      /* zs_name_hash of the name (labels without the root) */
	uint32_t name_off;  /* in the string table */
	uint16_t name_len;
	uint8_t kind;       /* enum zs_dom_kind */
	uint8_t pad;
	uint32_t val;       /* value index or ZS_EXCLUDED */
	uint32_t pad2;
};

_Static_assert(sizeof(struct zs_header) == 192, "snapshot header is 192 bytes");
_Static_assert(sizeof(struct zone_value) == 16, "value is 16 bytes");
_Static_assert(sizeof(struct zs_ip4c) == 8, "compact IPv4 entry is 8 bytes");
_Static_assert(sizeof(struct zs_dom) == 24, "dom entry is 24 bytes");

/* Builder state. */
struct zb_range {
	zu128 lo, hi;
	uint32_t val; /* value index or ZS_EXCLUDED */
	uint32_t seq;
};

struct zb_dom {
	uint64_t hash;
	uint32_t name_off;
	uint16_t name_len;
	uint8_t kind;
	uint32_t val;
	uint32_t seq;
	uint8_t a[4];       /* generic datasets: the record data, merged per name at build */
	uint32_t txt_off, ttl;
	uint16_t txt_len;
	uint8_t flags;
};

struct zb_dataset {
	enum zs_kind kind;
	bool generic;
	struct zb_range *r;
	size_t nr, capr;
	struct zb_dom *d;
	size_t nd, capd;
};

struct zone_builder {
	uint8_t zone[DNS_MAXNAME];
	size_t zlen;
	struct buf strings;
	struct zone_value *values;
	size_t nv, capv;
	uint32_t *vtab;     /* open addressing: value index + 1, 0 = empty */
	size_t vtab_cap;
	struct zb_dataset ds[ZONE_MAXDS];
	unsigned nds;
	bool have_soa, have_ns;
	uint32_t soa_ttl, soa_serial, refresh, retry, expire, minimum;
	uint32_t mname_off, mname_len, rname_off, rname_len;
	uint32_t ns_ttl, n_ns;
	uint32_t ns_off[ZONE_MAXNS], ns_len[ZONE_MAXNS];
	uint32_t def_ttl;
	bool serial_forced;
	uint32_t serial;
	time_t newest_mtime;
	unsigned long warnings;
	uint32_t seq;
};

/* An opened snapshot (zone_snap.c); zone_iter.c reads it too. */
struct zone_ds {
	uint32_t kind;
	size_t n;
	const uint32_t *dir, *val;
	bool wide;
	const struct zs_ip4 *ip4;   /* wide entries */
	const struct zs_ip4c *ip4c; /* compact entries */
	const uint8_t *lo6, *hi6;
	const struct zs_dom *dom;
};

#define HUGE_PAGE ((size_t)2 << 20)

struct zone {
	uint8_t *base;
	size_t size;
	size_t maplen;   /* bytes mapped at base (anonymous, 2 MiB aligned) */
	const struct zs_header *h;
	const char *strings;
	const struct zone_value *values;
	unsigned nds;
	bool has_ip6;
	struct zone_ds ds[ZONE_MAXDS];
};

/* zs_name_hash - FNV-1a over a lower-cased wire name. */
static inline uint64_t zs_name_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* zb_string - append bytes to the string table; returns their offset. */
uint32_t zb_string(struct zone_builder *b, const void *p, size_t n);
/* zb_value - intern a value; returns its index. */
uint32_t zb_value(struct zone_builder *b, const uint8_t a[4], uint32_t ttl, const char *txt, size_t tlen,
		  bool has_txt);

#endif
