/* quarantine.h - held messages of the mail filter in SQLite: store, list per recipient, fetch, mark released.
 *
 * One SQLite file (WAL, busy timeout, foreign keys) with its own schema, migrated by PRAGMA user_version:
 * messages(id, received, sender, client, subject, reason, score, size, released, body) and
 * recipients(msg_id, rcpt). A message is stored with all its envelope recipients in one transaction.
 * Releasing (re-injection, training) is the caller's business; rp_quarantine_mark_released() records it.
 * One struct rp_quarantine is one connection: not thread-safe (lock around it, or one per thread);
 * several processes may use the same file. */
#ifndef REPUTE_QUARANTINE_H
#define REPUTE_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>

#include "repute/buf.h"
#include "repute/error.h"

/* One held message's metadata. Strings are borrowed (add) or owned by the callback's caller (list, get):
 * valid until the callback returns / until rp_quarantine_entry_fini. */
struct rp_quarantine_entry {
	int64_t id;            /* assigned by rp_quarantine_add */
	int64_t received;      /* unix time */
	int64_t released;      /* unix time of release, 0 = still held */
	const char *sender;    /* envelope sender without <>, "" for the null sender */
	const char *client;    /* client IP */
	const char *subject;   /* decoded or raw Subject, may be "" */
	const char *reason;    /* why it was held, e.g. "content score 97 >= 90" */
	double score;          /* the filter's combined score */
	size_t size;           /* bytes of the message */
	const char *const *rcpts; /* envelope recipients (add: n_rcpts of them) */
	size_t n_rcpts;
};

struct rp_quarantine;

/* rp_quarantine_open - open or create the database at path and migrate its schema; busy_ms is the
 * SQLite busy timeout. Free with rp_quarantine_close. RP_EDB with a reason on failure; RP_EUNSUPP when
 * the file's schema is newer than this program's. */
int rp_quarantine_open(const char *path, long busy_ms, struct rp_quarantine **out, struct rp_diag *diag);
/* rp_quarantine_close - close; accepts NULL, returns NULL. */
struct rp_quarantine *rp_quarantine_close(struct rp_quarantine *q);
/* rp_quarantine_schema_version - PRAGMA user_version of the open database. */
int rp_quarantine_schema_version(struct rp_quarantine *q);

/* rp_quarantine_add - store msg (len bytes) with e's metadata and recipients; e->id receives the id. */
int rp_quarantine_add(struct rp_quarantine *q, struct rp_quarantine_entry *e, const char *msg, size_t len,
		      struct rp_diag *diag);

/* Callback of rp_quarantine_list: e (with rcpts NULL) is valid during the call; non-zero stops the walk. */
typedef int (*rp_quarantine_cb)(void *arg, const struct rp_quarantine_entry *e);
/* rp_quarantine_list - messages held for rcpt (case-insensitive; NULL: all), oldest first; released ones
 * only when with_released. Returns the callback's non-zero value if it stopped the walk. */
int rp_quarantine_list(struct rp_quarantine *q, const char *rcpt, int with_released, rp_quarantine_cb cb,
		       void *arg, struct rp_diag *diag);

/* rp_quarantine_get - one message: its body appended to msg (may move msg->data), metadata into *e with
 * strings and the rcpts array owned by *e (free with rp_quarantine_entry_fini). RP_ENOTFOUND if no such id. */
int rp_quarantine_get(struct rp_quarantine *q, int64_t id, struct rp_quarantine_entry *e, struct buf *msg,
		      struct rp_diag *diag);
/* rp_quarantine_entry_fini - free what rp_quarantine_get put into e. */
void rp_quarantine_entry_fini(struct rp_quarantine_entry *e);

/* rp_quarantine_mark_released - record the release time; RP_ENOTFOUND if no such id, RP_EEXIST if it was
 * already released. */
int rp_quarantine_mark_released(struct rp_quarantine *q, int64_t id, int64_t when, struct rp_diag *diag);

/* rp_quarantine_expire - delete messages received before `before`; *n (may be NULL) gets the count. */
int rp_quarantine_expire(struct rp_quarantine *q, int64_t before, long *n, struct rp_diag *diag);

#endif
