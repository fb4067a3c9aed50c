/* utf8.h - UTF-8 validation and repair for text that reaches JSON, logs and databases. */
#ifndef REPUTE_UTF8_H
#define REPUTE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* utf8_valid - true when the n bytes are well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). NUL bytes count as invalid: they cannot reach C strings safely. */
bool utf8_valid(const char *s, size_t n);
/* utf8_sequence_len - length of the well-formed sequence at s (n bytes left), or 0. */
size_t utf8_sequence_len(const unsigned char *s, size_t n);
/* utf8_decode - the code point at s (n > 0 bytes left) and its length in *len; an invalid,
 * overlong, surrogate or truncated sequence gives U+FFFD with *len = 1. The one decoder of
 * the project: scanners call it per character, so it is inline for ASCII. */
static inline uint32_t utf8_decode(const unsigned char *s, size_t n, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	size_t k = utf8_sequence_len(s, n);
	if (k == 0) {
		*len = 1;
		return 0xFFFD;
	}
	uint32_t c = s[0] & (k == 2 ? 0x1Fu : k == 3 ? 0x0Fu : 0x07u);
	for (size_t i = 1; i < k; i++)
		c = c << 6 | (s[i] & 0x3Fu);
	*len = k;
	return c;
}

/* utf8_encode - write the scalar value cp into out; returns its length (1-4). Surrogates and
 * values above U+10FFFF become U+FFFD. */
size_t utf8_encode(uint32_t cp, char out[4]);

/* utf8_sanitize - a heap copy (xfree) with every invalid byte replaced by U+FFFD. */
char *utf8_sanitize(const char *s, size_t n);

#endif
