/* utf8.h - UTF-8 validation and repair for text that reaches JSON, logs and databases. */
#ifndef REPUTE_UTF8_H
#define REPUTE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* utf8_valid - true when the n bytes are well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). NUL bytes count as invalid: they cannot reach C strings safely. */
bool utf8_valid(const char *s, size_t n);
/* utf8_sequence_len - length of the well-formed sequence at s (n bytes left), or 0. */
size_t utf8_sequence_len(const unsigned char *s, size_t n);
/* utf8_sanitize - a heap copy (xfree) with every invalid byte replaced by U+FFFD. */
char *utf8_sanitize(const char *s, size_t n);

#endif
