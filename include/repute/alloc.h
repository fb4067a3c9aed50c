/* alloc.h - allocation wrappers that never return NULL (they abort on exhaustion, as Postfix
 * mymalloc does). Input size limits are explicit checks elsewhere, never allocation failures.
 * xfree() accepts NULL and returns NULL so callers can write p = xfree(p). */
#ifndef REPUTE_ALLOC_H
#define REPUTE_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xreallocarray - realloc for n elements of size, aborting on overflow. */
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xmemdup0 - copy n bytes and add a NUL. */
char *xmemdup0(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xfree(void *ptr);

#endif
