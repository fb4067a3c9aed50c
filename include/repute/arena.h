/* arena.h - region allocator: many small allocations made while parsing one message or
 * answering one query, all freed by one arena_free() (as NSD's region allocator).
 *
 * Memory from arena_alloc() is never freed individually and never moves. arena_free(NULL)
 * is a no-op and returns NULL. Not thread-safe: one arena per request. */
#ifndef REPUTE_ARENA_H
#define REPUTE_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(size_t chunk_size);
struct arena *arena_free(struct arena *a);
/* arena_alloc - n bytes aligned for any type; zeroed. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* arena_memdup0 - copy n bytes and add a NUL. */
char *arena_memdup0(struct arena *a, const void *p, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* arena_used - bytes handed out so far (for limits and statistics). */
size_t arena_used(const struct arena *a);

#endif
