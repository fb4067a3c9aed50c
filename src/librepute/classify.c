/* classify.c - the classifier's token database (LMDB) and scoring (Robinson f(w), Fisher combining).
 *
 * The database is an LMDB environment (a directory) with two named databases: "tokens" maps a token hash
 * (MDB_INTEGERKEY, 8 bytes) to two 32-bit counts {spam, ham} of trained messages containing the token;
 * "meta" holds "version", "nspam", "nham" (64-bit) and "ftable", the f(w) of every token that can take part
 * in a score with the default parameters, as an open-addressing table read in place from the map. Training
 * accumulates counts in an in-memory hash table and rp_classifier_commit() applies them, sorted by key, and
 * rebuilds "ftable", in a single write transaction, so the database always holds whole commits: a crash
 * mid-training loses the pending batch only. Scoring reads through one long-lived read transaction (reset
 * and renewed, never re-allocated). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

#include "repute/alloc.h"
#include "repute/classify.h"

#define DB_VERSION 1
#define PREFETCH_AHEAD 8   /* tokens looked up ahead of use in the preloaded table */
#define MAX_SIG_LIMIT 256 /* largest max_sig accepted */
#define DEFAULT_MAP_SIZE ((size_t)4 << 30)

struct counts {
	uint32_t spam, ham;
};

struct pend {
	uint64_t key; /* 0 = empty slot */
	int64_t spam, ham;   /* pending deltas */
	uint32_t db_spam, db_ham; /* committed counts, read during the commit */
};

/* The f(w) table: the tokens that can take part in a score, open addressing on the hash's low bits. */
struct ftab_entry {
	uint32_t tag; /* high 32 bits of the token hash, | 1; 0 = empty slot */
	float f;
};

struct ftab_header {
	uint32_t magic;   /* FTAB_MAGIC */
	uint32_t log2cap; /* number of entries = 1 << log2cap */
	double robs, robx, min_dev;
	uint64_t min_count;
};

#define FTAB_MAGIC 0x46544231u /* "FTB1" */

struct sig {
	double f, dev;
	int cls;
};

struct rp_classifier {
	MDB_env *env;
	MDB_dbi tokens, meta;
	bool readonly;
	MDB_txn *rtxn;       /* read transaction, kept allocated between batches */
	bool rtxn_live;      /* rtxn is active (not reset) */
	uint64_t r_nspam, r_nham;
	struct pend *pend;   /* pending counts, open addressing */
	size_t pend_n, pend_cap;
	uint64_t pend_spam, pend_ham;
	struct sig sig[MAX_SIG_LIMIT]; /* the tokens combined for the last score */
	/* f(w) table of the read snapshot: stored in "meta" by the last commit (pointer into the map, valid
	 * while rtxn is live) or built on the heap by rp_classifier_preload (tab_heap) */
	const struct ftab_entry *tab;
	size_t tab_cap;
	struct rp_classify_params tab_params; /* the table's f(w) were computed with these */
	void *tab_heap;
	size_t tab_txnid;    /* snapshot the heap table was built from */
};

/* The f(w) table helpers, defined with the scoring below, used by reading and committing. */
static void use_table(struct rp_classifier *c, const void *blob);
static void load_stored_table(struct rp_classifier *c);
static int store_table(struct rp_classifier *c, MDB_txn *txn, uint64_t nspam, uint64_t nham);

const char *rp_verdict_name(enum rp_verdict v)
{
	switch (v) {
	case RP_VERDICT_SPAM: return "spam";
	case RP_VERDICT_UNSURE: return "unsure";
	default: return "ham";
	}
}

void rp_classify_params_default(struct rp_classify_params *p)
{
	p->robs = 1.0;
	p->robx = 0.5;
	p->min_dev = 0.1;
	p->max_sig = 20;
	p->min_count = 2;
	p->max_per_class = 5;
	p->large_n = 0; /* off: see docs/classifier.md, "Parameters measured and not adopted" */
	p->large_min_dev = 0.4;
	p->large_max_sig = 256;
	p->spam_cutoff = 0.70;
	p->ham_cutoff = 0.30;
}

/* db_fail - record an LMDB error in diag and return RP_EDB. */
static int db_fail(struct rp_diag *diag, const char *what, int rc)
{
	rp_diag_set(diag, 0, 0, "%s: %s", what, mdb_strerror(rc));
	return RP_EDB;
}

/* meta_get - read a 64-bit meta value (0 when absent). */
static uint64_t meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name)
{
	MDB_val k = { strlen(name), (void *)name }, v;
	uint64_t x = 0;

	if (mdb_get(txn, dbi, &k, &v) == 0 && v.mv_size == sizeof(x))
		memcpy(&x, v.mv_data, sizeof(x));
	return x;
}

/* meta_put - write a 64-bit meta value. */
static int meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t x)
{
	MDB_val k = { strlen(name), (void *)name }, v = { sizeof(x), &x };

	return mdb_put(txn, dbi, &k, &v, 0);
}

/* open_dbis - open (or create) the named databases and check the version. */
static int open_dbis(struct rp_classifier *c, struct rp_diag *diag)
{
	MDB_txn *txn;
	unsigned create = c->readonly ? 0 : MDB_CREATE;
	int rc = mdb_txn_begin(c->env, NULL, c->readonly ? MDB_RDONLY : 0, &txn);

	if (rc != 0)
		return db_fail(diag, "begin", rc);
	if ((rc = mdb_dbi_open(txn, "tokens", create | MDB_INTEGERKEY, &c->tokens)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", create, &c->meta)) != 0) {
		mdb_txn_abort(txn);
		return db_fail(diag, "not a repute token database", rc);
	}
	uint64_t version = meta_get(txn, c->meta, "version");
	if (version != 0 && version != DB_VERSION) {
		mdb_txn_abort(txn);
		rp_diag_set(diag, 0, 0, "token database version %llu, expected %d", (unsigned long long)version,
			    DB_VERSION);
		return RP_EUNSUPP;
	}
	if (version == 0 && !c->readonly && (rc = meta_put(txn, c->meta, "version", DB_VERSION)) != 0) {
		mdb_txn_abort(txn);
		return db_fail(diag, "write version", rc);
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return db_fail(diag, "commit", rc);
	return RP_OK;
}

int rp_classifier_open(const char *path, bool readonly, size_t map_size, struct rp_classifier **out,
		       struct rp_diag *diag)
{
	struct rp_classifier *c = xcalloc(1, sizeof(*c));
	int rc;

	c->readonly = readonly;
	if (!readonly && mkdir(path, 0755) != 0 && errno != EEXIST) {
		rp_diag_set(diag, 0, 0, "mkdir %s: %s", path, strerror(errno));
		xfree(c);
		return RP_EIO;
	}
	if ((rc = mdb_env_create(&c->env)) != 0 || (rc = mdb_env_set_maxdbs(c->env, 4)) != 0 ||
	    (rc = mdb_env_set_mapsize(c->env, map_size ? map_size : DEFAULT_MAP_SIZE)) != 0 ||
	    (rc = mdb_env_open(c->env, path, MDB_NOTLS | (readonly ? MDB_RDONLY : 0), 0644)) != 0) {
		rp_diag_set(diag, 0, 0, "open token database %s: %s", path, mdb_strerror(rc));
		if (c->env)
			mdb_env_close(c->env);
		xfree(c);
		return rc == ENOENT ? RP_ENOTFOUND : RP_EDB;
	}
	if ((rc = open_dbis(c, diag)) != 0) {
		mdb_env_close(c->env);
		xfree(c);
		return rc;
	}
	*out = c;
	return RP_OK;
}

struct rp_classifier *rp_classifier_close(struct rp_classifier *c)
{
	if (c == NULL)
		return NULL;
	if (c->rtxn)
		mdb_txn_abort(c->rtxn);
	mdb_env_close(c->env);
	xfree(c->pend);
	xfree(c->tab_heap);
	xfree(c);
	return NULL;
}

/* pend_slot - slot of key in the pending table (found or empty). */
static size_t pend_slot(const struct rp_classifier *c, uint64_t key)
{
	size_t mask = c->pend_cap - 1, i = (size_t)(key ^ (key >> 31)) & mask;

	while (c->pend[i].key != 0 && c->pend[i].key != key)
		i = (i + 1) & mask;
	return i;
}

/* pend_grow - double the pending table. */
static void pend_grow(struct rp_classifier *c)
{
	struct pend *old = c->pend;
	size_t old_cap = c->pend_cap;

	c->pend_cap = old_cap ? old_cap * 2 : 65536;
	c->pend = xcalloc(c->pend_cap, sizeof(*c->pend));
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key != 0)
			c->pend[pend_slot(c, old[i].key)] = old[i];
	xfree(old);
}

void rp_classifier_learn(struct rp_classifier *c, const struct rp_tokens *t, bool spam)
{
	for (size_t i = 0; i < t->n; i++) {
		if ((c->pend_n + 1) * 2 > c->pend_cap)
			pend_grow(c);
		size_t s = pend_slot(c, t->h[i]);
		if (c->pend[s].key == 0) {
			c->pend[s].key = t->h[i];
			c->pend_n++;
		}
		if (spam)
			c->pend[s].spam++;
		else
			c->pend[s].ham++;
	}
	if (spam)
		c->pend_spam++;
	else
		c->pend_ham++;
}

size_t rp_classifier_pending(const struct rp_classifier *c)
{
	return (size_t)(c->pend_spam + c->pend_ham);
}

size_t rp_classifier_pending_tokens(const struct rp_classifier *c)
{
	return c->pend_n;
}

void rp_classifier_discard(struct rp_classifier *c)
{
	if (c->pend != NULL)
		memset(c->pend, 0, c->pend_cap * sizeof(*c->pend));
	c->pend_n = 0;
	c->pend_spam = c->pend_ham = 0;
}

/* slot_key - a pending slot with its key, for sorting. */
struct slot_key {
	uint64_t key;
	size_t slot;
};

/* cmp_slot_key - by key (the LMDB order of MDB_INTEGERKEY on this host). */
static int cmp_slot_key(const void *a, const void *b)
{
	uint64_t x = ((const struct slot_key *)a)->key, y = ((const struct slot_key *)b)->key;

	return x < y ? -1 : x > y;
}

/* add_count - saturating add of a delta to a 32-bit count. */
static uint32_t add_count(uint32_t x, int64_t d)
{
	int64_t r = (int64_t)x + d;

	return r < 0 ? 0 : r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

/* read_committed - fill db_spam, db_ham and w of the pending entries from txn. */
static int read_committed(struct rp_classifier *c, MDB_txn *txn, const struct slot_key *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pend *e = &c->pend[v[i].slot];
		uint64_t key = e->key;
		MDB_val k = { sizeof(key), &key }, d;
		struct counts cnt = { 0, 0 };
		int rc = mdb_get(txn, c->tokens, &k, &d);

		if (rc == 0 && d.mv_size == sizeof(cnt))
			memcpy(&cnt, d.mv_data, sizeof(cnt));
		else if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
		e->db_spam = cnt.spam;
		e->db_ham = cnt.ham;
	}
	return 0;
}

/* write_pending - store committed counts plus deltas and the weights. */
static int write_pending(struct rp_classifier *c, MDB_txn *txn, const struct slot_key *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct pend *e = &c->pend[v[i].slot];
		uint64_t key = e->key;
		struct counts cnt = { add_count(e->db_spam, e->spam), add_count(e->db_ham, e->ham) };
		MDB_val k = { sizeof(key), &key }, d = { sizeof(cnt), &cnt };
		int rc = mdb_put(txn, c->tokens, &k, &d, 0);

		if (rc != 0)
			return rc;
	}
	return 0;
}

int rp_classifier_commit(struct rp_classifier *c, struct rp_diag *diag)
{
	MDB_txn *txn = NULL;
	int rc;

	if (c->pend_spam + c->pend_ham == 0)
		return RP_OK;
	if (c->readonly) {
		rp_diag_set(diag, 0, 0, "token database opened read-only");
		return RP_EINVAL;
	}
	rp_classifier_read_end(c);
	/* the pending table stays as it is (a failed commit changes nothing); write in key order */
	struct slot_key *v = xmalloc((c->pend_n ? c->pend_n : 1) * sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < c->pend_cap; i++)
		if (c->pend[i].key != 0)
			v[n++] = (struct slot_key){ c->pend[i].key, i };
	qsort(v, n, sizeof(*v), cmp_slot_key);
	if ((rc = mdb_txn_begin(c->env, NULL, 0, &txn)) != 0 || (rc = read_committed(c, txn, v, n)) != 0)
		goto fail;
	uint64_t nspam = meta_get(txn, c->meta, "nspam") + c->pend_spam, nham = meta_get(txn, c->meta, "nham") + c->pend_ham;
	if ((rc = write_pending(c, txn, v, n)) != 0 || (rc = meta_put(txn, c->meta, "nspam", nspam)) != 0 ||
	    (rc = meta_put(txn, c->meta, "nham", nham)) != 0 || (rc = store_table(c, txn, nspam, nham)) != 0)
		goto fail;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	xfree(v);
	rp_classifier_discard(c);
	return RP_OK;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	xfree(v);
	return db_fail(diag, "commit training", rc);
}

int rp_classifier_read_begin(struct rp_classifier *c, struct rp_diag *diag)
{
	int rc;

	if (c->rtxn_live)
		return RP_OK;
	if (c->rtxn != NULL)
		rc = mdb_txn_renew(c->rtxn);
	else
		rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, &c->rtxn);
	if (rc != 0)
		return db_fail(diag, "begin read", rc);
	c->rtxn_live = true;
	if (c->tab_heap != NULL && c->tab_txnid != mdb_txn_id(c->rtxn))
		c->tab_heap = xfree(c->tab_heap); /* a newer commit: drop the stale table */
	c->tab = NULL;
	if (c->tab_heap != NULL)
		use_table(c, c->tab_heap);
	else
		load_stored_table(c);
	c->r_nspam = meta_get(c->rtxn, c->meta, "nspam");
	c->r_nham = meta_get(c->rtxn, c->meta, "nham");
	return RP_OK;
}

void rp_classifier_read_end(struct rp_classifier *c)
{
	c->tab = NULL; /* a stored table lives in the map only while the transaction does */
	if (c->rtxn_live)
		mdb_txn_reset(c->rtxn);
	c->rtxn_live = false;
}

/* chi2q - P(chi-square with v (even) degrees of freedom >= x2), computed in log space. */
static double chi2q(double x2, size_t v)
{
	double m = x2 / 2.0, lterm = -m, sum = exp(lterm);

	for (size_t i = 1; i < v / 2; i++) {
		lterm += log(m) - log((double)i);
		sum += exp(lterm);
	}
	return sum > 1.0 ? 1.0 : sum;
}

/* sig_dev - |f - 0.5| rounded to 1e-6: a spam token and a ham token of mirrored counts (f = 5/6 and 1/6)
 * then tie exactly, and ties go to the token seen first in the message, whatever the rounding of f. */
static double sig_dev(double f)
{
	return round(fabs(f - 0.5) * 1e6) / 1e6;
}

/* keep_sig - insert x into s[0..n), kept most extreme first and at most max long; returns the length. */
static size_t keep_sig(struct sig *s, size_t n, size_t max, struct sig x)
{
	if (n == max && (max == 0 || x.dev <= s[n - 1].dev))
		return n;
	size_t i = n < max ? n : max - 1;
	while (i > 0 && s[i - 1].dev < x.dev) {
		s[i] = s[i - 1];
		i--;
	}
	s[i] = x;
	return n < max ? n + 1 : n;
}

/* Candidates of one message: the most extreme tokens of the free classes (body, subject, URL) and of
 * each capped class (headers, HTML, meta), kept by insertion as they come (no per-message sort). */
struct sigsel {
	struct sig free[MAX_SIG_LIMIT];
	size_t n_free;
	struct sig capped[3][MAX_SIG_LIMIT];
	size_t n_capped[3];
};

/* capped_index - 0..2 for the capped classes, -1 for the others. */
static int capped_index(int cls)
{
	return cls == RP_TCLASS_HEADER ? 0 : cls == RP_TCLASS_HTML ? 1 : cls == RP_TCLASS_META ? 2 : -1;
}

/* sigsel_add - offer one token to the selection. */
static void sigsel_add(struct sigsel *sel, const struct rp_classify_params *p, struct sig x)
{
	size_t max = p->max_sig, ci = (size_t)capped_index(x.cls);

	if (capped_index(x.cls) >= 0 && p->max_per_class > 0) {
		size_t cap = p->max_per_class < max ? p->max_per_class : max;
		sel->n_capped[ci] = keep_sig(sel->capped[ci], sel->n_capped[ci], cap, x);
	} else {
		sel->n_free = keep_sig(sel->free, sel->n_free, max, x);
	}
}

/* sigsel_finish - the max_sig most extreme of all candidates into out; returns how many. */
static size_t sigsel_finish(const struct sigsel *sel, size_t max, struct sig *out)
{
	size_t n = 0;

	for (size_t i = 0; i < sel->n_free; i++)
		n = keep_sig(out, n, max, sel->free[i]);
	for (int c = 0; c < 3; c++)
		for (size_t i = 0; i < sel->n_capped[c]; i++)
			n = keep_sig(out, n, max, sel->capped[c][i]);
	return n;
}

/* tab_home - home slot of a token hash in a table of cap entries. */
static inline size_t tab_home(uint64_t key, size_t cap)
{
	return (size_t)key & (cap - 1);
}

/* tab_tag - the 32 bits of a hash kept in the table (never 0, which marks an empty slot). */
static inline uint32_t tab_tag(uint64_t key)
{
	return (uint32_t)(key >> 32) | 1;
}

/* tab_find - the entry of key in the table, or NULL. */
static inline const struct ftab_entry *tab_find(const struct ftab_entry *tab, size_t cap, uint64_t key)
{
	size_t mask = cap - 1, i = tab_home(key, cap);
	uint32_t tag = tab_tag(key);

	for (; tab[i].tag != 0; i = (i + 1) & mask)
		if (tab[i].tag == tag)
			return &tab[i];
	return NULL;
}

/* lookup - counts of a token from the read transaction. */
static bool lookup(struct rp_classifier *c, uint64_t key, struct counts *out)
{
	MDB_val k = { sizeof(key), &key }, d;

	if (mdb_get(c->rtxn, c->tokens, &k, &d) != 0 || d.mv_size != sizeof(*out))
		return false;
	memcpy(out, d.mv_data, sizeof(*out));
	return true;
}

/* token_f - Robinson's f(w) from the counts; false when the token is too rare to count. */
static bool token_f(const struct counts *cnt, double ns, double nh, const struct rp_classify_params *p, double *f)
{
	double ps = cnt->spam / ns, ph = cnt->ham / nh, n = (double)cnt->spam + cnt->ham;

	if (n < (double)p->min_count || ps + ph <= 0)
		return false;
	*f = (p->robs * p->robx + n * (ps / (ps + ph))) / (p->robs + n);
	return true;
}

/* same_params - whether two parameter sets give the same f(w) and selection of tokens. */
static bool same_params(const struct rp_classify_params *a, const struct rp_classify_params *b)
{
	return a->robs == b->robs && a->robx == b->robx && a->min_dev == b->min_dev && a->min_count == b->min_count;
}

struct keyf {
	uint64_t key;
	float f;
};

/* build_table - walk the tokens of txn and build the f(w) table blob (header + entries, caller frees);
 * ns and nh are the message totals of the snapshot. */
static int build_table(struct rp_classifier *c, MDB_txn *txn, double ns, double nh,
		       const struct rp_classify_params *p, void **out, size_t *out_size)
{
	MDB_cursor *cur;
	MDB_val k, d;
	struct keyf *v = NULL;
	size_t n = 0, vcap = 0;
	int rc = mdb_cursor_open(txn, c->tokens, &cur);

	if (rc != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		struct counts cnt;
		double f;
		if (k.mv_size != sizeof(uint64_t) || d.mv_size != sizeof(cnt))
			continue;
		memcpy(&cnt, d.mv_data, sizeof(cnt));
		if (!token_f(&cnt, ns, nh, p, &f) || fabs(f - 0.5) < p->min_dev)
			continue; /* only the tokens that can take part in a score */
		if (n == vcap) {
			vcap = vcap ? vcap * 2 : 65536;
			v = xreallocarray(v, vcap, sizeof(*v));
		}
		memcpy(&v[n].key, k.mv_data, sizeof(v[n].key));
		v[n++].f = (float)f;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND) {
		xfree(v);
		return rc;
	}
	uint32_t log2cap = 10;
	while (((size_t)1 << log2cap) < 2 * n)
		log2cap++;
	size_t cap = (size_t)1 << log2cap, size = sizeof(struct ftab_header) + cap * sizeof(struct ftab_entry);
	struct ftab_header *h = xcalloc(1, size);
	*h = (struct ftab_header){ FTAB_MAGIC, log2cap, p->robs, p->robx, p->min_dev, p->min_count };
	struct ftab_entry *tab = (struct ftab_entry *)(h + 1);
	for (size_t i = 0; i < n; i++) {
		size_t j = tab_home(v[i].key, cap);
		while (tab[j].tag != 0)
			j = (j + 1) & (cap - 1);
		tab[j] = (struct ftab_entry){ tab_tag(v[i].key), v[i].f };
	}
	xfree(v);
	*out = h;
	*out_size = size;
	return 0;
}

/* use_table - point the classifier at a table blob (stored or on the heap). */
static void use_table(struct rp_classifier *c, const void *blob)
{
	const struct ftab_header *h = blob;

	rp_classify_params_default(&c->tab_params);
	c->tab_params.robs = h->robs;
	c->tab_params.robx = h->robx;
	c->tab_params.min_dev = h->min_dev;
	c->tab_params.min_count = (unsigned)h->min_count;
	c->tab_cap = (size_t)1 << h->log2cap;
	c->tab = (const struct ftab_entry *)(h + 1);
}

/* load_stored_table - use the table the last commit stored, when present and well-formed. */
static void load_stored_table(struct rp_classifier *c)
{
	MDB_val k = { 6, "ftable" }, d;
	struct ftab_header h;

	if (mdb_get(c->rtxn, c->meta, &k, &d) != 0 || d.mv_size < sizeof(h) || ((uintptr_t)d.mv_data & 7) != 0)
		return;
	memcpy(&h, d.mv_data, sizeof(h));
	if (h.magic != FTAB_MAGIC || h.log2cap > 40 ||
	    d.mv_size != sizeof(h) + ((size_t)1 << h.log2cap) * sizeof(struct ftab_entry))
		return;
	use_table(c, d.mv_data);
}

/* store_table - build the table for the default parameters in the write transaction and store it. */
static int store_table(struct rp_classifier *c, MDB_txn *txn, uint64_t nspam, uint64_t nham)
{
	struct rp_classify_params p;
	void *blob;
	size_t size;

	rp_classify_params_default(&p);
	int rc = build_table(c, txn, nspam ? (double)nspam : 1.0, nham ? (double)nham : 1.0, &p, &blob, &size);
	if (rc != 0)
		return rc;
	MDB_val k = { 6, "ftable" }, d = { size, blob };
	rc = mdb_put(txn, c->meta, &k, &d, 0);
	xfree(blob);
	return rc;
}

int rp_classifier_preload(struct rp_classifier *c, const struct rp_classify_params *p, struct rp_diag *diag)
{
	struct rp_classify_params def;
	void *blob;
	size_t size;
	int rc;

	if (p == NULL) {
		rp_classify_params_default(&def);
		p = &def;
	}
	if ((rc = rp_classifier_read_begin(c, diag)) != 0)
		return rc;
	if (c->tab != NULL && same_params(p, &c->tab_params))
		return RP_OK; /* the stored table, or one built before from this snapshot */
	double ns = c->r_nspam ? (double)c->r_nspam : 1.0, nh = c->r_nham ? (double)c->r_nham : 1.0;
	if ((rc = build_table(c, c->rtxn, ns, nh, p, &blob, &size)) != 0)
		return db_fail(diag, "preload", rc);
	xfree(c->tab_heap);
	c->tab_heap = blob;
	c->tab_txnid = mdb_txn_id(c->rtxn);
	use_table(c, blob);
	return RP_OK;
}

/* fisher - combine the selected f(w) into one score. */
static double fisher(const struct sig *s, size_t n)
{
	double ls = 0, lh = 0;

	if (n == 0)
		return 0.5;
	for (size_t i = 0; i < n; i++) {
		ls += log(1.0 - s[i].f);
		lh += log(s[i].f);
	}
	double spam = 1.0 - chi2q(-2.0 * ls, 2 * n), ham = 1.0 - chi2q(-2.0 * lh, 2 * n);
	return (1.0 + spam - ham) / 2.0;
}

/* effective_params - p, with large_min_dev and large_max_sig in force once the snapshot holds large_n
 * messages of each class: only then are there enough tokens of extreme f(w) to drop the weaker ones. */
static struct rp_classify_params effective_params(const struct rp_classifier *c, const struct rp_classify_params *p)
{
	struct rp_classify_params e = *p;

	if (p->large_n > 0 && c->r_nspam >= p->large_n && c->r_nham >= p->large_n) {
		e.min_dev = p->large_min_dev > p->min_dev ? p->large_min_dev : p->min_dev;
		e.max_sig = p->large_max_sig;
	}
	return e;
}

int rp_classifier_score(struct rp_classifier *c, const struct rp_tokens *t, const struct rp_classify_params *p,
			struct rp_classify_result *r, struct rp_diag *diag)
{
	struct rp_classify_params def;
	int rc;

	if (p == NULL) {
		rp_classify_params_default(&def);
		p = &def;
	}
	if ((rc = rp_classifier_read_begin(c, diag)) != 0)
		return rc;
	if (p->max_sig == 0 || p->max_sig > MAX_SIG_LIMIT || (p->large_n > 0 && (p->large_max_sig == 0 ||
	    p->large_max_sig > MAX_SIG_LIMIT))) {
		rp_diag_set(diag, 0, 0, "max_sig must be 1..%d", MAX_SIG_LIMIT);
		return RP_EINVAL;
	}
	struct rp_classify_params e = effective_params(c, p);
	double ns = c->r_nspam ? (double)c->r_nspam : 1.0, nh = c->r_nham ? (double)c->r_nham : 1.0;
	size_t nsig = 0, known = 0;
	struct sigsel sel;
	sel.n_free = sel.n_capped[0] = sel.n_capped[1] = sel.n_capped[2] = 0;
	if (c->tab != NULL && same_params(p, &c->tab_params)) {
		for (size_t i = 0; i < t->n; i++) {
			if (i + PREFETCH_AHEAD < t->n) /* the table is larger than the CPU caches */
				__builtin_prefetch(&c->tab[tab_home(t->h[i + PREFETCH_AHEAD], c->tab_cap)]);
			const struct ftab_entry *te = tab_find(c->tab, c->tab_cap, t->h[i]);
			if (te == NULL)
				continue;
			double dev = sig_dev(te->f);
			if (dev < e.min_dev)
				continue;
			known++;
			sigsel_add(&sel, &e, (struct sig){ te->f, dev, t->cls[i] });
		}
	} else {
		for (size_t i = 0; i < t->n; i++) {
			struct counts cnt;
			double f;
			if (!lookup(c, t->h[i], &cnt) || !token_f(&cnt, ns, nh, p, &f) || fabs(f - 0.5) < e.min_dev)
				continue;
			known++;
			f = (float)f; /* exactly as the f(w) table holds it: both paths give the same score */
			sigsel_add(&sel, &e, (struct sig){ f, sig_dev(f), t->cls[i] });
		}
	}
	nsig = sigsel_finish(&sel, e.max_sig, c->sig);
	r->score = fisher(c->sig, nsig);
	r->verdict = r->score >= p->spam_cutoff ? RP_VERDICT_SPAM
		     : r->score <= p->ham_cutoff ? RP_VERDICT_HAM
						 : RP_VERDICT_UNSURE;
	r->n_tokens = t->n;
	r->n_known = known;
	r->n_used = nsig;
	return RP_OK;
}

int rp_classifier_lookup(struct rp_classifier *c, uint64_t hash, uint32_t *spam, uint32_t *ham,
			 struct rp_diag *diag)
{
	struct counts cnt;
	int rc = rp_classifier_read_begin(c, diag);

	if (rc != 0)
		return rc;
	if (!lookup(c, hash, &cnt))
		return RP_ENOTFOUND;
	*spam = cnt.spam;
	*ham = cnt.ham;
	return RP_OK;
}

int rp_classifier_stats(struct rp_classifier *c, struct rp_classifier_stats *s, struct rp_diag *diag)
{
	MDB_txn *txn;
	MDB_stat st;
	MDB_envinfo info;
	int rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn);

	if (rc != 0)
		return db_fail(diag, "begin read", rc);
	s->n_spam = meta_get(txn, c->meta, "nspam");
	s->n_ham = meta_get(txn, c->meta, "nham");
	if ((rc = mdb_stat(txn, c->tokens, &st)) != 0) {
		mdb_txn_abort(txn);
		return db_fail(diag, "stat", rc);
	}
	s->n_tokens = st.ms_entries;
	mdb_env_info(c->env, &info);
	s->db_bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	mdb_txn_abort(txn);
	return RP_OK;
}

int rp_classifier_backup(struct rp_classifier *c, const char *path, struct rp_diag *diag)
{
	int rc = mdb_env_copy2(c->env, path, MDB_CP_COMPACT);

	if (rc != 0) {
		rp_diag_set(diag, 0, 0, "backup to %s: %s", path, mdb_strerror(rc));
		return RP_EDB;
	}
	return RP_OK;
}
