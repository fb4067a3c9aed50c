/* buf.h - a growable byte buffer, always NUL-terminated, for building text and wire data.
 *
 * The caller owns the struct (buf_init/buf_fini); buf_* functions that append may move
 * buf->data, so never keep a pointer into it across an append. buf_steal hands the bytes
 * to the caller, who frees them with xfree. */
#ifndef REPUTE_BUF_H
#define REPUTE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_fini(struct buf *b);
void buf_reset(struct buf *b);
/* buf_reserve - make room for n more bytes (may move data). */
void buf_reserve(struct buf *b, size_t n);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* buf_putc - append one byte; inline because scanners call it per byte (may move data). */
static inline void buf_putc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap)
		buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

/* buf_steal - return the NUL-terminated bytes (caller frees) and leave b empty. */
char *buf_steal(struct buf *b);

#endif
