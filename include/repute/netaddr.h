/* netaddr.h - IPv4/IPv6 addresses, CIDR prefixes, their scope (public, private, ...) and
 * small CIDR sets for configuration (trusted networks, whitelisted ranges).
 *
 * struct rp_addr is a value type: IPv4 is stored in b[0..3] with family 4; IPv6 in b[0..15]
 * with family 6. IPv4-mapped IPv6 (::ffff:a.b.c.d) is parsed as plain IPv4. Nothing here
 * allocates except rp_cidrset, which owns its array (rp_cidrset_fini frees it). Large sets
 * for serving (DNS) use their own structure; rp_cidrset is linear and meant for tens of entries. */
#ifndef REPUTE_NETADDR_H
#define REPUTE_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RP_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

struct rp_addr {
	uint8_t family; /* 4 or 6; 0 = none */
	uint8_t b[16];
};

struct rp_cidr {
	struct rp_addr addr; /* host bits are zero */
	uint8_t len;         /* prefix length: 0..32 or 0..128 */
};

enum rp_addr_scope {
	RP_SCOPE_PUBLIC = 0,
	RP_SCOPE_PRIVATE,     /* RFC 1918, IPv6 ULA fc00::/7 */
	RP_SCOPE_LOOPBACK,    /* 127/8, ::1 */
	RP_SCOPE_LINKLOCAL,   /* 169.254/16, fe80::/10 */
	RP_SCOPE_CGNAT,       /* 100.64/10 */
	RP_SCOPE_RESERVED,    /* 0/8, documentation, benchmarking, multicast, 240/4, ::, ... */
};

/* rp_addr_parse - text to address; accepts an optional [brackets] and "IPv6:" prefix
 * (RFC 5321 literals). Returns 0 or RP_EINVAL. */
int rp_addr_parse(const char *text, struct rp_addr *out);
/* rp_addr_parse_n - the same for n bytes that need not be NUL-terminated. */
int rp_addr_parse_n(const char *text, size_t n, struct rp_addr *out);
/* rp_addr_format - canonical text (inet_ntop) into buf of RP_ADDR_STRLEN; returns buf. */
char *rp_addr_format(const struct rp_addr *a, char *buf);
bool rp_addr_equal(const struct rp_addr *a, const struct rp_addr *b);
enum rp_addr_scope rp_addr_scope(const struct rp_addr *a);
const char *rp_addr_scope_name(enum rp_addr_scope scope);
/* rp_addr_is_public - scope is RP_SCOPE_PUBLIC. */
bool rp_addr_is_public(const struct rp_addr *a);

/* rp_cidr_parse - "192.0.2.0/24", "2001:db8::/32", a bare address (full length), and the
 * SpamAssassin-style short forms "10/8", "10.", "10.1", "127.0/16". Returns 0 or RP_EINVAL. */
int rp_cidr_parse(const char *text, struct rp_cidr *out);
bool rp_cidr_contains(const struct rp_cidr *c, const struct rp_addr *a);
/* rp_cidr_format - "a.b.c.d/len" into buf of RP_ADDR_STRLEN + 4. */
char *rp_cidr_format(const struct rp_cidr *c, char *buf);

struct rp_cidrset {
	struct rp_cidr *items;
	size_t n, cap;
};

void rp_cidrset_init(struct rp_cidrset *s);
void rp_cidrset_fini(struct rp_cidrset *s);
void rp_cidrset_add(struct rp_cidrset *s, const struct rp_cidr *c);
/* rp_cidrset_add_text - parse and add; RP_EINVAL leaves the set unchanged. */
int rp_cidrset_add_text(struct rp_cidrset *s, const char *text);
bool rp_cidrset_contains(const struct rp_cidrset *s, const struct rp_addr *a);

#endif
