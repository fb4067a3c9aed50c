/* received.h - parse one Received: header into a relay hop.
 *
 * Knows the formats written by Postfix, Sendmail, Exim, qmail, Exchange/Microsoft 365,
 * Gmail, Coremail (163/126), QQ Mail and the cases of SpamAssassin's t/rcvd_parser.t.
 * Strings in struct rp_received live in the arena passed to rp_received_parse; absent
 * fields are "" (never NULL), so callers can print them directly. */
#ifndef REPUTE_RECEIVED_H
#define REPUTE_RECEIVED_H

#include <stdbool.h>
#include <time.h>

#include "repute/arena.h"
#include "repute/netaddr.h"

struct rp_received {
	const char *raw;      /* the unfolded header value */
	const char *helo;     /* name the client gave in HELO/EHLO ("" if none); an IP literal keeps its brackets */
	const char *rdns;     /* verified reverse DNS name written by the receiver, or "" */
	const char *ip_text;  /* client IP as written, normalised, or "" */
	struct rp_addr ip;    /* family 0 when no client IP */
	const char *by;       /* receiving host */
	const char *with;     /* protocol, e.g. "ESMTPS", "ESMTPSA", "SMTP", "HTTP", "LMTP" */
	const char *id;       /* queue id */
	const char *for_addr; /* recipient in "for <...>" */
	const char *envfrom;  /* envelope sender when the line records it */
	const char *ident;    /* RFC 1413 ident when the line records it */
	const char *auth;     /* authentication evidence ("ESMTPA", "Postfix", "Sendmail", ...) or "" */
	bool helo_is_literal; /* HELO was a bracketed IP literal */
	time_t date;          /* parsed from the text after ';', 0 when absent or unparsable */
};

/* rp_received_parse - parse value (one header value, unfolded, without "Received:").
 * Returns RP_OK for a relay hop, RP_ESKIP when the line is not a relay hop (local delivery,
 * fetchmail, qmail-scanner, "from mail pickup service", ...), RP_EPARSE when nothing useful
 * can be read. On RP_ESKIP/RP_EPARSE *out still holds whatever fields were read. */
int rp_received_parse(const char *value, struct arena *a, struct rp_received *out);

#endif
