/* zone_snap.c - open, validate and query zone snapshots.
 *
 * A snapshot is read into 2 MiB-aligned anonymous memory advised for transparent huge pages
 * (the format is position-independent, so mapping the file works as well; reading it costs a few
 * milliseconds and saves a TLB miss per query). It is validated once when opened (every offset, length, index and the interval
 * order), so zone_lookup can trust it and run without checks or allocation: an IPv4 query is a
 * directory step on the top 16 bits and a binary search over a few entries; IPv6 is a binary
 * search over 128-bit intervals; names are a binary search on a 64-bit hash. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repute/alloc.h"
#include "repute/zone.h"

#include "zone_int.h"

/* in_file - whether [off, off + n * size) lies inside the image. */
static bool in_file(const struct zone *z, uint64_t off, uint64_t n, uint64_t size)
{
	return off <= z->size && n <= (z->size - off) / (size ? size : 1) && off % 4 == 0;
}

/* in_strings - whether [off, off + len) lies inside the string table. */
static bool in_strings(const struct zone *z, uint64_t off, uint64_t len)
{
	return off <= z->h->strings_len && len <= z->h->strings_len - off;
}

/* valid_name - a wire name of len bytes in the string table, ending with the root label. */
static bool valid_name(const struct zone *z, uint32_t off, uint32_t len, bool rooted)
{
	if (!in_strings(z, off, len) || len > DNS_MAXNAME)
		return false;
	const uint8_t *p = (const uint8_t *)z->strings + off;
	size_t i = 0;
	while (i < len && p[i] != 0 && p[i] <= DNS_MAXLABEL)
		i += 1 + (size_t)p[i];
	return rooted ? (i == len - 1 && p[i] == 0) : i == len;
}

/* check_ip4 - directory, order and value indexes of an IPv4 dataset. */
static bool check_ip4(const struct zone *z, const struct zone_ds *d)
{
	uint64_t prev_end = 0;

	for (uint32_t i = 0; i <= (1u << ZS_DIRBITS); i++)
		if (d->dir[i] > d->n || (i > 0 && d->dir[i] < d->dir[i - 1]))
			return false;
	if (d->dir[1u << ZS_DIRBITS] != d->n)
		return false;
	for (size_t i = 0; i < d->n; i++) {
		uint64_t lo = d->wide ? d->ip4[i].lo : d->ip4c[i].lo;
		uint64_t hi = d->wide ? d->ip4[i].hi : lo + d->ip4c[i].len;
		uint32_t val = d->wide ? d->ip4[i].val : d->ip4c[i].val;
		if (hi < lo || hi > 0xffffffffu || val >= z->h->n_values || (i > 0 && lo <= prev_end))
			return false;
		prev_end = hi;
	}
	return true;
}

/* check_ds - bounds and contents of one dataset; fills the cached pointers. */
static bool check_ds(struct zone *z, const struct zs_dataset *s, struct zone_ds *d)
{
	d->kind = s->kind;
	d->n = (size_t)s->n;
	if (s->n > z->size)
		return false;
	if (s->kind == ZS_IP4) {
		d->wide = (s->flags & ZS_DS_WIDE) != 0;
		if (!in_file(z, s->off[0], (1u << ZS_DIRBITS) + 1, 4) ||
		    !in_file(z, s->off[1], s->n, d->wide ? sizeof(struct zs_ip4) : sizeof(struct zs_ip4c)))
			return false;
		d->dir = (const uint32_t *)(z->base + s->off[0]);
		d->ip4 = (const struct zs_ip4 *)(z->base + s->off[1]);
		d->ip4c = (const struct zs_ip4c *)(z->base + s->off[1]);
		return check_ip4(z, d);
	}
	if (s->kind == ZS_IP6) {
		if (!in_file(z, s->off[1], s->n, 16) || !in_file(z, s->off[2], s->n, 16) ||
		    !in_file(z, s->off[3], s->n, 4))
			return false;
		d->lo6 = z->base + s->off[1];
		d->hi6 = z->base + s->off[2];
		d->val = (const uint32_t *)(z->base + s->off[3]);
		z->has_ip6 = true;
		for (size_t i = 0; i < d->n; i++)
			if (d->val[i] >= z->h->n_values || memcmp(d->lo6 + 16 * i, d->hi6 + 16 * i, 16) > 0 ||
			    (i > 0 && memcmp(d->lo6 + 16 * i, d->hi6 + 16 * (i - 1), 16) <= 0))
				return false;
		return true;
	}
	if (s->kind != ZS_DOM || !in_file(z, s->off[1], s->n, sizeof(struct zs_dom)))
		return false;
	d->dom = (const struct zs_dom *)(z->base + s->off[1]);
	for (size_t i = 0; i < d->n; i++)
		if ((d->dom[i].val >= z->h->n_values && d->dom[i].val != ZS_EXCLUDED) ||
		    !valid_name(z, d->dom[i].name_off, d->dom[i].name_len, false) || (i > 0 && d->dom[i].hash < d->dom[i - 1].hash))
			return false;
	return true;
}

/* check_header - magic, version, sizes and the fixed tables. */
static const char *check_header(struct zone *z)
{
	const struct zs_header *h = (const struct zs_header *)z->base;

	if (z->size < sizeof(*h) || memcmp(h->magic, ZONE_MAGIC, 8) != 0)
		return "not a zone snapshot";
	if (h->version != ZONE_VERSION || h->byte_order != ZS_BYTE_ORDER)
		return "unsupported snapshot version or byte order";
	if (h->size != z->size)
		return "snapshot size does not match its header (truncated?)";
	z->h = h;
	if (!in_file(z, h->strings_off, h->strings_len, 1) || !in_file(z, h->values_off, h->n_values, 16) ||
	    !in_file(z, h->ns_off, h->n_ns, 8) || h->n_datasets > ZONE_MAXDS || h->n_ns > ZONE_MAXNS ||
	    !in_file(z, h->datasets_off, h->n_datasets, sizeof(struct zs_dataset)))
		return "snapshot table outside the file";
	z->strings = (const char *)z->base + h->strings_off;
	z->values = (const struct zone_value *)(z->base + h->values_off);
	if (!valid_name(z, h->zone_off, h->zone_len, true))
		return "bad zone name";
	if ((h->flags & ZS_HAS_SOA) &&
	    (!valid_name(z, h->mname_off, h->mname_len, true) || !valid_name(z, h->rname_off, h->rname_len, true)))
		return "bad SOA names";
	for (uint32_t i = 0; i < h->n_ns; i++) {
		uint32_t pair[2];
		memcpy(pair, z->base + h->ns_off + 8 * i, 8);
		if (!valid_name(z, pair[0], pair[1], true))
			return "bad NS name";
	}
	for (uint32_t i = 0; i < h->n_values; i++)
		if (!in_strings(z, z->values[i].txt_off, z->values[i].txt_len))
			return "TXT outside the string table";
	return NULL;
}

/* validate - the whole image; NULL when good, else the reason. */
static const char *validate(struct zone *z)
{
	const char *why = check_header(z);

	if (why)
		return why;
	const struct zs_dataset *s = (const struct zs_dataset *)(z->base + z->h->datasets_off);
	z->nds = z->h->n_datasets;
	for (unsigned i = 0; i < z->nds; i++)
		if (!check_ds(z, &s[i], &z->ds[i]))
			return "bad dataset";
	return NULL;
}

/* finish_open - validate z or free it. */
static int finish_open(struct zone *z, struct zone **out, struct rp_diag *diag)
{
	const char *why = validate(z);

	if (why) {
		rp_diag_set(diag, 0, 0, "%s", why);
		zone_close(z);
		return RP_EPARSE;
	}
	*out = z;
	return RP_OK;
}

/* image_alloc - anonymous memory for an image, 2 MiB aligned and advised to use transparent
 * huge pages: a lookup then costs no TLB miss however large the zone. */
static uint8_t *image_alloc(size_t n, size_t *maplen)
{
	size_t len = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uint8_t *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + len < p + len + HUGE_PAGE)
		munmap(a + len, (size_t)(p + len + HUGE_PAGE - (a + len)));
	if (n >= HUGE_PAGE) /* the whole mapping, tail included: at most one page of slack */
		madvise(a, len, MADV_HUGEPAGE);
	*maplen = len;
	return a;
}

/* open_copy - put n bytes read by fill into huge-page memory, protect it, validate it. */
static int open_copy(const void *src, int fd, size_t n, struct zone **out, struct rp_diag *diag)
{
	struct zone *z = xcalloc(1, sizeof(*z));

	z->base = image_alloc(n, &z->maplen);
	z->size = n;
	if (z->base == NULL) {
		rp_diag_set(diag, 0, 0, "cannot map %zu bytes", n);
		xfree(z);
		return RP_ENOMEM;
	}
	if (src)
		memcpy(z->base, src, n);
	for (size_t got = 0; fd >= 0 && got < n;) {
		ssize_t k = read(fd, z->base + got, n - got);
		if (k <= 0) {
			rp_diag_set(diag, 0, 0, "read: %s", k < 0 ? strerror(errno) : "short file");
			zone_close(z);
			return RP_EIO;
		}
		got += (size_t)k;
	}
	mprotect(z->base, z->maplen, PROT_READ);
	return finish_open(z, out, diag);
}

/* zone_open_file - load and validate a snapshot file. */
int zone_open_file(const char *path, struct zone **out, struct rp_diag *diag)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;

	if (fd < 0 || fstat(fd, &sb) != 0 || sb.st_size < (off_t)sizeof(struct zs_header)) {
		rp_diag_set(diag, 0, 0, "%s: %s", path, fd < 0 ? strerror(errno) : "too short");
		if (fd >= 0)
			close(fd);
		return RP_EIO;
	}
	int rc = open_copy(NULL, fd, (size_t)sb.st_size, out, diag);
	close(fd);
	return rc;
}

/* zone_open_mem - validate an image and take ownership of it. */
int zone_open_mem(void *image, size_t len, struct zone **out, struct rp_diag *diag)
{
	int rc = open_copy(image, -1, len, out, diag);

	xfree(image);
	return rc;
}

/* zone_close - unmap; NULL is fine. */
struct zone *zone_close(struct zone *z)
{
	if (z == NULL)
		return NULL;
	munmap(z->base, z->maplen);
	xfree(z);
	return NULL;
}

/* zone_name - the apex, wire form. */
const uint8_t *zone_name(const struct zone *z, size_t *len)
{
	*len = z->h->zone_len;
	return (const uint8_t *)z->strings + z->h->zone_off;
}

/* zone_serial - the SOA serial. */
uint32_t zone_serial(const struct zone *z)
{
	return z->h->serial;
}

/* zone_size - bytes of the image. */
size_t zone_size(const struct zone *z)
{
	return z->size;
}

/* zone_get_soa - the apex SOA, if any. */
bool zone_get_soa(const struct zone *z, struct zone_soa *soa)
{
	const struct zs_header *h = z->h;

	if (!(h->flags & ZS_HAS_SOA))
		return false;
	soa->mname = (const uint8_t *)z->strings + h->mname_off, soa->mname_len = h->mname_len;
	soa->rname = (const uint8_t *)z->strings + h->rname_off, soa->rname_len = h->rname_len;
	soa->ttl = h->soa_ttl, soa->serial = h->serial, soa->refresh = h->refresh;
	soa->retry = h->retry, soa->expire = h->expire, soa->minimum = h->minimum;
	return true;
}

/* zone_ns_count - NS records at the apex. */
unsigned zone_ns_count(const struct zone *z)
{
	return z->h->n_ns;
}

/* zone_get_ns - one NS name. */
const uint8_t *zone_get_ns(const struct zone *z, unsigned i, size_t *len, uint32_t *ttl)
{
	uint32_t pair[2];

	memcpy(pair, z->base + z->h->ns_off + 8 * i, 8);
	*len = pair[1];
	*ttl = z->h->ns_ttl;
	return (const uint8_t *)z->strings + pair[0];
}

/* zone_txt - a value's TXT template. */
const char *zone_txt(const struct zone *z, const struct zone_value *v)
{
	return z->strings + v->txt_off;
}

/* parse_ip4_name - four decimal labels "d.c.b.a" into a.b.c.d. */
static bool parse_ip4_name(const uint8_t *p, size_t n, uint8_t out[4])
{
	size_t i = 0;

	for (int k = 3; k >= 0; k--) {
		if (i >= n)
			return false;
		size_t l = p[i++];
		if (l == 0 || l > 3 || i + l > n)
			return false;
		unsigned v = 0;
		for (size_t j = 0; j < l; j++) {
			if (p[i + j] < '0' || p[i + j] > '9')
				return false;
			v = v * 10 + (unsigned)(p[i + j] - '0');
		}
		if (v > 255)
			return false;
		out[k] = (uint8_t)v;
		i += l;
	}
	return i == n;
}

/* hexval - a lower-case hex digit's value, or -1. */
static int hexval(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* parse_ip6_name - 32 nibble labels, least significant first. */
static bool parse_ip6_name(const uint8_t *p, size_t n, uint8_t out[16])
{
	if (n != 64)
		return false;
	for (int k = 0; k < 32; k++) {
		int v = hexval(p[2 * k + 1]);
		if (p[2 * k] != 1 || v < 0)
			return false;
		int nib = 31 - k;
		if (nib % 2)
			out[nib / 2] = (uint8_t)((out[nib / 2] & 0xf0) | v);
		else
			out[nib / 2] = (uint8_t)((out[nib / 2] & 0x0f) | v << 4);
	}
	return true;
}

/* lookup_ip4 - the value index covering x, or -1: the last entry starting at or before x is
 * either among those starting in x's directory bucket or the one just before them. */
static long lookup_ip4(const struct zone_ds *d, uint32_t x)
{
	uint32_t h = x >> (32 - ZS_DIRBITS);
	size_t lo = d->dir[h], hi = d->dir[h + 1];

	if (d->wide) {
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (d->ip4[mid].lo <= x)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo > 0 && x <= d->ip4[lo - 1].hi ? (long)d->ip4[lo - 1].val : -1;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->ip4c[mid].lo <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && x - d->ip4c[lo - 1].lo <= d->ip4c[lo - 1].len ? (long)d->ip4c[lo - 1].val : -1;
}

/* lookup_ip6 - the value index covering a, or -1. */
static long lookup_ip6(const struct zone_ds *d, const uint8_t a[16])
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (memcmp(d->hi6 + 16 * mid, a, 16) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n && memcmp(d->lo6 + 16 * lo, a, 16) <= 0 ? (long)d->val[lo] : -1;
}

/* find_dom - the entry for (name, kind), or NULL. */
static const struct zs_dom *find_dom(const struct zone *z, const struct zone_ds *d, const uint8_t *name,
				     size_t n, uint8_t kind)
{
	uint64_t hash = zs_name_hash(name, n);
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->dom[mid].hash < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < d->n && d->dom[lo].hash == hash; lo++)
		if (d->dom[lo].kind == kind && d->dom[lo].name_len == n &&
		    memcmp(z->strings + d->dom[lo].name_off, name, n) == 0)
			return &d->dom[lo];
	return NULL;
}

/* lookup_dom - exact entry, else the nearest wildcard of a parent. */
static long lookup_dom(const struct zone *z, const struct zone_ds *d, const uint8_t *name, size_t n)
{
	const struct zs_dom *e = find_dom(z, d, name, n, ZS_DOM_EXACT);

	for (size_t i = 0; e == NULL && i < n;) {
		i += 1 + (size_t)name[i];
		if (i < n)
			e = find_dom(z, d, name + i, n - i, ZS_DOM_WILD);
	}
	return e == NULL || e->val == ZS_EXCLUDED ? -1 : (long)e->val;
}

/* zone_parse_name - the kind of name and its address. */
void zone_parse_name(const uint8_t *prefix, size_t plen, struct zone_result *res)
{
	res->n = 0;
	res->kind = ZONE_NAME_OTHER;
	if (parse_ip4_name(prefix, plen, res->addr))
		res->kind = ZONE_NAME_IP4;
	else if (parse_ip6_name(prefix, plen, res->addr))
		res->kind = ZONE_NAME_IP6;
}

/* ip4_of - the address of bytes a[0..3], host order. */
static uint32_t ip4_of(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* zone_lookup_parsed - every dataset's answer for a name zone_parse_name has parsed. */
void zone_lookup_parsed(const struct zone *z, const uint8_t *prefix, size_t plen, struct zone_result *res)
{
	/* ::ffff:a.b.c.d (RFC 5782's IPv6 test points) is also looked up as a.b.c.d */
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	bool v4mapped = res->kind == ZONE_NAME_IP6 && memcmp(res->addr, mapped, 12) == 0;

	res->n = 0;
	for (unsigned i = 0; i < z->nds; i++) {
		const struct zone_ds *d = &z->ds[i];
		long v = -1;
		if (d->kind == ZS_IP4 && res->kind == ZONE_NAME_IP4)
			v = lookup_ip4(d, ip4_of(res->addr));
		else if (d->kind == ZS_IP4 && v4mapped && !z->has_ip6)
			v = lookup_ip4(d, ip4_of(res->addr + 12));
		else if (d->kind == ZS_IP6 && res->kind == ZONE_NAME_IP6)
			v = lookup_ip6(d, res->addr);
		else if (d->kind == ZS_DOM)
			v = lookup_dom(z, d, prefix, plen);
		if (v >= 0)
			res->v[res->n++] = &z->values[v];
	}
}

/* zone_lookup - every dataset's answer for the labels before the apex. */
void zone_lookup(const struct zone *z, const uint8_t *prefix, size_t plen, struct zone_result *res)
{
	zone_parse_name(prefix, plen, res);
	zone_lookup_parsed(z, prefix, plen, res);
}

/* zone_prefetch_parsed - prefetch what lookup_ip4 will read for a parsed IPv4 name. */
void zone_prefetch_parsed(const struct zone *z, const struct zone_result *res, int stage)
{
	if (res->kind != ZONE_NAME_IP4)
		return;
	uint32_t h = ip4_of(res->addr) >> (32 - ZS_DIRBITS);
	for (unsigned i = 0; i < z->nds; i++) {
		const struct zone_ds *d = &z->ds[i];
		if (d->kind != ZS_IP4)
			continue;
		if (stage == 0) {
			__builtin_prefetch(&d->dir[h]);
			continue;
		}
		/* every line the binary search may touch, from the entry before the bucket to its last */
		size_t lo = d->dir[h], hi = d->dir[h + 1];
		size_t esz = d->wide ? sizeof(struct zs_ip4) : sizeof(struct zs_ip4c);
		const uint8_t *first = (const uint8_t *)(d->wide ? (const void *)d->ip4 : (const void *)d->ip4c);
		const uint8_t *p = first + (lo > 0 ? lo - 1 : 0) * esz, *end = first + (hi > 0 ? hi - 1 : 0) * esz;
		for (unsigned k = 0; k < 4 && p <= end; k++, p += 64)
			__builtin_prefetch(p);
		__builtin_prefetch(end);
	}
}

/* zone_prefetch - prefetch what lookup_ip4 will read. */
void zone_prefetch(const struct zone *z, const uint8_t *prefix, size_t plen, int stage)
{
	struct zone_result res;

	zone_parse_name(prefix, plen, &res);
	zone_prefetch_parsed(z, &res, stage);
}

/* zone_subject_text - the '$' replacement for this query. */
size_t zone_subject_text(const struct zone_result *res, const uint8_t *prefix, size_t plen, char *out, size_t cap)
{
	char tmp[1010];
	int n;

	if (res->kind == ZONE_NAME_IP4)
		n = snprintf(out, cap, "%u.%u.%u.%u", res->addr[0], res->addr[1], res->addr[2], res->addr[3]);
	else if (res->kind == ZONE_NAME_IP6)
		n = inet_ntop(AF_INET6, res->addr, out, (socklen_t)cap) ? (int)strlen(out) : 0;
	else {
		n = dns_name_to_text(prefix, plen, tmp, sizeof(tmp));
		n = n < 0 ? 0 : snprintf(out, cap, "%s", tmp);
	}
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}
