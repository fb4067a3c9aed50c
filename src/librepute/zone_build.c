/* zone_build.c - turn a zone builder's raw entries into a snapshot image: intern values,
 * resolve overlapping IP entries into sorted disjoint intervals (the most specific entry wins,
 * exclusions punch holes), merge generic records per name, sort domain entries by hash, and
 * lay everything out as described in docs/snapshot-format.md. Also zone_write_file. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/strutil.h"
#include "repute/zone.h"

#include "zone_int.h"

/* zb_string - append bytes to the string table; returns their offset. */
uint32_t zb_string(struct zone_builder *b, const void *p, size_t n)
{
	uint32_t off = (uint32_t)b->strings.len;
	buf_append(&b->strings, p, n);
	return off;
}

/* value_hash - hash of a value's content for interning. */
static uint64_t value_hash(const struct zone_value *v, const char *txt)
{
	uint64_t h = zs_name_hash((const uint8_t *)v, 8) ^ ((uint64_t)v->flags << 56);
	return h ^ (zs_name_hash((const uint8_t *)txt, v->txt_len) * 31);
}

/* vtab_grow - double the interning table and rehash. */
static void vtab_grow(struct zone_builder *b)
{
	size_t cap = b->vtab_cap ? b->vtab_cap * 2 : 1024;
	uint32_t *t = xcalloc(cap, sizeof(*t));

	for (size_t i = 0; i < b->nv; i++) {
		const struct zone_value *v = &b->values[i];
		size_t h = (size_t)value_hash(v, b->strings.data + v->txt_off) & (cap - 1);
		while (t[h])
			h = (h + 1) & (cap - 1);
		t[h] = (uint32_t)i + 1;
	}
	xfree(b->vtab);
	b->vtab = t;
	b->vtab_cap = cap;
}

/* zb_value - intern a value; returns its index. */
uint32_t zb_value(struct zone_builder *b, const uint8_t a[4], uint32_t ttl, const char *txt, size_t tlen,
		  bool has_txt)
{
	struct zone_value v = { .ttl = ttl, .flags = ZV_A };
	char *copy = NULL;

	if (tlen > 0 && b->strings.data && txt >= b->strings.data && txt < b->strings.data + b->strings.len)
		txt = copy = xmemdup0(txt, tlen); /* appending may move the string table */
	memcpy(v.a, a, 4);
	if (has_txt) {
		v.flags |= ZV_TXT | (memchr(txt, '$', tlen) ? ZV_SUBST : 0);
		v.txt_len = (uint16_t)tlen;
	} else
		txt = "", tlen = 0;
	if (2 * (b->nv + 1) > b->vtab_cap)
		vtab_grow(b);
	size_t h = (size_t)value_hash(&v, txt) & (b->vtab_cap - 1);
	for (; b->vtab[h]; h = (h + 1) & (b->vtab_cap - 1)) {
		const struct zone_value *o = &b->values[b->vtab[h] - 1];
		if (memcmp(o->a, v.a, 4) == 0 && o->ttl == v.ttl && o->flags == v.flags &&
		    o->txt_len == v.txt_len && memcmp(b->strings.data + o->txt_off, txt, tlen) == 0) {
			xfree(copy);
			return b->vtab[h] - 1;
		}
	}
	v.txt_off = zb_string(b, txt, tlen);
	if (b->nv == b->capv) {
		b->capv = b->capv ? b->capv * 2 : 64;
		b->values = xreallocarray(b->values, b->capv, sizeof(*b->values));
	}
	b->values[b->nv] = v;
	b->vtab[h] = (uint32_t)b->nv + 1;
	xfree(copy);
	return (uint32_t)b->nv++;
}

/* range_cmp - by start, then widest first, then line order. */
static int range_cmp(const void *pa, const void *pb)
{
	const struct zb_range *a = pa, *b = pb;
	zu128 wa = a->hi - a->lo, wb = b->hi - b->lo;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (wa != wb)
		return wa > wb ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* merge_runs - merge sorted a[0..na) and b[0..nb) into out. */
static void merge_runs(const struct zb_range *a, size_t na, const struct zb_range *b, size_t nb, struct zb_range *out)
{
	size_t i = 0, j = 0, k = 0;

	while (i < na && j < nb)
		out[k++] = range_cmp(&b[j], &a[i]) < 0 ? b[j++] : a[i++];
	while (i < na)
		out[k++] = a[i++];
	while (j < nb)
		out[k++] = b[j++];
}

/* sort_ranges - natural merge sort: datasets are mostly sorted already (a few long runs), so
 * this costs a pass or two where qsort would do n log n comparisons. */
static void sort_ranges(struct zb_range *r, size_t n)
{
	struct zb_range *tmp = n > 1 ? xmalloc(n * sizeof(*r)) : NULL, *src = r, *dst = tmp;

	while (n > 1) {
		size_t runs = 0;
		for (size_t i = 0; i < n;) {
			size_t a = i + 1;
			while (a < n && range_cmp(&src[a - 1], &src[a]) <= 0)
				a++;
			size_t b = a;
			while (b < n && (b == a || range_cmp(&src[b - 1], &src[b]) <= 0))
				b++;
			merge_runs(src + i, a - i, src + a, b - a, dst + i);
			i = b;
			runs++;
		}
		struct zb_range *t = src;
		src = dst, dst = t;
		if (runs == 1)
			break;
	}
	if (src != r)
		memcpy(r, src, n * sizeof(*r));
	xfree(tmp);
}

/* beats - whether range a takes precedence over b (narrower, then earlier). */
static bool beats(const struct zb_range *a, const struct zb_range *b)
{
	zu128 wa = a->hi - a->lo, wb = b->hi - b->lo;
	return wa != wb ? wa < wb : a->seq < b->seq;
}

/* A binary heap of active ranges, best on top. */
struct rheap {
	const struct zb_range **h;
	size_t n, cap;
};

/* heap_push - add one range. */
static void heap_push(struct rheap *hp, const struct zb_range *r)
{
	if (hp->n == hp->cap) {
		hp->cap = hp->cap ? hp->cap * 2 : 64;
		hp->h = xreallocarray(hp->h, hp->cap, sizeof(*hp->h));
	}
	size_t i = hp->n++;
	while (i > 0 && beats(r, hp->h[(i - 1) / 2])) {
		hp->h[i] = hp->h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	hp->h[i] = r;
}

/* heap_pop - remove the top range. */
static void heap_pop(struct rheap *hp)
{
	const struct zb_range *last = hp->h[--hp->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= hp->n)
			break;
		if (c + 1 < hp->n && beats(hp->h[c + 1], hp->h[c]))
			c++;
		if (!beats(hp->h[c], last))
			break;
		hp->h[i] = hp->h[c];
		i = c;
	}
	if (hp->n > 0)
		hp->h[i] = last;
}

/* emit - append [lo, hi] with val to the output, merging with an adjacent equal interval. */
static void emit(struct zb_range **out, size_t *n, size_t *cap, zu128 lo, zu128 hi, uint32_t val)
{
	if (val == ZS_EXCLUDED)
		return;
	if (*n > 0 && (*out)[*n - 1].val == val && (*out)[*n - 1].hi + 1 == lo) {
		(*out)[*n - 1].hi = hi;
		return;
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		*out = xreallocarray(*out, *cap, sizeof(**out));
	}
	(*out)[(*n)++] = (struct zb_range){ lo, hi, val, 0 };
}

/* flatten - resolve a dataset's raw ranges into disjoint intervals (replaces ds->r). */
static void flatten(struct zb_dataset *ds, zu128 max)
{
	struct zb_range *in = ds->r, *out = NULL;
	size_t n = ds->nr, i = 0, nout = 0, cap = 0;
	struct rheap hp = { 0 };
	zu128 cur = 0;

	sort_ranges(in, n);
	while (i < n || hp.n > 0) {
		if (hp.n == 0 && in[i].lo > cur)
			cur = in[i].lo;
		while (i < n && in[i].lo <= cur)
			heap_push(&hp, &in[i++]);
		while (hp.n > 0 && hp.h[0]->hi < cur)
			heap_pop(&hp);
		if (hp.n == 0)
			continue;
		zu128 end = hp.h[0]->hi;
		if (i < n && in[i].lo - 1 < end)
			end = in[i].lo - 1;
		emit(&out, &nout, &cap, cur, end, hp.h[0]->val);
		if (end == max)
			break;
		cur = end + 1;
	}
	xfree(hp.h);
	xfree(in);
	ds->r = out;
	ds->nr = ds->capr = nout;
}

/* dom_name_cmp - generic records by name, then line order. */
static int dom_name_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct zb_dom *a = pa, *b = pb;
	const char *s = ctx;
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(s + a->name_off, s + b->name_off, n);

	if (c == 0 && a->name_len != b->name_len)
		c = a->name_len < b->name_len ? -1 : 1;
	if (c == 0)
		c = a->seq < b->seq ? -1 : a->seq > b->seq;
	return c;
}

/* same_name - two entries name the same domain. */
static bool same_name(const struct zone_builder *b, const struct zb_dom *x, const struct zb_dom *y)
{
	return x->name_len == y->name_len &&
	       memcmp(b->strings.data + x->name_off, b->strings.data + y->name_off, x->name_len) == 0;
}

/* merge_generic - one entry per name with the first A and the first TXT given for it. */
static void merge_generic(struct zone_builder *b, struct zb_dataset *ds)
{
	size_t out = 0;

	if (ds->nd == 0)
		return;
	qsort_r(ds->d, ds->nd, sizeof(*ds->d), dom_name_cmp, b->strings.data);
	for (size_t i = 0; i < ds->nd;) {
		struct zb_dom m = ds->d[i];
		size_t j = i + 1;
		for (; j < ds->nd && same_name(b, &ds->d[j], &m); j++) {
			const struct zb_dom *o = &ds->d[j];
			if ((o->flags & ZV_A) && !(m.flags & ZV_A))
				memcpy(m.a, o->a, 4), m.flags |= ZV_A;
			if ((o->flags & ZV_TXT) && !(m.flags & ZV_TXT))
				m.txt_off = o->txt_off, m.txt_len = o->txt_len, m.flags |= ZV_TXT;
		}
		uint32_t v = zb_value(b, m.a, m.ttl, b->strings.data + m.txt_off, m.txt_len, m.flags & ZV_TXT);
		if (!(m.flags & ZV_A))
			b->values[v].flags &= (uint8_t)~ZV_A; /* TXT-only names answer no A */
		m.val = v;
		ds->d[out++] = m;
		i = j;
	}
	ds->nd = out;
}

/* dom_hash_cmp - domain entries by hash, kind, then line order. */
static int dom_hash_cmp(const void *pa, const void *pb)
{
	const struct zb_dom *a = pa, *b = pb;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* dedupe_dom - sort by hash and keep the first entry of each (name, kind). */
static void dedupe_dom(struct zone_builder *b, struct zb_dataset *ds)
{
	size_t out = 0;

	if (ds->nd == 0)
		return;
	qsort(ds->d, ds->nd, sizeof(*ds->d), dom_hash_cmp);
	for (size_t i = 0; i < ds->nd; i++) {
		bool dup = false;
		for (size_t k = out; k > 0 && ds->d[k - 1].hash == ds->d[i].hash; k--)
			if (ds->d[k - 1].kind == ds->d[i].kind && same_name(b, &ds->d[k - 1], &ds->d[i]))
				dup = true;
		if (!dup)
			ds->d[out++] = ds->d[i];
	}
	ds->nd = out;
}

/* align8 - round up to a multiple of 8. */
static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* ip4_entries - entries an IPv4 dataset takes: compact ones split every 65536 addresses. */
static size_t ip4_entries(const struct zb_dataset *ds, bool wide)
{
	size_t n = 0;

	if (wide)
		return ds->nr;
	for (size_t i = 0; i < ds->nr; i++)
		n += (size_t)((ds->r[i].hi - ds->r[i].lo) >> 16) + 1;
	return n;
}

/* dataset_bytes - space for one dataset's arrays, recording their offsets from base. */
static size_t dataset_bytes(const struct zb_dataset *ds, struct zs_dataset *zd, size_t base, size_t nvalues)
{
	size_t n = ds->kind == ZS_DOM ? ds->nd : ds->nr, p = base;

	memset(zd, 0, sizeof(*zd));
	zd->kind = ds->kind;
	if (ds->kind == ZS_IP4) {
		bool wide = nvalues > 0xffff;
		zd->flags = wide ? ZS_DS_WIDE : 0;
		n = ip4_entries(ds, wide);
		zd->off[0] = p, p = align8(p + ((1u << ZS_DIRBITS) + 1) * 4);
		zd->off[1] = p, p = align8(p + n * (wide ? sizeof(struct zs_ip4) : sizeof(struct zs_ip4c)));
	} else if (ds->kind == ZS_IP6) {
		zd->off[1] = p, p = align8(p + n * 16);
		zd->off[2] = p, p = align8(p + n * 16);
		zd->off[3] = p, p = align8(p + n * 4);
	} else
		zd->off[1] = p, p = align8(p + n * sizeof(struct zs_dom));
	zd->n = n;
	return p - base;
}

/* fill_ip4 - IPv4 entries (compact or wide) and the directory on their start addresses. */
static void fill_ip4(uint8_t *img, const struct zb_dataset *ds, const struct zs_dataset *zd)
{
	uint32_t *dir = (uint32_t *)(img + zd->off[0]);
	struct zs_ip4 *w = (struct zs_ip4 *)(img + zd->off[1]);
	struct zs_ip4c *c = (struct zs_ip4c *)(img + zd->off[1]);
	size_t k = 0, j = 0;

	for (size_t i = 0; i < ds->nr; i++) {
		uint64_t lo = (uint64_t)ds->r[i].lo, hi = (uint64_t)ds->r[i].hi;
		if (zd->flags & ZS_DS_WIDE) {
			w[k++] = (struct zs_ip4){ (uint32_t)lo, (uint32_t)hi, ds->r[i].val };
			continue;
		}
		for (; lo <= hi; lo += 0x10000) {
			uint64_t end = hi - lo > 0xffff ? lo + 0xffff : hi;
			c[k++] = (struct zs_ip4c){ (uint32_t)lo, (uint16_t)(end - lo), (uint16_t)ds->r[i].val };
		}
	}
	for (uint32_t h = 0; h < (1u << ZS_DIRBITS); h++) {
		uint32_t start = h << (32 - ZS_DIRBITS);
		while (j < k && ((zd->flags & ZS_DS_WIDE) ? w[j].lo : c[j].lo) < start)
			j++;
		dir[h] = (uint32_t)j;
	}
	dir[1u << ZS_DIRBITS] = (uint32_t)k;
}

/* put_u128 - a number as 16 big-endian bytes. */
static void put_u128(uint8_t *p, zu128 x)
{
	for (int i = 15; i >= 0; i--, x >>= 8)
		p[i] = (uint8_t)x;
}

/* fill_dataset - write one dataset's arrays into the image. */
static void fill_dataset(uint8_t *img, const struct zb_dataset *ds, const struct zs_dataset *zd)
{
	if (ds->kind == ZS_IP4) {
		fill_ip4(img, ds, zd);
	} else if (ds->kind == ZS_IP6) {
		uint32_t *val = (uint32_t *)(img + zd->off[3]);
		for (size_t i = 0; i < ds->nr; i++) {
			put_u128(img + zd->off[1] + 16 * i, ds->r[i].lo);
			put_u128(img + zd->off[2] + 16 * i, ds->r[i].hi);
			val[i] = ds->r[i].val;
		}
	} else {
		struct zs_dom *d = (struct zs_dom *)(img + zd->off[1]);
		for (size_t i = 0; i < ds->nd; i++)
			d[i] = (struct zs_dom){ ds->d[i].hash, ds->d[i].name_off, ds->d[i].name_len, ds->d[i].kind, 0,
						ds->d[i].val, 0 };
	}
}

/* fill_header - the fixed header fields. */
static void fill_header(const struct zone_builder *b, struct zs_header *h, uint32_t zone_off)
{
	memcpy(h->magic, ZONE_MAGIC, 8);
	h->version = ZONE_VERSION;
	h->byte_order = ZS_BYTE_ORDER;
	h->created = (uint64_t)time(NULL);
	h->serial = b->serial_forced ? b->serial
		    : b->soa_serial ? b->soa_serial
		    : b->newest_mtime ? (uint32_t)b->newest_mtime : (uint32_t)time(NULL);
	h->flags = b->have_soa ? ZS_HAS_SOA : 0;
	h->soa_ttl = b->soa_ttl, h->refresh = b->refresh, h->retry = b->retry;
	h->expire = b->expire, h->minimum = b->minimum;
	h->ns_ttl = b->ns_ttl;
	h->n_ns = b->n_ns;
	h->n_values = (uint32_t)b->nv;
	h->n_datasets = b->nds;
	h->zone_off = zone_off, h->zone_len = (uint32_t)b->zlen;
	h->mname_off = b->mname_off, h->mname_len = b->mname_len;
	h->rname_off = b->rname_off, h->rname_len = b->rname_len;
}

/* zone_builder_build - resolve entries and lay out the snapshot image. */
int zone_builder_build(struct zone_builder *b, void **out, size_t *out_len)
{
	struct zs_dataset zd[ZONE_MAXDS];
	struct zs_header h = { 0 };

	for (unsigned i = 0; i < b->nds; i++) {
		struct zb_dataset *ds = &b->ds[i];
		if (ds->kind == ZS_IP4)
			flatten(ds, 0xffffffffu);
		else if (ds->kind == ZS_IP6)
			flatten(ds, ~(zu128)0);
		else {
			if (ds->generic)
				merge_generic(b, ds);
			dedupe_dom(b, ds);
		}
	}
	uint32_t zone_off = zb_string(b, b->zone, b->zlen);
	fill_header(b, &h, zone_off);
	size_t p = sizeof(h);
	h.strings_off = p, h.strings_len = b->strings.len, p = align8(p + b->strings.len);
	h.values_off = p, p = align8(p + b->nv * sizeof(struct zone_value));
	h.ns_off = p, p = align8(p + b->n_ns * 8);
	h.datasets_off = p, p = align8(p + b->nds * sizeof(struct zs_dataset));
	for (unsigned i = 0; i < b->nds; i++)
		p += dataset_bytes(&b->ds[i], &zd[i], p, b->nv);
	h.size = p;
	uint8_t *img = xcalloc(1, p);
	memcpy(img, &h, sizeof(h));
	memcpy(img + h.strings_off, b->strings.data, b->strings.len);
	if (b->nv > 0)
		memcpy(img + h.values_off, b->values, b->nv * sizeof(struct zone_value));
	for (uint32_t i = 0; i < b->n_ns; i++) {
		uint32_t pair[2] = { b->ns_off[i], b->ns_len[i] };
		memcpy(img + h.ns_off + 8 * i, pair, 8);
	}
	memcpy(img + h.datasets_off, zd, b->nds * sizeof(struct zs_dataset));
	for (unsigned i = 0; i < b->nds; i++)
		fill_dataset(img, &b->ds[i], &zd[i]);
	*out = img;
	*out_len = p;
	return RP_OK;
}

/* zone_write_file - write a snapshot atomically. */
int zone_write_file(const char *path, const void *image, size_t len)
{
	return file_write_atomic(path, image, len);
}
