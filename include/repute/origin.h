/* origin.h - find the true originating IP of a message by walking its Received chain.
 *
 * Walk from the top (newest) hop down. Hops whose client IP is inside the trust boundary
 * (configured trusted networks and domains, plus private/reserved/loopback/link-local/CGNAT
 * addresses) are passed; the client IP of the first hop received from outside is the origin.
 * Lines below it were written by machines we do not trust and are ignored (they may be
 * forged). A hop that records authentication (ESMTPA/ESMTPSA, "Authenticated sender") makes
 * its client the sender itself: that IP is the origin even when it is private, and the walk
 * stops. With no trusted networks configured, trust is inferred as SpamAssassin does.
 * Everything returned lives in the arena given to rp_origin_find. */
#ifndef REPUTE_ORIGIN_H
#define REPUTE_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "repute/arena.h"
#include "repute/netaddr.h"
#include "repute/received.h"

struct rp_trust_config {
	struct rp_cidrset trusted;   /* networks whose Received lines we believe */
	char **trusted_domains;      /* by-host / rDNS domain suffixes of our own relays */
	size_t n_trusted_domains;
};

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
};

struct rp_origin {
	bool found;
	struct rp_addr ip;         /* family 0 when not found */
	long hop;                  /* index into hops, -1 when not found */
	const char *reason;        /* one line for the JSON `reason` */
	struct rp_hop *hops;       /* every Received header, top first */
	size_t n_hops;
};

void rp_trust_config_init(struct rp_trust_config *cfg);
void rp_trust_config_fini(struct rp_trust_config *cfg);
/* rp_trust_config_add_domain - add a trusted domain suffix (copied). */
void rp_trust_config_add_domain(struct rp_trust_config *cfg, const char *domain);

/* rp_origin_find - walk n Received header values (top first). max_hops bounds the work
 * (hops past it are not parsed and the reason says so). */
int rp_origin_find(const char *const *received, size_t n, const struct rp_trust_config *cfg,
		   size_t max_hops, struct arena *a, struct rp_origin *out);

const char *rp_hop_verdict_name(enum rp_hop_verdict v);

#endif
