/* rd_auth.c - who is asking, and may they: API keys (Authorization: Bearer), per-key and
 * per-address token buckets for rate limits, and the SMS webhook's HMAC-SHA256 signature.
 *
 * Buckets live in a small chained hash table under one mutex; a bucket refills at `rate`
 * tokens per second up to `burst`. Full buckets idle for a while are dropped when the
 * table grows, so an address scan cannot grow it without bound.
 *
 * The same object holds the cache of verified API keys, so that a request does not pay a
 * SQLite lookup under the reader mutex: an entry maps the BLAKE2b-256 of a presented key to
 * its principal and is trusted for KEY_TTL seconds, then verified against the key table
 * again, so a key revoked by any process (another connection, the CLI) stops working within
 * KEY_TTL. Only keys that verified are cached; entries are compared in constant time
 * (sodium_memcmp), and the cache is emptied when it reaches KEY_MAX entries. */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "repute/alloc.h"

#include "rd.h"

#define RL_SLOTS 4096
#define RL_MAX_ENTRIES 100000
#define KEY_SLOTS 1024
#define KEY_MAX 10000
#define KEY_TTL 1.0 /* seconds a verified key is trusted before it is looked up again */

struct bucket {
	char *key;
	double tokens;
	double last;
	struct bucket *next;
};

struct keyent {
	unsigned char hash[crypto_generichash_BYTES];
	struct rp_principal who;
	double checked; /* when the key table last said yes */
	struct keyent *next;
};

struct rd_ratelimit {
	pthread_mutex_t lock;
	struct bucket *slot[RL_SLOTS];
	size_t n;
	pthread_mutex_t key_lock; /* the verified-key cache */
	struct keyent *key_slot[KEY_SLOTS];
	size_t n_keys;
};

/* keys_clear - drop every cached key (key_lock held). */
static void keys_clear(struct rd_ratelimit *rl)
{
	for (size_t i = 0; i < KEY_SLOTS; i++) {
		for (struct keyent *e = rl->key_slot[i], *next; e != NULL; e = next) {
			next = e->next;
			sodium_memzero(e, sizeof(*e));
			xfree(e);
		}
		rl->key_slot[i] = NULL;
	}
	rl->n_keys = 0;
}

/* rd_ratelimit_new - an empty table. */
struct rd_ratelimit *rd_ratelimit_new(void)
{
	struct rd_ratelimit *rl = xcalloc(1, sizeof(*rl));

	pthread_mutex_init(&rl->lock, NULL);
	pthread_mutex_init(&rl->key_lock, NULL);
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
	keys_clear(rl);
	pthread_mutex_destroy(&rl->key_lock);
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

/* key_slot - the chain of a key hash. */
static struct keyent **key_slot(struct rd_ratelimit *rl, const unsigned char *hash)
{
	return &rl->key_slot[((size_t)hash[0] << 8 | hash[1]) % KEY_SLOTS];
}

/* key_cached - the principal of a cached key verified less than KEY_TTL ago. */
static bool key_cached(struct rd_ratelimit *rl, const unsigned char *hash, double now, struct rp_principal *who)
{
	bool hit = false;

	pthread_mutex_lock(&rl->key_lock);
	for (struct keyent *e = *key_slot(rl, hash); e != NULL; e = e->next)
		if (sodium_memcmp(e->hash, hash, sizeof(e->hash)) == 0) {
			hit = now - e->checked < KEY_TTL;
			if (hit)
				*who = e->who;
			break;
		}
	pthread_mutex_unlock(&rl->key_lock);
	return hit;
}

/* key_remember - cache (rc == RP_OK) or forget a key after a lookup in the key table. */
static void key_remember(struct rd_ratelimit *rl, const unsigned char *hash, double now, int rc,
			 const struct rp_principal *who)
{
	pthread_mutex_lock(&rl->key_lock);
	struct keyent **pp = key_slot(rl, hash), *e;
	while ((e = *pp) != NULL && sodium_memcmp(e->hash, hash, sizeof(e->hash)) != 0)
		pp = &e->next;
	if (rc != RP_OK) {
		if (e != NULL) {
			*pp = e->next;
			sodium_memzero(e, sizeof(*e));
			xfree(e);
			rl->n_keys--;
		}
	} else {
		if (e == NULL) {
			if (rl->n_keys >= KEY_MAX)
				keys_clear(rl);
			pp = key_slot(rl, hash);
			e = xcalloc(1, sizeof(*e));
			memcpy(e->hash, hash, sizeof(e->hash));
			e->next = *pp;
			*pp = e;
			rl->n_keys++;
		}
		e->who = *who;
		e->checked = now;
	}
	pthread_mutex_unlock(&rl->key_lock);
}

/* rd_auth_bearer - verify "Bearer KEY": from the cache of verified keys, else the key table. */
int rd_auth_bearer(struct rd *rd, const char *header, struct rp_principal *who)
{
	unsigned char hash[crypto_generichash_BYTES];

	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return RP_EINVAL;
	const char *key = header + 7;
	while (*key == ' ')
		key++;
	double now = rd_now();
	crypto_generichash(hash, sizeof(hash), (const unsigned char *)key, strlen(key), NULL, 0);
	if (key_cached(rd->rl, hash, now, who))
		return RP_OK;
	pthread_mutex_lock(&rd->reader_lock);
	int rc = rp_store_key_verify(rd->reader, key, who);
	pthread_mutex_unlock(&rd->reader_lock);
	if (rc == RP_OK || rc == RP_ENOTFOUND)
		key_remember(rd->rl, hash, now, rc, who);
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
