/* arena.c - region allocator: bump allocation in chunks, freed all at once. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "repute/alloc.h"
#include "repute/arena.h"

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
	size_t chunk_size;
	size_t used;
};

struct arena *arena_new(size_t chunk_size)
{
	struct arena *a = xcalloc(1, sizeof(*a));

	a->chunk_size = chunk_size ? chunk_size : 8192;
	return a;
}

struct arena *arena_free(struct arena *a)
{
	if (a == NULL)
		return NULL;
	for (struct chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		xfree(c);
	}
	return xfree(a);
}

/* arena_grow - add a chunk big enough for n bytes. */
static struct chunk *arena_grow(struct arena *a, size_t n)
{
	size_t size = n > a->chunk_size ? n : a->chunk_size;
	struct chunk *c = xmalloc(sizeof(*c) + size);

	c->size = size;
	c->used = 0;
	c->next = a->head;
	a->head = c;
	return c;
}

void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	struct chunk *c = a->head;
	void *p;

	if (n > SIZE_MAX - align)
		n = SIZE_MAX - align; /* xmalloc will abort */
	n = (n + align - 1) & ~(align - 1);
	if (c == NULL || c->size - c->used < n)
		c = arena_grow(a, n);
	p = (char *)c->data + c->used;
	c->used += n;
	a->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_memdup0(struct arena *a, const void *p, size_t n)
{
	char *s = arena_alloc(a, n + 1);

	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_memdup0(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	s = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

size_t arena_used(const struct arena *a)
{
	return a->used;
}
