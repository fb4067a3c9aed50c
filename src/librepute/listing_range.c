/* listing_range.c - CIDR range listings of the listing policy (include/repute/listing.h):
 * a block of IPv4 addresses is listed only when enough addresses inside it are listed by
 * their own evidence, its collateral (addresses covered without evidence) stays within the
 * policy's caps, and it overlaps no whitelisted provider network. Widest qualifying block
 * first; blocks inside a chosen one are not listed again. */
#include <stdlib.h>
#include <string.h>

#include "repute/listing.h"

/* addr4 - an IPv4 address as a host-order number. */
static uint32_t addr4(const struct rp_addr *a)
{
	return (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 | (uint32_t)a->b[2] << 8 | a->b[3];
}

/* cmp_addr - qsort order of IPv4 addresses. */
static int cmp_addr(const void *a, const void *b)
{
	uint32_t x = addr4(&((const struct rp_range_addr *)a)->addr);
	uint32_t y = addr4(&((const struct rp_range_addr *)b)->addr);

	return x < y ? -1 : x > y;
}

/* block_cidr - the aligned block of prefix len holding v. */
static void block_cidr(uint32_t v, int len, struct rp_cidr *c)
{
	uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
	uint32_t net = v & mask;

	memset(c, 0, sizeof(*c));
	c->addr.family = 4;
	c->addr.b[0] = (uint8_t)(net >> 24);
	c->addr.b[1] = (uint8_t)(net >> 16);
	c->addr.b[2] = (uint8_t)(net >> 8);
	c->addr.b[3] = (uint8_t)net;
	c->len = (uint8_t)len;
}

/* inside_chosen - the block's network address lies in a range already chosen. */
static bool inside_chosen(const struct rp_range_listing *out, size_t n, const struct rp_cidr *c)
{
	for (size_t i = 0; i < n; i++)
		if (rp_cidr_contains(&out[i].cidr, &c->addr))
			return true;
	return false;
}

/* qualifies - enough listed addresses, collateral within both caps, no whitelisted network. */
static bool qualifies(const struct rp_listing_policy *p, const struct rp_whitelist *w, const struct rp_range_listing *r)
{
	if (r->listed < p->range_min)
		return false;
	if (r->collateral > p->collateral_max || r->collateral * 100 > p->collateral_percent * r->listed)
		return false;
	return w == NULL || !rp_whitelist_overlaps(w, &r->cidr);
}

/* scan_prefix - choose the qualifying blocks of one prefix length; returns the new count. */
static size_t scan_prefix(const struct rp_listing_policy *p, const struct rp_whitelist *w,
			  const struct rp_range_addr *a, size_t n, int len, struct rp_range_listing *out, size_t k,
			  size_t max)
{
	uint32_t mask = 0xffffffffu << (32 - len);

	for (size_t i = 0; i < n && k < max;) {
		struct rp_range_listing r = { 0 };
		uint32_t net = addr4(&a[i].addr) & mask;
		size_t j = i;
		for (; j < n && (addr4(&a[j].addr) & mask) == net; j++) {
			if (j > i && addr4(&a[j].addr) == addr4(&a[j - 1].addr))
				continue; /* the same address twice counts once */
			r.evidence++;
			r.listed += a[j].listed;
		}
		block_cidr(net, len, &r.cidr);
		r.collateral = (long)((1ul << (32 - len)) - (unsigned long)r.evidence);
		if (qualifies(p, w, &r) && !inside_chosen(out, k, &r.cidr))
			out[k++] = r;
		i = j;
	}
	return k;
}

/* rp_listing_ranges - the ranges the policy lists, widest first. */
size_t rp_listing_ranges(const struct rp_listing_policy *p, const struct rp_whitelist *w, struct rp_range_addr *addrs,
			 size_t n, struct rp_range_listing *out, size_t max)
{
	size_t k = 0, m = 0;

	if (p->range_min < 2 || n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) /* keep IPv4 only, in place */
		if (addrs[i].addr.family == 4)
			addrs[m++] = addrs[i];
	qsort(addrs, m, sizeof(*addrs), cmp_addr);
	for (int len = (int)p->range_prefix_min; len <= 31 && k < max; len++)
		k = scan_prefix(p, w, addrs, m, len, out, k, max);
	return k;
}
