/* ascii.h - byte classes for hot scanners: one table lookup instead of <ctype.h> calls (which
 * go through the locale) or chains of comparisons. The table is constant data, not state. */
#ifndef REPUTE_ASCII_H
#define REPUTE_ASCII_H

#include <stddef.h>
#include <stdint.h>

enum {
	ASCII_ALPHA = 0x01,  /* A-Z a-z */
	ASCII_DIGIT = 0x02,  /* 0-9 */
	ASCII_LABEL = 0x04,  /* host label byte: alnum, '-', '_' */
	ASCII_ADDR = 0x08,   /* byte of a URL or address written in text: visible ASCII except <>"'() */
	ASCII_SPACE = 0x10,  /* space, \t, \n, \v, \f, \r */
	ASCII_CTRL = 0x20,   /* control byte that text should not hold: C0 except \t\n\f\r ESC, and DEL */
	ASCII_HOST = 0x40,   /* byte of an ASCII host name: alnum, '-', '.' */
	ASCII_UPPER = 0x80,  /* A-Z */
};

extern const uint8_t ascii_class[256];

static inline int ascii_is(unsigned char c, unsigned cls)
{
	return ascii_class[c] & cls;
}

/* ascii_starts_ci - the avail bytes at s start with the n-byte lower-case ASCII word lower,
 * ignoring case; inline with an early exit, for checks made at every word of a text. */
static inline int ascii_starts_ci(const char *s, size_t avail, const char *lower, size_t n)
{
	if (avail < n)
		return 0;
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)s[k];
		if (ascii_class[c] & ASCII_UPPER)
			c |= 0x20;
		if (c != (unsigned char)lower[k])
			return 0;
	}
	return 1;
}

#endif
