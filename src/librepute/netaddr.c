/* netaddr.c - IP address parsing, formatting, scope classification and small CIDR sets. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "repute/alloc.h"
#include "repute/error.h"
#include "repute/netaddr.h"

int rp_addr_parse_n(const char *text, size_t n, struct rp_addr *out)
{
	char tmp[64];

	if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
		text++;
		n -= 2;
	}
	if (n > 5 && strncasecmp(text, "IPv6:", 5) == 0) {
		text += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(tmp))
		return RP_EINVAL;
	memcpy(tmp, text, n);
	tmp[n] = '\0';

	struct rp_addr a = { 0 };
	if (inet_pton(AF_INET, tmp, a.b) == 1) {
		a.family = 4;
	} else if (inet_pton(AF_INET6, tmp, a.b) == 1) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		a.family = 6;
		if (memcmp(a.b, mapped, 12) == 0) {
			memmove(a.b, a.b + 12, 4);
			memset(a.b + 4, 0, 12);
			a.family = 4;
		}
	} else {
		return RP_EINVAL;
	}
	*out = a;
	return RP_OK;
}

int rp_addr_parse(const char *text, struct rp_addr *out)
{
	return rp_addr_parse_n(text, strlen(text), out);
}

/* format_v4 - dotted quad without stdio (this is on the per-message hot path). */
static void format_v4(const uint8_t *b, char *buf)
{
	char *p = buf;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

char *rp_addr_format(const struct rp_addr *a, char *buf)
{
	if (a->family == 4)
		format_v4(a->b, buf);
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->b, buf, RP_ADDR_STRLEN);
	else
		strcpy(buf, "none");
	return buf;
}

bool rp_addr_equal(const struct rp_addr *a, const struct rp_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

/* Special-purpose ranges (IANA IPv4/IPv6 special-purpose registries), precomputed so that a
 * lookup is a few mask-and-compare steps with no parsing and no mutable state. First match wins. */
#define V4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define V4MASK(len) ((uint32_t)(0xffffffffu << (32 - (len))))

static const struct scope_rule4 {
	uint32_t net, mask;
	enum rp_addr_scope scope;
} scope_rules4[] = {
	{ V4(127, 0, 0, 0), V4MASK(8), RP_SCOPE_LOOPBACK },
	{ V4(10, 0, 0, 0), V4MASK(8), RP_SCOPE_PRIVATE },
	{ V4(172, 16, 0, 0), V4MASK(12), RP_SCOPE_PRIVATE },
	{ V4(192, 168, 0, 0), V4MASK(16), RP_SCOPE_PRIVATE },
	{ V4(169, 254, 0, 0), V4MASK(16), RP_SCOPE_LINKLOCAL },
	{ V4(100, 64, 0, 0), V4MASK(10), RP_SCOPE_CGNAT },
	{ V4(0, 0, 0, 0), V4MASK(8), RP_SCOPE_RESERVED },
	{ V4(192, 0, 0, 0), V4MASK(24), RP_SCOPE_RESERVED },
	{ V4(192, 0, 2, 0), V4MASK(24), RP_SCOPE_RESERVED },
	{ V4(198, 18, 0, 0), V4MASK(15), RP_SCOPE_RESERVED },
	{ V4(198, 51, 100, 0), V4MASK(24), RP_SCOPE_RESERVED },
	{ V4(203, 0, 113, 0), V4MASK(24), RP_SCOPE_RESERVED },
	{ V4(224, 0, 0, 0), V4MASK(3), RP_SCOPE_RESERVED }, /* multicast and 240/4, broadcast */
};

static const struct scope_rule6 {
	struct rp_cidr net;
	enum rp_addr_scope scope;
} scope_rules6[] = {
	{ { { 6, { [15] = 1 } }, 128 }, RP_SCOPE_LOOPBACK },             /* ::1/128 */
	{ { { 6, { 0 } }, 128 }, RP_SCOPE_RESERVED },                     /* ::/128 */
	{ { { 6, { 0xfe, 0x80 } }, 10 }, RP_SCOPE_LINKLOCAL },            /* fe80::/10 */
	{ { { 6, { 0xfc } }, 7 }, RP_SCOPE_PRIVATE },                     /* fc00::/7 */
	{ { { 6, { 0xff } }, 8 }, RP_SCOPE_RESERVED },                    /* ff00::/8 */
	{ { { 6, { 0x20, 0x01, 0x0d, 0xb8 } }, 32 }, RP_SCOPE_RESERVED }, /* 2001:db8::/32 */
	{ { { 6, { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 } }, 48 }, RP_SCOPE_PRIVATE }, /* 64:ff9b:1::/48 */
	{ { { 6, { 0x01, 0x00 } }, 64 }, RP_SCOPE_RESERVED },             /* 100::/64 */
	{ { { 6, { 0x20, 0x01, 0x00, 0x02 } }, 48 }, RP_SCOPE_RESERVED }, /* 2001:2::/48 */
	{ { { 6, { 0 } }, 8 }, RP_SCOPE_RESERVED },                       /* ::/8: v4-compatible, etc. */
};

enum rp_addr_scope rp_addr_scope(const struct rp_addr *a)
{
	if (a->family == 4) {
		uint32_t v = V4(a->b[0], a->b[1], a->b[2], a->b[3]);
		for (size_t i = 0; i < sizeof(scope_rules4) / sizeof(scope_rules4[0]); i++)
			if ((v & scope_rules4[i].mask) == scope_rules4[i].net)
				return scope_rules4[i].scope;
		return RP_SCOPE_PUBLIC;
	}
	if (a->family == 6) {
		if ((a->b[0] & 0xe0) == 0x20 && !(a->b[0] == 0x20 && a->b[1] == 0x01))
			return RP_SCOPE_PUBLIC; /* 2000::/3 outside 2001::/16: global unicast */
		for (size_t i = 0; i < sizeof(scope_rules6) / sizeof(scope_rules6[0]); i++)
			if (rp_cidr_contains(&scope_rules6[i].net, a))
				return scope_rules6[i].scope;
		return RP_SCOPE_PUBLIC;
	}
	return RP_SCOPE_RESERVED;
}

const char *rp_addr_scope_name(enum rp_addr_scope scope)
{
	switch (scope) {
	case RP_SCOPE_PUBLIC: return "public";
	case RP_SCOPE_PRIVATE: return "private";
	case RP_SCOPE_LOOPBACK: return "loopback";
	case RP_SCOPE_LINKLOCAL: return "link-local";
	case RP_SCOPE_CGNAT: return "cgnat";
	case RP_SCOPE_RESERVED: return "reserved";
	}
	return "unknown";
}

bool rp_addr_is_public(const struct rp_addr *a)
{
	return rp_addr_scope(a) == RP_SCOPE_PUBLIC;
}

/* mask_host_bits - zero every bit past len. */
static void mask_host_bits(struct rp_addr *a, unsigned len)
{
	unsigned bytes = a->family == 4 ? 4 : 16;

	for (unsigned i = 0; i < bytes; i++) {
		unsigned bit = i * 8;
		if (bit >= len)
			a->b[i] = 0;
		else if (len - bit < 8)
			a->b[i] &= (uint8_t)(0xff << (8 - (len - bit)));
	}
}

/* parse_short_ipv4 - "10", "10.", "10.1", "127.0.0" as a prefix of 8 bits per octet given. */
static int parse_short_ipv4(const char *s, struct rp_cidr *out)
{
	struct rp_cidr c = { .addr = { .family = 4 } };
	int octets = 0;

	while (*s && octets < 4) {
		if (!isdigit((unsigned char)*s))
			return RP_EINVAL;
		long v = strtol(s, (char **)&s, 10);
		if (v > 255)
			return RP_EINVAL;
		c.addr.b[octets++] = (uint8_t)v;
		if (*s == '.')
			s++;
		else if (*s)
			return RP_EINVAL;
	}
	if (*s || octets == 0)
		return RP_EINVAL;
	c.len = (uint8_t)(octets * 8);
	*out = c;
	return RP_OK;
}

int rp_cidr_parse(const char *text, struct rp_cidr *out)
{
	char tmp[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	struct rp_cidr c;
	long len = -1;

	if (alen == 0 || alen >= sizeof(tmp))
		return RP_EINVAL;
	memcpy(tmp, text, alen);
	tmp[alen] = '\0';
	if (slash) {
		char *end;
		if (!isdigit((unsigned char)slash[1]))
			return RP_EINVAL;
		len = strtol(slash + 1, &end, 10);
		if (*end)
			return RP_EINVAL;
	}
	if (rp_addr_parse(tmp, &c.addr) == RP_OK) {
		c.len = c.addr.family == 4 ? 32 : 128;
	} else if (parse_short_ipv4(tmp, &c) != RP_OK) {
		return RP_EINVAL;
	}
	if (len >= 0) {
		if (len > (c.addr.family == 4 ? 32 : 128))
			return RP_EINVAL;
		c.len = (uint8_t)len;
	}
	mask_host_bits(&c.addr, c.len);
	*out = c;
	return RP_OK;
}

bool rp_cidr_contains(const struct rp_cidr *c, const struct rp_addr *a)
{
	if (c->addr.family != a->family)
		return false;
	unsigned full = c->len / 8, rest = c->len % 8;
	if (memcmp(c->addr.b, a->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a->b[full] & mask) == c->addr.b[full];
}

char *rp_cidr_format(const struct rp_cidr *c, char *buf)
{
	rp_addr_format(&c->addr, buf);
	size_t n = strlen(buf);
	snprintf(buf + n, 5, "/%u", c->len);
	return buf;
}

void rp_cidrset_init(struct rp_cidrset *s)
{
	s->items = NULL;
	s->n = s->cap = 0;
}

void rp_cidrset_fini(struct rp_cidrset *s)
{
	s->items = xfree(s->items);
	s->n = s->cap = 0;
}

void rp_cidrset_add(struct rp_cidrset *s, const struct rp_cidr *c)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->items = xreallocarray(s->items, s->cap, sizeof(*s->items));
	}
	s->items[s->n++] = *c;
}

int rp_cidrset_add_text(struct rp_cidrset *s, const char *text)
{
	struct rp_cidr c;

	if (rp_cidr_parse(text, &c) != RP_OK)
		return RP_EINVAL;
	rp_cidrset_add(s, &c);
	return RP_OK;
}

bool rp_cidrset_contains(const struct rp_cidrset *s, const struct rp_addr *a)
{
	for (size_t i = 0; i < s->n; i++)
		if (rp_cidr_contains(&s->items[i], a))
			return true;
	return false;
}
