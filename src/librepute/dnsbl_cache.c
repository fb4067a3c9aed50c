/* dnsbl_cache.c - a small thread-safe cache of DNSBL answers keyed by query name, shared by the
 * per-thread resolver contexts of dnsbl.c. Fixed bucket array with chains; entries expire by a
 * monotonic clock; when full, a put first drops expired entries of its bucket, then the
 * oldest entry of the bucket, then (if the bucket was empty) refuses, so memory stays bounded. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/dnsbl.h"
#include "dnsbl_int.h"

struct cache_entry {
	struct cache_entry *next;
	char *key;
	time_t expires;
	enum rp_dnsbl_status status;
	uint8_t code[4];
	char txt[256];
};

struct rp_dnsbl_cache {
	pthread_mutex_t lock;
	struct cache_entry **buckets;
	size_t nbuckets, n, max;
};

/* cache_now - monotonic seconds. */
static time_t cache_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* cache_hash - FNV-1a of a name, case-insensitive. */
static size_t cache_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		h ^= (c >= 'A' && c <= 'Z') ? c + 32 : c;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* rp_dnsbl_cache_new - an empty cache for at most max_entries answers. */
struct rp_dnsbl_cache *rp_dnsbl_cache_new(size_t max_entries)
{
	struct rp_dnsbl_cache *c = xcalloc(1, sizeof(*c));

	c->max = max_entries > 0 ? max_entries : 1;
	c->nbuckets = 64;
	while (c->nbuckets < c->max / 2)
		c->nbuckets *= 2;
	c->buckets = xcalloc(c->nbuckets, sizeof(*c->buckets));
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

/* rp_dnsbl_cache_free - free every entry and the cache; returns NULL. */
struct rp_dnsbl_cache *rp_dnsbl_cache_free(struct rp_dnsbl_cache *c)
{
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct cache_entry *e = c->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			xfree(e->key);
			xfree(e);
		}
	}
	pthread_mutex_destroy(&c->lock);
	xfree(c->buckets);
	xfree(c);
	return NULL;
}

/* rp_dnsbl_cache_size - entries held. */
size_t rp_dnsbl_cache_size(struct rp_dnsbl_cache *c)
{
	pthread_mutex_lock(&c->lock);
	size_t n = c->n;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* dnsbl_cache_get - copy a live entry for qname into hit. */
bool dnsbl_cache_get(struct rp_dnsbl_cache *c, const char *qname, struct rp_dnsbl_hit *hit)
{
	bool found = false;
	time_t now = cache_now();

	pthread_mutex_lock(&c->lock);
	for (struct cache_entry *e = c->buckets[cache_hash(qname) & (c->nbuckets - 1)]; e != NULL;
	     e = e->next) {
		if (strcasecmp(e->key, qname) == 0 && e->expires > now) {
			hit->status = e->status;
			memcpy(hit->code, e->code, sizeof(hit->code));
			memcpy(hit->txt, e->txt, sizeof(hit->txt));
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

/* cache_make_room - drop expired entries of a bucket, then its oldest if still full. */
static void cache_make_room(struct rp_dnsbl_cache *c, struct cache_entry **head, time_t now)
{
	struct cache_entry **pp = head, *oldest = NULL, **oldest_pp = NULL;

	while (*pp != NULL) {
		struct cache_entry *e = *pp;
		if (e->expires <= now) {
			*pp = e->next;
			xfree(e->key);
			xfree(e);
			c->n--;
			continue;
		}
		if (oldest == NULL || e->expires < oldest->expires) {
			oldest = e;
			oldest_pp = pp;
		}
		pp = &e->next;
	}
	if (c->n >= c->max && oldest != NULL) {
		*oldest_pp = oldest->next;
		xfree(oldest->key);
		xfree(oldest);
		c->n--;
	}
}

/* dnsbl_cache_put - store or refresh the answer for qname. */
void dnsbl_cache_put(struct rp_dnsbl_cache *c, const char *qname, const struct rp_dnsbl_hit *hit,
		     long ttl)
{
	time_t now = cache_now();

	if (ttl <= 0)
		return;
	pthread_mutex_lock(&c->lock);
	struct cache_entry **head = &c->buckets[cache_hash(qname) & (c->nbuckets - 1)], *e;
	for (e = *head; e != NULL; e = e->next)
		if (strcasecmp(e->key, qname) == 0)
			break;
	if (e == NULL) {
		if (c->n >= c->max)
			cache_make_room(c, head, now);
		if (c->n >= c->max) {
			pthread_mutex_unlock(&c->lock);
			return;
		}
		e = xcalloc(1, sizeof(*e));
		e->key = xstrdup(qname);
		e->next = *head;
		*head = e;
		c->n++;
	}
	e->expires = now + ttl;
	e->status = hit->status;
	memcpy(e->code, hit->code, sizeof(e->code));
	memcpy(e->txt, hit->txt, sizeof(e->txt));
	pthread_mutex_unlock(&c->lock);
}
