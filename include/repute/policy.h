/* policy.h - the Postfix policy delegation protocol (Postfix SMTPD_POLICY_README).
 *
 * A request is "name=value" lines ending in LF (a CR before the LF is tolerated), closed by an
 * empty line; the answer is "action=..." followed by an empty line. The parser is incremental
 * and bounded: a line longer than RP_POLICY_MAX_LINE, more than RP_POLICY_MAX_ATTRS attributes
 * or more than RP_POLICY_MAX_REQUEST bytes, a line without '=', a bad attribute name, a NUL
 * byte, a repeated attribute or a missing/unknown "request=" make the request malformed. A
 * malformed request is still read up to its empty line, so the stream stays in step and the
 * caller can answer it and go on. All storage is inside struct rp_policy_parser (no heap):
 * the request's strings stay valid until the next rp_policy_feed call. */
#ifndef REPUTE_POLICY_H
#define REPUTE_POLICY_H

#include <stddef.h>

#include "repute/buf.h"
#include "repute/error.h"

#define RP_POLICY_MAX_LINE 2048     /* bytes of one "name=value" line, without LF */
#define RP_POLICY_MAX_ATTRS 64      /* attributes in one request */
#define RP_POLICY_MAX_REQUEST 16384 /* bytes of one request */
#define RP_POLICY_MAX_NAME 64       /* bytes of an attribute name */

struct rp_policy_attr {
	const char *name;  /* lower case letters, digits, '_' */
	const char *value; /* may be empty */
};

struct rp_policy_req {
	struct rp_policy_attr attrs[RP_POLICY_MAX_ATTRS];
	size_t n;
};

struct rp_policy_parser {
	struct rp_policy_req req;
	char store[RP_POLICY_MAX_REQUEST + 2 * RP_POLICY_MAX_ATTRS]; /* NUL-split names/values */
	size_t used;         /* bytes of store in use */
	size_t line_start;   /* offset in store where the current line began */
	size_t line_len;     /* bytes of the current line so far */
	char line_first;     /* its first byte (to see a lone CR even when not stored) */
	size_t req_bytes;    /* bytes of the current request so far */
	unsigned long line;  /* line number within the request, for diagnostics */
	int error;           /* first error of the current request, 0 if none */
	struct rp_diag diag; /* its diagnostics */
};

/* rp_policy_parser_init - ready the parser for the first request. */
void rp_policy_parser_init(struct rp_policy_parser *p);

/* rp_policy_feed - consume up to len bytes. Returns 0 when more input is needed (all len bytes
 * consumed), 1 when a request ended (*consumed says how many bytes were used, the rest belongs to
 * the next request; p->req holds it), or a negative RP_E* code when a malformed request ended
 * (RP_EPARSE, RP_ETOOBIG, RP_EUNSUPP for a request= other than smtpd_access_policy) with diag
 * filled; after RP_EUNSUPP p->req still holds the well-formed request, so a program can serve
 * request types of its own. After 1 or an error the next call starts a new request. */
int rp_policy_feed(struct rp_policy_parser *p, const char *data, size_t len, size_t *consumed,
		   struct rp_diag *diag);

/* rp_policy_parse - parse exactly one complete request held in data (it must end with the empty
 * line); returns 0, or an RP_E* code with diag filled (RP_EPARSE also for trailing bytes or an
 * unterminated request). */
int rp_policy_parse(struct rp_policy_parser *p, const char *data, size_t len, struct rp_diag *diag);

/* rp_policy_get - the value of attribute name, or NULL when absent (borrowed from the parser). */
const char *rp_policy_get(const struct rp_policy_req *req, const char *name);

/* rp_policy_format - append "action=<action>[ <text>]\n\n" to out (may move out->data). Line
 * breaks and control bytes in text become spaces and text is cut to fit one 2048-byte line. */
void rp_policy_format(struct buf *out, const char *action, const char *text);

#endif
