/* redact.h - removing reporters' own addresses from copies of their reports (issue 5, privacy).
 *
 * A reported message names the people it was sent to: To, Cc, Delivered-To, the envelope
 * recipient in Received "for <...>", and often the body ("Dear alice@example.org", an
 * unsubscribe link with ?u=alice%40example.org). Every copy that leaves the analyst role
 * (API answers to other roles, exports, partner feeds, public pages) goes through this module:
 * collect the addresses (rp_redact_collect, plus the ones the caller knows such as the SMTP
 * envelope sender of a forwarded report), then copy the message or text with each occurrence
 * replaced by RP_REDACTED_ADDR (RP_REDACTED_ADDR_URL in its URL-encoded form).
 *
 * Matching is case-insensitive on whole addresses. rp_redact_message understands the mail
 * format: header lines, RFC 2047 encoded words (decoded, redacted, re-encoded as B words in
 * their own charset), MIME multiparts, text parts in 7bit/8bit, quoted-printable and
 * base64 (decoded, redacted, re-encoded in the same encoding), and attached messages or header
 * blocks (message/rfc822, message/global, text/rfc822-headers), recursively. Bytes that hold no
 * address are copied unchanged; binary parts (non-text in base64 or quoted-printable) are copied
 * as they are. Pure functions: no I/O, no global state. */
#ifndef REPUTE_REDACT_H
#define REPUTE_REDACT_H

#include <stddef.h>

#include "repute/buf.h"

#define RP_REDACTED_ADDR "redacted@redacted.invalid"
#define RP_REDACTED_ADDR_URL "redacted%40redacted.invalid"

/* A set of addresses to redact, lower-cased and without duplicates. The caller owns it
 * (init/fini); the strings belong to the set. */
struct rp_redact_set {
	char **addr;
	size_t n, cap;
};

void rp_redact_set_init(struct rp_redact_set *s);
void rp_redact_set_fini(struct rp_redact_set *s);
/* rp_redact_set_add - add the address in text[0..len) ("<a@b>" or "a@b"); anything that is
 * not local@domain with a dot-free-or-dotted domain of letters, digits, '-' and '.' is ignored. */
void rp_redact_set_add(struct rp_redact_set *s, const char *text, size_t len);
/* rp_redact_collect - add every recipient address of a message: To, Cc, Bcc, Delivered-To,
 * X-Original-To, Envelope-To, X-Envelope-To, X-Rcpt-To and Received "for" of its header block
 * and of each attached message or header block. */
void rp_redact_collect(const char *raw, size_t len, struct rp_redact_set *s);
/* rp_redact_text - append text[0..len) to out with each address of s replaced; returns the
 * number of replacements. Plain text only (no MIME decoding). out may move. */
size_t rp_redact_text(const char *text, size_t len, const struct rp_redact_set *s, struct buf *out);
/* rp_redact_message - append a redacted copy of the message raw[0..len) to out (see the top of
 * this file); returns the number of replacements. out may move. */
size_t rp_redact_message(const char *raw, size_t len, const struct rp_redact_set *s, struct buf *out);

#endif
