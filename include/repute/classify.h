/* classify.h - statistical content classifier: tokens, token database (LMDB), spam/unsure/ham verdict.
 *
 * A message becomes a set of 64-bit token hashes (struct rp_tokens): header words with field prefixes,
 * decoded body words, CJK character unigrams and bigrams, URL and domain tokens, and sparse word pairs
 * (OSB). Token strings are never stored: each is hashed (FNV-1a 64) as "prefix:token" or, for body words,
 * as "token"; rp_token_hash() gives the hash of such a string. docs/classifier.md describes every token.
 *
 * The token database is an LMDB environment (a directory) holding, per token hash, the number of spam and
 * ham messages that contained it, plus the message totals. Training is buffered in memory by
 * rp_classifier_learn() and written by rp_classifier_commit() in ONE write transaction: a crash before or
 * during the commit leaves the database as it was after the previous commit. rp_classifier_backup() copies
 * a consistent snapshot while other processes read or train (mdb_env_copy2).
 *
 * Scoring (rp_classifier_score) follows Robinson: f(w) from the counts with a prior, tokens whose f(w) is
 * far enough from 0.5 are kept (the max_sig most extreme, at most max_per_class from each correlated
 * class), and Fisher's chi-square combining gives a score in [0, 1] (1 = spam). Each commit also stores a
 * table of f(w) for the default parameters, read in place, so scoring does no B-tree walks.
 * Classification of many messages keeps one LMDB read transaction open between rp_classifier_read_begin()
 * and rp_classifier_read_end(). Not thread-safe: one classifier object per thread (LMDB itself allows
 * many readers and processes). */
#ifndef REPUTE_CLASSIFY_H
#define REPUTE_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repute/error.h"

struct rp_message;

/* Default bound of token occurrences added per message (before de-duplication). */
#define RP_TOKENS_MAX 30000
/* Default bound of bytes of one text (body part, header value) looked at by the tokenizer. */
#define RP_TOKENS_MAX_TEXT (512 * 1024)

/* rp_tokens: the de-duplicated token hashes of one message. Reuse one across messages (rp_tokens_reset):
 * it then allocates nothing per message once grown. dump, when set, receives every token string as it
 * is formed (for `repute classify --tokens`, tests and docs); OSB pairs are shown as "a b" or "a _ b". */
/* Evidence classes of tokens (struct rp_tokens.cls): the scorer counts at most max_per_class tokens of
 * the header and HTML classes, whose tokens are strongly correlated (one mailer or list gives dozens). */
enum { RP_TCLASS_BODY, RP_TCLASS_SUBJECT, RP_TCLASS_URL, RP_TCLASS_HTML, RP_TCLASS_HEADER, RP_TCLASS_META, RP_TCLASS_N };

struct rp_tokens {
	uint64_t *h;      /* distinct hashes, in first-seen order */
	uint8_t *cls;     /* the class of each, RP_TCLASS_* */
	size_t n;         /* number of distinct hashes */
	size_t cap;
	uint64_t *set;    /* open-addressing set of size set_cap (power of two), 0 = empty */
	size_t set_cap;
	size_t added;     /* occurrences added since reset (bounded by max) */
	size_t max;       /* bound of occurrences per message */
	size_t max_text;  /* bound of bytes per text looked at */
	bool truncated;   /* a bound was hit */
	void (*dump)(void *arg, const char *tok, size_t len);
	void *dump_arg;
};

/* rp_tokens_init - empty token set with the given bounds (0 = the defaults above); free with rp_tokens_fini. */
void rp_tokens_init(struct rp_tokens *t, size_t max, size_t max_text);
void rp_tokens_fini(struct rp_tokens *t);
/* rp_tokens_reset - forget the tokens, keep the memory. */
void rp_tokens_reset(struct rp_tokens *t);
/* rp_token_hash - hash of a token string exactly as the tokenizer forms it, e.g. "subject:free". */
uint64_t rp_token_hash(const char *s, size_t len);
/* rp_tokens_has - whether the token string s (as rp_token_hash) is in the set. */
bool rp_tokens_has(const struct rp_tokens *t, const char *s);
/* rp_tokens_add - add the token "prefix:tok" ("tok" when prefix is NULL); tok is used as given. */
void rp_tokens_add(struct rp_tokens *t, const char *prefix, const char *tok, size_t len);
/* rp_tokens_add_text - tokenize UTF-8 text: words (lower-cased, full-width folded), numbers, CJK
 * unigrams and bigrams, URLs, OSB pairs; prefix NULL for body text, else a field name ("subject"). Invalid
 * UTF-8 bytes are separators. At most t->max_text bytes are looked at. */
void rp_tokens_add_text(struct rp_tokens *t, const char *prefix, const char *text, size_t len);
/* rp_tokens_add_url - tokens of one URL or bare host name: host, registered-domain suffixes, path words. */
void rp_tokens_add_url(struct rp_tokens *t, const char *url, size_t len);
/* rp_tokens_from_message - all tokens of a decoded message (headers, text, HTML text, links,
 * attachments, attached messages). Appends to t; reset t first for a new message. */
void rp_tokens_from_message(struct rp_tokens *t, const struct rp_message *m);

/* rp_classify_tokenize - parse a raw message and add all its tokens to t (reset t first): the message
 * (rp_message_parse) plus its HTML markup. A message that needs no decoding (text/plain or no Content-Type,
 * no or 7bit/8bit transfer encoding, us-ascii or UTF-8) is read with rp_message_parse_headers and its body
 * taken as it is, which skips the MIME decoder (half the time of a classification). Fails as the parsers
 * do (RP_ENOTMAIL with a reason in diag). */
int rp_classify_tokenize(struct rp_tokens *t, const char *data, size_t len, struct rp_diag *diag);
/* rp_tokens_from_raw_html - "html:" tokens of the HTML markup (tag and attribute names, presentational
 * attribute values such as "html:color=#ff0000") found in the first 256 KiB of a raw message's body; the
 * decoded message keeps only the text and the links of HTML parts. */
void rp_tokens_from_raw_html(struct rp_tokens *t, const char *raw, size_t len);

enum rp_verdict { RP_VERDICT_HAM = 0, RP_VERDICT_UNSURE = 1, RP_VERDICT_SPAM = 2 };

/* rp_verdict_name - "ham", "unsure" or "spam". */
const char *rp_verdict_name(enum rp_verdict v);

struct rp_classify_params {
	double robs;        /* Robinson's s: strength of the prior (default 1.0) */
	double robx;        /* Robinson's x: f(w) of an unseen token (default 0.5) */
	double min_dev;     /* keep tokens with |f(w) - 0.5| >= min_dev (default 0.1) */
	size_t max_sig;     /* at most this many most extreme tokens (default 20; 1..256) */
	unsigned min_count; /* ignore tokens seen in fewer trained messages (default 2) */
	size_t max_per_class; /* at most this many of the header, HTML and meta classes each (default 5; 0 = no limit) */
	uint64_t large_n;   /* once the database holds this many messages of each class (default 0 = never), */
	double large_min_dev; /* min_dev becomes at least this (default 0.4) */
	size_t large_max_sig; /* and max_sig this (default 256: every token that passes) */
	double spam_cutoff; /* score >= spam_cutoff: spam (default 0.70) */
	double ham_cutoff;  /* score <= ham_cutoff: ham (default 0.30); between: unsure */
};

/* rp_classify_params_default - the defaults documented above and in docs/classifier.md. */
void rp_classify_params_default(struct rp_classify_params *p);

struct rp_classify_result {
	double score;          /* 0 (ham) .. 1 (spam); 0.5 when nothing is known */
	enum rp_verdict verdict;
	size_t n_tokens;       /* distinct tokens of the message */
	size_t n_known;        /* of which known well enough to take part (min_count, min_dev) */
	size_t n_used;         /* of which used in the combining */
};

struct rp_classifier;

/* rp_classifier_open - open (creating unless readonly) the token database directory path.
 * map_size 0 = 4 GiB of address space (sparse on disk). Free with rp_classifier_close. */
int rp_classifier_open(const char *path, bool readonly, size_t map_size, struct rp_classifier **out,
		       struct rp_diag *diag);
/* rp_classifier_close - abort pending training and any open transaction, close; returns NULL. */
struct rp_classifier *rp_classifier_close(struct rp_classifier *c);

/* rp_classifier_learn - count the message's tokens as spam or ham, in memory until commit. */
void rp_classifier_learn(struct rp_classifier *c, const struct rp_tokens *t, bool spam);
/* rp_classifier_pending - messages learnt since the last commit. */
size_t rp_classifier_pending(const struct rp_classifier *c);
/* rp_classifier_pending_tokens - distinct tokens pending (32 bytes of memory each): commit before it grows. */
size_t rp_classifier_pending_tokens(const struct rp_classifier *c);
/* rp_classifier_commit - write the pending counts in one LMDB write transaction (all or nothing). */
int rp_classifier_commit(struct rp_classifier *c, struct rp_diag *diag);
/* rp_classifier_discard - forget the pending counts. */
void rp_classifier_discard(struct rp_classifier *c);

/* rp_classifier_read_begin - open the read transaction used by rp_classifier_score (a snapshot). */
int rp_classifier_read_begin(struct rp_classifier *c, struct rp_diag *diag);
/* rp_classifier_read_end - close it (it is also closed by commit and close). */
void rp_classifier_read_end(struct rp_classifier *c);
/* rp_classifier_score - score a message's tokens; opens a read transaction if none is open. p NULL = defaults. */
int rp_classifier_score(struct rp_classifier *c, const struct rp_tokens *t, const struct rp_classify_params *p,
			struct rp_classify_result *r, struct rp_diag *diag);

/* rp_classifier_preload - make scoring with params p (NULL = defaults) use an in-memory f(w) table: each
 * commit stores one for the default parameters (used without any loading); for other parameters this
 * builds one on the heap from the current read snapshot (one pass over the tokens: worth it for batches).
 * A heap table is dropped when a later read transaction sees a newer commit (then call this again). */
int rp_classifier_preload(struct rp_classifier *c, const struct rp_classify_params *p, struct rp_diag *diag);

/* rp_classifier_lookup - the spam and ham message counts of one token hash (RP_ENOTFOUND if unseen). */
int rp_classifier_lookup(struct rp_classifier *c, uint64_t hash, uint32_t *spam, uint32_t *ham,
			 struct rp_diag *diag);

struct rp_classifier_stats {
	uint64_t n_spam, n_ham; /* messages trained */
	uint64_t n_tokens;      /* distinct tokens stored */
	uint64_t db_bytes;      /* pages in use times page size */
};

/* rp_classifier_stats - totals of the committed database. */
int rp_classifier_stats(struct rp_classifier *c, struct rp_classifier_stats *s, struct rp_diag *diag);
/* rp_classifier_backup - consistent compacted copy into the (existing, empty) directory path while the
 * database stays in use (mdb_env_copy2 with MDB_CP_COMPACT). */
int rp_classifier_backup(struct rp_classifier *c, const char *path, struct rp_diag *diag);

#endif
