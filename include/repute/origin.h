/* origin.h - find the true originating IP of a message by walking its Received chain.
 *
 * Walk from the top (newest) hop down. Hops whose client IP is inside the trust boundary
 * (configured trusted networks and domains, plus private/reserved/loopback/link-local/CGNAT
 * addresses) are passed; the client IP of the first hop received from outside is the origin.
 * Lines below it were written by machines we do not trust and are ignored (they may be
 * forged). A hop that records authentication (ESMTPA/ESMTPSA, "Authenticated sender") makes
 * its client the sender itself: that IP is the origin even when it is private, and the walk
 * stops. With no trusted networks configured, trust is inferred as SpamAssassin does.
 * A hop received over SMTP from a remote host that records no client IP breaks the chain:
 * the walk stops without an origin, because nobody trusted wrote the lines below it.
 * Everything returned lives in the arena given to rp_origin_find. */
#ifndef REPUTE_ORIGIN_H
#define REPUTE_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "repute/arena.h"
#include "repute/error.h"
#include "repute/netaddr.h"
#include "repute/received.h"

/* One SpamAssassin-style network rule: "net" or "!net" (exclude). In a list, first match wins. */
struct rp_netrule {
	struct rp_cidr cidr;
	bool exclude;
};

struct rp_netrules {
	struct rp_netrule *items;
	size_t n, cap;
};

struct rp_trust_config {
	struct rp_cidrset trusted;   /* networks whose Received lines we believe */
	char **trusted_domains;      /* by-host / rDNS domain suffixes of our own relays */
	size_t n_trusted_domains;
	/* SpamAssassin-compatible lists (trusted_networks, internal_networks, msa_networks), filled
	 * by rp_trust_config_add_network. trusted_rules is consulted before `trusted`; with no
	 * trusted networks at all, internal ones are used as trusted (and vice versa). An MSA is a
	 * trusted submission server: the hop it writes names the sender, who is the origin. */
	struct rp_netrules trusted_rules;
	struct rp_netrules internal;
	struct rp_netrules msa;
};

enum rp_trust_list { RP_TRUST_TRUSTED, RP_TRUST_INTERNAL, RP_TRUST_MSA };

enum rp_hop_verdict {
	RP_HOP_TRUSTED,  /* inside the trust boundary: passed */
	RP_HOP_ORIGIN,   /* the hop that names the origin */
	RP_HOP_IGNORED,  /* below the origin: may be forged */
	RP_HOP_SKIPPED,  /* not a relay hop, or unparseable */
};

struct rp_hop {
	struct rp_received rcvd;
	int parse_rc;              /* rp_received_parse result */
	enum rp_hop_verdict verdict;
	const char *why;           /* one line: why this verdict */
	bool internal;             /* client inside internal networks (SpamAssassin intl=1) */
	bool msa;                  /* client is a configured MSA (SpamAssassin msa=1) */
};

struct rp_origin {
	bool found;
	struct rp_addr ip;         /* family 0 when not found */
	long hop;                  /* index into hops, -1 when not found */
	const char *reason;        /* one line for the JSON `reason` */
	struct rp_hop *hops;       /* every Received header, top first */
	size_t n_hops;
	bool submission;           /* origin is an authenticated or MSA-submitted client */
};

#define RP_ORIGIN_MAX_HOPS 1000 /* used when max_hops is 0 */

void rp_trust_config_init(struct rp_trust_config *cfg);
void rp_trust_config_fini(struct rp_trust_config *cfg);
/* rp_trust_config_add_domain - add a trusted domain suffix (copied). */
void rp_trust_config_add_domain(struct rp_trust_config *cfg, const char *domain);
/* rp_trust_config_add_network - append "net" or "!net" (SpamAssassin short forms allowed) to
 * one list. Returns 0 or RP_EINVAL (list unchanged). */
int rp_trust_config_add_network(struct rp_trust_config *cfg, enum rp_trust_list list, const char *text);
/* rp_trust_config_check - RP_EINVAL (with diag) when internal or MSA networks reach outside
 * the trusted ones (SpamAssassin's lint errors); 0 otherwise. diag may be NULL. */
int rp_trust_config_check(const struct rp_trust_config *cfg, struct rp_diag *diag);

/* rp_origin_find - walk n Received header values (top first). max_hops bounds the work
 * (hops past it are not parsed and the reason says so); 0 means RP_ORIGIN_MAX_HOPS.
 * out->hops has min(n, max_hops) entries. */
int rp_origin_find(const char *const *received, size_t n, const struct rp_trust_config *cfg,
		   size_t max_hops, struct arena *a, struct rp_origin *out);

const char *rp_hop_verdict_name(enum rp_hop_verdict v);

#endif
