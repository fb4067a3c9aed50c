/* message.h - an Internet mail message (RFC 5322 + MIME) reduced to what evidence needs.
 *
 * rp_message_parse() reads raw bytes with GMime 3 and produces a tree the caller owns
 * (free with rp_message_free). All strings are NUL-terminated UTF-8 (invalid sequences are
 * replaced), owned by the message. Limits bound time and memory on hostile input: a limit
 * that is hit sets `truncated` and the analysis carries on with what it has (partial
 * evidence), it is not an error. Input that is not a mail message at all (no header
 * field before the body, binary garbage) fails with RP_ENOTMAIL and a reason in diag.
 *
 * rp_message_parse_headers() is the fast path for header and Received analysis: it splits
 * and unfolds the top-level header block only, without GMime and without decoding bodies. */
#ifndef REPUTE_MESSAGE_H
#define REPUTE_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "repute/error.h"

struct rp_header {
	char *name;    /* as written, e.g. "Received" */
	char *value;   /* unfolded raw value (CRLF + WSP folded to one space), leading space trimmed */
	char *decoded; /* RFC 2047 decoded to UTF-8; equals value's text when nothing to decode */
};

struct rp_attachment {
	char *filename;     /* decoded file name, or "" */
	char *content_type; /* "type/subtype", lower case */
	size_t size;        /* decoded size in bytes */
	char sha256[65];    /* hex SHA-256 of the decoded content */
};

struct rp_message_limits {
	size_t max_headers;    /* header fields per message (default 10,000) */
	size_t max_header_len; /* bytes of one unfolded header value kept (default 64 KiB) */
	int max_depth;         /* MIME and message/rfc822 nesting (default 32) */
	size_t max_parts;      /* MIME parts visited in total (default 1,000) */
	size_t max_text;       /* bytes of decoded text kept per message (default 4 MiB) */
	size_t max_links;      /* links kept from HTML (default 10,000) */
};

struct rp_message {
	struct rp_header *headers; /* in order, top first */
	size_t n_headers;
	char *content_type;        /* top-level "type/subtype", lower case */
	char *report_type;         /* multipart/report's report-type parameter, or NULL */
	char *text;                /* decoded text/plain parts, joined by newlines */
	char *html_text;           /* decoded text/html parts reduced to text */
	char **links;              /* href/src/action targets found in HTML, in order, deduplicated */
	size_t n_links;
	struct rp_attachment *attachments;
	size_t n_attachments;
	char *feedback_report;     /* raw body of a message/feedback-report part (ARF), or NULL */
	char *xarf_report;         /* raw body of an X-ARF report part (YAML/JSON), or NULL */
	struct rp_message **attached; /* message/rfc822 and text/rfc822-headers parts, parsed */
	size_t n_attached;
	bool headers_only;         /* parsed from text/rfc822-headers: no body */
	int depth;                 /* 0 for the top message */
	bool truncated;            /* a limit was hit somewhere in this message */
};

/* rp_message_limits_default - fill the defaults named above. */
void rp_message_limits_default(struct rp_message_limits *lim);
/* rp_message_parse - parse a whole message; lim NULL means defaults. */
int rp_message_parse(const char *data, size_t len, const struct rp_message_limits *lim,
		     struct rp_message **out, struct rp_diag *diag);
/* rp_message_parse_headers - headers only (fast path); the body fields stay empty. */
int rp_message_parse_headers(const char *data, size_t len, const struct rp_message_limits *lim,
			     struct rp_message **out, struct rp_diag *diag);
/* rp_message_free - free a top-level message and everything attached to it; returns NULL.
 * Attached messages share their top message's memory: freeing one alone is a no-op. */
struct rp_message *rp_message_free(struct rp_message *m);

/* rp_message_header - decoded value of the first header named name (case-insensitive), or NULL. */
const char *rp_message_header(const struct rp_message *m, const char *name);
/* rp_message_header_next - index of the next header named name at or after *pos, or -1;
 * iterate with: for (long i = 0; (i = rp_message_header_next(m, "Received", i)) >= 0; i++). */
long rp_message_header_next(const struct rp_message *m, const char *name, long pos);

#endif
