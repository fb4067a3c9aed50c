/* zone_iter.c - a zone snapshot as ordinary resource records, for zone transfers: IPv4/IPv6
 * intervals become reversed names (label-aligned CIDR blocks as wildcards, the rest expanded),
 * dnset entries become names and "*.name" wildcards, each with its A and TXT ('$' replaced by
 * the address or block). Exclusions have no standard-zone equivalent and are left out (the
 * intervals already exclude them for IP datasets). See zone.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "repute/zone.h"

#include "zone_int.h"

/* zone_iter_init - start at the first dataset. */
void zone_iter_init(struct zone_iter *it, const struct zone *z)
{
	memset(it, 0, sizeof(*it));
	it->z = z;
}

/* zone_txt_expand - a TXT template with '$' replaced. */
size_t zone_txt_expand(const struct zone *z, const struct zone_value *v, const char *subject, char *out, size_t cap)
{
	const char *t = zone_txt(z, v);
	size_t n = 0, sl = strlen(subject);

	for (size_t i = 0; i < v->txt_len && n < cap; i++) {
		if (t[i] == '$' && (v->flags & ZV_SUBST)) {
			size_t k = sl < cap - n ? sl : cap - n;
			memcpy(out + n, subject, k);
			n += k;
		} else
			out[n++] = t[i];
	}
	return n;
}

/* put_label - append one label to a wire name. */
static void put_label(struct zone_rr *rr, const char *text)
{
	size_t l = strlen(text);
	rr->owner[rr->owner_len++] = (uint8_t)l;
	memcpy(rr->owner + rr->owner_len, text, l);
	rr->owner_len += l;
}

/* interval_bounds - start and end of interval i of an IP dataset, as 128-bit numbers; *last
 * is the last entry it spans (compact IPv4 entries split at 65536 addresses are joined again). */
static void interval_bounds(const struct zone_ds *d, size_t i, zu128 *lo, zu128 *hi, uint32_t *val, size_t *last)
{
	*last = i;
	if (d->kind == ZS_IP4) {
		if (d->wide) {
			*lo = d->ip4[i].lo, *hi = d->ip4[i].hi, *val = d->ip4[i].val;
			return;
		}
		size_t j = i;
		while (j + 1 < d->n && d->ip4c[j + 1].val == d->ip4c[i].val &&
		       (uint64_t)d->ip4c[j + 1].lo == (uint64_t)d->ip4c[j].lo + d->ip4c[j].len + 1)
			j++;
		*lo = d->ip4c[i].lo, *hi = (zu128)d->ip4c[j].lo + d->ip4c[j].len, *val = d->ip4c[i].val;
		*last = j;
		return;
	}
	zu128 a = 0, b = 0;
	for (int k = 0; k < 16; k++) {
		a = a << 8 | d->lo6[16 * i + k];
		b = b << 8 | d->hi6[16 * i + k];
	}
	*lo = a, *hi = b, *val = d->val[i];
}

/* block_bits - log2 of the largest aligned block at pos within [pos, hi]. */
static unsigned block_bits(zu128 pos, zu128 hi, unsigned width)
{
	unsigned k = 0;

	while (k < width && !((pos >> k) & 1) && (k + 1 == 128 || pos + ((zu128)1 << (k + 1)) - 1 <= hi))
		k++;
	return k;
}

/* ip4_name - the unit at pos (unit = 2^bits addresses) as a reversed name; sets subject. */
static void ip4_name(struct zone_rr *rr, uint32_t a, unsigned bits)
{
	unsigned keep = 4 - bits / 8; /* octets in the name */
	char lab[8];

	rr->owner_len = 0;
	if (keep < 4)
		put_label(rr, "*");
	for (int o = (int)keep - 1; o >= 0; o--) {
		snprintf(lab, sizeof(lab), "%u", (a >> (24 - 8 * o)) & 255);
		put_label(rr, lab);
	}
	if (bits == 0)
		snprintf(rr->subject, sizeof(rr->subject), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	else
		snprintf(rr->subject, sizeof(rr->subject), "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
			 a & 255, 32 - bits);
}

/* ip6_name - the unit at pos (2^bits addresses, bits a multiple of 4) as a nibble name. */
static void ip6_name(struct zone_rr *rr, zu128 a, unsigned bits)
{
	uint8_t b[16];
	char lab[2] = { 0, 0 }, text[INET6_ADDRSTRLEN];

	for (int k = 15; k >= 0; k--, a >>= 8)
		b[k] = (uint8_t)a;
	rr->owner_len = 0;
	if (bits > 0)
		put_label(rr, "*");
	for (int nib = 31 - (int)(bits / 4); nib >= 0; nib--) {
		lab[0] = "0123456789abcdef"[(b[nib / 2] >> (nib % 2 ? 0 : 4)) & 15];
		put_label(rr, lab);
	}
	inet_ntop(AF_INET6, b, text, sizeof(text));
	if (bits == 0)
		snprintf(rr->subject, sizeof(rr->subject), "%s", text);
	else
		snprintf(rr->subject, sizeof(rr->subject), "%s/%u", text, 128 - bits);
}

/* next_ip_unit - the next name of an IP dataset into it->cur; false when the dataset is done. */
static bool next_ip_unit(struct zone_iter *it, const struct zone_ds *d)
{
	zu128 lo, hi, pos;
	uint32_t val;
	size_t last;

	if (it->idx >= d->n)
		return false;
	interval_bounds(d, it->idx, &lo, &hi, &val, &last);
	pos = it->in_interval ? ((zu128)it->pos_hi << 64 | it->pos_lo) : lo;
	unsigned width = d->kind == ZS_IP4 ? 32 : 128;
	unsigned k = block_bits(pos, hi, width);
	unsigned unit = d->kind == ZS_IP4 ? (k >= 24 ? 24 : k >= 16 ? 16 : k >= 8 ? 8 : 0) : k / 4 * 4;
	if (d->kind == ZS_IP4)
		ip4_name(&it->cur, (uint32_t)pos, unit);
	else
		ip6_name(&it->cur, pos, unit);
	it->cur.v = &it->z->values[val];
	it->cur.ds = it->ds;
	it->cur.k1 = (uint64_t)(pos >> 64), it->cur.k2 = (uint64_t)pos, it->cur.k3 = 255 - unit;
	zu128 next = pos + ((zu128)1 << unit);
	bool done = unit == 128 || next - 1 >= hi || next == 0;
	it->in_interval = !done;
	it->pos_hi = (uint64_t)(next >> 64), it->pos_lo = (uint64_t)next;
	if (done)
		it->idx = last + 1;
	return true;
}

/* next_dom_unit - the next dnset/generic name into it->cur; false when the dataset is done. */
static bool next_dom_unit(struct zone_iter *it, const struct zone_ds *d)
{
	while (it->idx < d->n && d->dom[it->idx].val == ZS_EXCLUDED)
		it->idx++;
	if (it->idx >= d->n)
		return false;
	const struct zs_dom *e = &d->dom[it->idx++];
	struct zone_rr *rr = &it->cur;
	rr->ds = it->ds;
	rr->k1 = e->hash, rr->k2 = e->kind, rr->k3 = 0;
	rr->owner_len = 0;
	if (e->kind == ZS_DOM_WILD)
		put_label(rr, "*");
	memcpy(rr->owner + rr->owner_len, it->z->strings + e->name_off, e->name_len);
	rr->owner_len += e->name_len;
	char text[1010];
	if (dns_name_to_text((const uint8_t *)it->z->strings + e->name_off, e->name_len, text, sizeof(text)) < 0)
		text[0] = 0;
	snprintf(rr->subject, sizeof(rr->subject), "%s", e->name_len ? text : "");
	rr->v = &it->z->values[e->val];
	return true;
}

/* zone_rr_cmp - order of two records. */
int zone_rr_cmp(const struct zone_rr *a, const struct zone_rr *b)
{
	if (a->ds != b->ds)
		return a->ds < b->ds ? -1 : 1;
	if (a->k1 != b->k1)
		return a->k1 < b->k1 ? -1 : 1;
	if (a->k2 != b->k2)
		return a->k2 < b->k2 ? -1 : 1;
	if (a->k3 != b->k3)
		return a->k3 < b->k3 ? -1 : 1;
	if (a->owner_len != b->owner_len)
		return a->owner_len < b->owner_len ? -1 : 1;
	int c = memcmp(a->owner, b->owner, a->owner_len);
	if (c != 0)
		return c;
	return a->type < b->type ? -1 : a->type > b->type;
}

/* zone_rr_same - equal records, TXT compared as sent. */
bool zone_rr_same(const struct zone *za, const struct zone_rr *a, const struct zone *zb, const struct zone_rr *b)
{
	char ta[4096], tb[4096];

	if (zone_rr_cmp(a, b) != 0 || a->ttl != b->ttl)
		return false;
	if (a->type == DNS_T_A)
		return memcmp(a->v->a, b->v->a, 4) == 0;
	size_t na = zone_txt_expand(za, a->v, a->subject, ta, sizeof(ta));
	size_t nb = zone_txt_expand(zb, b->v, b->subject, tb, sizeof(tb));
	return na == nb && memcmp(ta, tb, na) == 0;
}

/* zone_iter_next - the next record. */
bool zone_iter_next(struct zone_iter *it, struct zone_rr *rr)
{
	for (;;) {
		if (it->pending > 0) {
			const struct zone_value *v = it->cur.v;
			int which = it->pending--;
			uint16_t type = which == 2 ? DNS_T_A : DNS_T_TXT;
			if ((type == DNS_T_A && !(v->flags & ZV_A)) || (type == DNS_T_TXT && !(v->flags & ZV_TXT)))
				continue;
			*rr = it->cur;
			rr->type = type;
			rr->ttl = v->ttl;
			return true;
		}
		if (it->ds >= it->z->nds)
			return false;
		const struct zone_ds *d = &it->z->ds[it->ds];
		bool more = d->kind == ZS_DOM ? next_dom_unit(it, d) : next_ip_unit(it, d);
		if (!more) {
			it->ds++;
			it->idx = 0;
			it->in_interval = false;
			continue;
		}
		it->pending = 2;
	}
}
