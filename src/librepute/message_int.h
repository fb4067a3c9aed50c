/* message_int.h - private glue between the message parser files (message.c: GMime walk,
 * message_hdr.c: header splitting and the fast path, message_text.c: charsets, UTF-8 and
 * RFC 2047, message_html.c: HTML to text and links).
 *
 * Every struct rp_message is the first member of a struct msg_priv that also holds the
 * arena all its strings live in. Attached messages share the arena of the top message
 * and are freed with it; only the top message (owns_arena) may be passed to
 * rp_message_free. The arrays (headers, links, attachments, attached) are heap memory
 * grown with xreallocarray and freed one by one. */
#ifndef REPUTE_MESSAGE_INT_H
#define REPUTE_MESSAGE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "repute/arena.h"
#include "repute/buf.h"
#include "repute/utf8.h"
#include "repute/message.h"

struct msg_priv {
	struct rp_message pub;
	struct arena *arena;
	bool owns_arena;
	size_t cap_headers, cap_links, cap_attachments, cap_attached;
	struct link_set *linkset; /* deduplication of links, built on demand */
};

/* msg_priv_of - the private wrapper of a message made by this module. */
static inline struct msg_priv *msg_priv_of(const struct rp_message *m)
{
	return (struct msg_priv *)(void *)m;
}

/* msg_new - a message with its own arena (parent NULL) or sharing parent's arena. */
struct msg_priv *msg_new(struct msg_priv *parent);
/* msg_add_header - append a header (value unfolded, not yet UTF-8 checked); false when full. */
bool msg_add_header(struct msg_priv *mp, const struct rp_message_limits *lim, const char *name,
		    size_t name_len, const char *value, size_t value_len);
/* msg_split_headers - split and add the header block at data; returns the offset of the body
 * (after the empty line) or len when there is none. */
size_t msg_split_headers(struct msg_priv *mp, const struct rp_message_limits *lim, const char *data,
			 size_t len);
/* msg_check_mail - RP_ENOTMAIL with a reason unless data starts like a message; on success
 * *start is the offset of the first header field (past an mbox "From " line). */
int msg_check_mail(const char *data, size_t len, size_t *start, struct rp_diag *diag);
/* msg_header_content_type - lower-case "type/subtype" of mp's Content-Type header
 * (text/plain when absent or unusable), in the arena. */
char *msg_header_content_type(struct msg_priv *mp);
/* msg_add_link - append a link unless already present or the limit is hit. */
void msg_add_link(struct msg_priv *mp, const struct rp_message_limits *lim, const char *link,
		  size_t len);

/* charset_pin - keep common gconv modules loaded for the process (see message_text.c). */
void charset_pin(void);
/* text_to_utf8 - convert len bytes in charset (NULL: guess) to UTF-8, appending to out;
 * invalid sequences become U+FFFD, NUL bytes are dropped. Never fails. */
void text_to_utf8(struct buf *out, const char *charset, const char *data, size_t len);
/* utf8_repair - append data to out with invalid UTF-8 replaced by U+FFFD and NULs dropped. */
void utf8_repair(struct buf *out, const char *data, size_t len);
/* utf8_put - append code point cp (invalid ones become U+FFFD). */
void utf8_put(struct buf *out, unsigned long cp);
/* rfc2047_decode - decode encoded-words in an unfolded header value, appending UTF-8 to out. */
void rfc2047_decode(struct buf *out, const char *value, size_t len);

/* html_to_text - reduce HTML (UTF-8) to text appended to out, links added to mp. */
void html_to_text(struct msg_priv *mp, const struct rp_message_limits *lim, struct buf *out,
		  const char *html, size_t len);

#endif
