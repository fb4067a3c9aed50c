/* rd_auth.c - who is asking, and may they: API keys (Authorization: Bearer), per-key and
 * per-address token buckets for rate limits, and the SMS webhook's HMAC-SHA256 signature.
 *
 * Buckets live in a small chained hash table under one mutex; a bucket refills at `rate`
 * tokens per second up to `burst`. Full buckets idle for a while are dropped when the
 * table grows, so an address scan cannot grow it without bound. */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "repute/alloc.h"

#include "rd.h"

#define RL_SLOTS 4096
#define RL_MAX_ENTRIES 100000

struct bucket {
	char *key;
	double tokens;
	double last;
	struct bucket *next;
};

struct rd_ratelimit {
	pthread_mutex_t lock;
	struct bucket *slot[RL_SLOTS];
	size_t n;
};

/* rd_ratelimit_new - an empty table. */
struct rd_ratelimit *rd_ratelimit_new(void)
{
	struct rd_ratelimit *rl = xcalloc(1, sizeof(*rl));

	pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

/* rd_ratelimit_free - free every bucket. */
struct rd_ratelimit *rd_ratelimit_free(struct rd_ratelimit *rl)
{
	if (rl == NULL)
		return NULL;
	for (size_t i = 0; i < RL_SLOTS; i++)
		for (struct bucket *b = rl->slot[i], *next; b != NULL; b = next) {
			next = b->next;
			xfree(b->key);
			xfree(b);
		}
	pthread_mutex_destroy(&rl->lock);
	xfree(rl);
	return NULL;
}

/* hash - FNV-1a of a string. */
static size_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % RL_SLOTS;
}

/* prune - drop buckets that have refilled completely (lock held). */
static void prune(struct rd_ratelimit *rl, double now, double rate, double burst)
{
	for (size_t i = 0; i < RL_SLOTS; i++)
		for (struct bucket **pp = &rl->slot[i]; *pp != NULL;) {
			struct bucket *b = *pp;
			if (b->tokens + (now - b->last) * rate >= burst) {
				*pp = b->next;
				xfree(b->key);
				xfree(b);
				rl->n--;
			} else {
				pp = &b->next;
			}
		}
}

/* rd_ratelimit_take - one token from the bucket named key. */
bool rd_ratelimit_take(struct rd_ratelimit *rl, const char *key, double rate, double burst, long *retry_after)
{
	double now = rd_now();
	size_t h = hash(key);
	struct bucket *b;
	bool ok;

	pthread_mutex_lock(&rl->lock);
	for (b = rl->slot[h]; b != NULL && strcmp(b->key, key) != 0; b = b->next)
		;
	if (b == NULL) {
		if (rl->n >= RL_MAX_ENTRIES)
			prune(rl, now, rate, burst);
		b = xcalloc(1, sizeof(*b));
		b->key = xstrdup(key);
		b->tokens = burst;
		b->last = now;
		b->next = rl->slot[h];
		rl->slot[h] = b;
		rl->n++;
	}
	b->tokens = fmin(burst, b->tokens + (now - b->last) * rate);
	b->last = now;
	ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	else
		*retry_after = (long)ceil((1.0 - b->tokens) / rate);
	pthread_mutex_unlock(&rl->lock);
	if (!ok && *retry_after < 1)
		*retry_after = 1;
	return ok;
}

/* rd_auth_bearer - verify "Bearer KEY" against the key table. */
int rd_auth_bearer(struct rd *rd, const char *header, struct rp_principal *who)
{
	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return RP_EINVAL;
	const char *key = header + 7;
	while (*key == ' ')
		key++;
	pthread_mutex_lock(&rd->reader_lock);
	int rc = rp_store_key_verify(rd->reader, key, who);
	pthread_mutex_unlock(&rd->reader_lock);
	return rc;
}

/* rd_hmac_verify - compare the expected and presented signatures in constant time. */
bool rd_hmac_verify(const char *secret, const void *body, size_t len, const char *sig_hex)
{
	unsigned char want[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	size_t got_len = 0;
	const char *end = NULL;

	if (secret == NULL || secret[0] == '\0' || sig_hex == NULL)
		return false;
	if (strncasecmp(sig_hex, "sha256=", 7) == 0) /* GitHub-style prefix is accepted too */
		sig_hex += 7;
	if (strlen(sig_hex) != 2 * sizeof(got) ||
	    sodium_hex2bin(got, sizeof(got), sig_hex, strlen(sig_hex), NULL, &got_len, &end) != 0 ||
	    got_len != sizeof(got))
		return false;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, want);
	return sodium_memcmp(want, got, sizeof(want)) == 0;
}
