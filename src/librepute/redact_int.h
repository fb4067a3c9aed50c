/* redact_int.h - private to the redaction module (redact.c, redact_mime.c): transfer
 * encodings, header lines and header fields. */
#ifndef REDACT_INT_H
#define REDACT_INT_H

#include <stddef.h>

#include "repute/buf.h"
#include "repute/redact.h"

/* redact_b64_decode - base64 into out, skipping what is not a base64 digit, up to '='. */
void redact_b64_decode(const char *in, size_t len, struct buf *out);
/* redact_b64_encode - base64 with padding, eol after every wrap digits (wrap 0: one line). */
void redact_b64_encode(const unsigned char *in, size_t len, size_t wrap, const char *eol, struct buf *out);
/* redact_qp_decode - quoted-printable into out. */
void redact_qp_decode(const char *in, size_t len, struct buf *out);
/* redact_qp_encode - quoted-printable with eol for hard and soft line breaks. */
void redact_qp_encode(const char *in, size_t len, const char *eol, struct buf *out);
/* redact_header_block - redact every line of a header block (encoded words too); count. */
size_t redact_header_block(const char *h, size_t len, const struct rp_redact_set *s, struct buf *out);
/* redact_collect_headers - the recipient addresses of one header block into s. */
void redact_collect_headers(const char *h, size_t len, struct rp_redact_set *s);
/* redact_header_value - next field called name from *off on: its value (borrowed, folds
 * included) and length, *off past it; NULL when there is none. */
const char *redact_header_value(const char *h, size_t len, const char *name, size_t *off, size_t *vlen);

#endif
