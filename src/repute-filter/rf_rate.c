/* rf_rate.c - fixed-window rate counters for client IPs and senders, shared by all connection
 * threads (one mutex; the critical section is a hash lookup). The table holds at most
 * max_entries keys: a new key in a full table first evicts expired keys of its bucket, then the
 * bucket's oldest; if that frees nothing the key is not counted (fail open, never unbounded). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "repute/alloc.h"

#include "rf.h"

struct rate_entry {
	struct rate_entry *next;
	time_t start;
	long count;
	char key[];
};

struct rf_rate {
	pthread_mutex_t lock;
	struct rate_entry **buckets;
	size_t nbuckets, n, max;
};

/* rate_now - monotonic seconds. */
static time_t rate_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* rate_hash - FNV-1a. */
static size_t rate_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* rf_rate_new - an empty table of at most max_entries keys. */
struct rf_rate *rf_rate_new(long max_entries)
{
	struct rf_rate *r = xcalloc(1, sizeof(*r));

	r->max = max_entries > 0 ? (size_t)max_entries : 1;
	r->nbuckets = 64;
	while (r->nbuckets < r->max / 2)
		r->nbuckets *= 2;
	r->buckets = xcalloc(r->nbuckets, sizeof(*r->buckets));
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

/* rf_rate_free - free everything; returns NULL. */
struct rf_rate *rf_rate_free(struct rf_rate *r)
{
	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < r->nbuckets; i++)
		for (struct rate_entry *e = r->buckets[i], *next; e != NULL; e = next) {
			next = e->next;
			xfree(e);
		}
	pthread_mutex_destroy(&r->lock);
	xfree(r->buckets);
	xfree(r);
	return NULL;
}

/* rate_evict - drop stale keys of a bucket, then its oldest if the table is still full. */
static void rate_evict(struct rf_rate *r, struct rate_entry **head, time_t now, long window)
{
	struct rate_entry **pp = head, **oldest = NULL;

	while (*pp != NULL) {
		struct rate_entry *e = *pp;
		if (now - e->start >= window) {
			*pp = e->next;
			xfree(e);
			r->n--;
			continue;
		}
		if (oldest == NULL || e->start < (*oldest)->start)
			oldest = pp;
		pp = &e->next;
	}
	if (r->n >= r->max && oldest != NULL) {
		struct rate_entry *e = *oldest;
		*oldest = e->next;
		xfree(e);
		r->n--;
	}
}

/* rf_rate_hit - count one event for key in the current window; returns the count (0 when the
 * table is full and the key could not be tracked). */
long rf_rate_hit(struct rf_rate *r, const char *key, long window)
{
	time_t now = rate_now();
	long count = 0;

	pthread_mutex_lock(&r->lock);
	struct rate_entry **head = &r->buckets[rate_hash(key) & (r->nbuckets - 1)], *e;
	for (e = *head; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (e == NULL) {
		if (r->n >= r->max)
			rate_evict(r, head, now, window);
		if (r->n < r->max) {
			size_t len = strlen(key);
			e = xmalloc(sizeof(*e) + len + 1);
			memcpy(e->key, key, len + 1);
			e->start = now;
			e->count = 0;
			e->next = *head;
			*head = e;
			r->n++;
		}
	}
	if (e != NULL) {
		if (now - e->start >= window) {
			e->start = now;
			e->count = 0;
		}
		count = ++e->count;
	}
	pthread_mutex_unlock(&r->lock);
	return count;
}
