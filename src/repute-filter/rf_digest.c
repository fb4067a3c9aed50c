/* rf_digest.c - repute-filter --digest [--to RCPT]: the quarantine digest.
 *
 * For each recipient with messages held since their last digest (or only RCPT), one plain-text
 * message lists what was held (sender, subject, date, reason, score), says that lawful mail can
 * be filtered by mistake, and shows how to release each one (digest.release_url with {id}, or
 * the release command). It is submitted with digest.sendmail_command ("-f FROM -- RCPT"
 * appended). The last digest per recipient (time and the highest message id it listed) is kept
 * in the quarantine file's own table `digests`, created here if missing: messages newer than
 * that id go into the next digest, so one arriving in the same second is not lost.
 * (The table is created with IF NOT EXISTS rather than as a numbered migration of quarantine.c
 * because that schema's version is pinned by its tests; see docs/repute-filter.md.) */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/log.h"
#include "repute/quarantine.h"

#include "rf.h"

#define RF_DIGEST_SQL_TABLE \
	"CREATE TABLE IF NOT EXISTS digests (rcpt TEXT PRIMARY KEY COLLATE NOCASE," \
	" last_sent INTEGER NOT NULL, last_id INTEGER NOT NULL)"
#define RF_DIGEST_SQL_RCPTS \
	"SELECT DISTINCT r.rcpt FROM recipients r JOIN messages m ON m.id = r.msg_id" \
	" LEFT JOIN digests d ON d.rcpt = r.rcpt WHERE m.released = 0 AND m.id > coalesce(d.last_id, 0)" \
	" AND (?1 IS NULL OR r.rcpt = ?1) ORDER BY r.rcpt"

struct digest {
	const struct rf_config *cfg;
	int64_t after_id, max_id;
	size_t n;
	struct buf list;
};

/* clean - copy s to out with control characters as spaces, at most max bytes. */
static void clean(struct buf *out, const char *s, size_t max)
{
	for (size_t i = 0; s[i] != '\0' && i < max; i++)
		buf_putc(out, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i]);
}

/* add_entry - rp_quarantine_list callback: one numbered paragraph for a newer message. */
static int add_entry(void *arg, const struct rp_quarantine_entry *e)
{
	struct digest *dg = arg;
	char when[40];
	time_t t = (time_t)e->received;
	struct tm tm;

	if (e->id <= dg->after_id)
		return 0;
	strftime(when, sizeof(when), "%a, %d %b %Y %H:%M UTC", gmtime_r(&t, &tm));
	buf_printf(&dg->list, "%2zu. From:    <", ++dg->n);
	clean(&dg->list, e->sender[0] ? e->sender : "", 300);
	buf_puts(&dg->list, ">\n    Subject: ");
	clean(&dg->list, e->subject[0] ? e->subject : "(none)", 200);
	buf_printf(&dg->list, "\n    Date:    %s\n    Reason:  ", when);
	clean(&dg->list, e->reason, 200);
	buf_printf(&dg->list, " (score %.0f)\n    Release: ", e->score);
	const char *url = dg->cfg->digest_release_url;
	if (url != NULL && *url != '\0') {
		for (const char *p = url; *p != '\0'; p++) {
			if (strncmp(p, "{id}", 4) == 0) {
				buf_printf(&dg->list, "%" PRId64, e->id);
				p += 3;
			} else {
				buf_putc(&dg->list, *p);
			}
		}
		buf_puts(&dg->list, "\n\n");
	} else {
		buf_printf(&dg->list, "repute-filter --quarantine-release %" PRId64 "\n\n", e->id);
	}
	if (e->id > dg->max_id)
		dg->max_id = e->id;
	return 0;
}

/* compose - the digest message for rcpt around the list. */
static void compose(const struct digest *dg, const char *rcpt, int64_t last_sent, struct buf *out)
{
	char date[64], since[64];
	time_t now = time(NULL), ls = (time_t)last_sent;
	struct tm tm;

	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", gmtime_r(&now, &tm));
	strftime(since, sizeof(since), "%a, %d %b %Y %H:%M UTC", gmtime_r(&ls, &tm));
	buf_printf(out, "From: Mail filter <%s>\nTo: <%s>\nDate: %s\n", dg->cfg->digest_from, rcpt, date);
	buf_printf(out, "Subject: Quarantine digest: %zu message%s held for you\n", dg->n, dg->n == 1 ? "" : "s");
	buf_printf(out, "Message-ID: <digest.%lld.%" PRId64 "@repute-filter>\nAuto-Submitted: auto-generated\n"
			"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
			"Content-Transfer-Encoding: 8bit\n\n",
		   (long long)now, dg->max_id);
	buf_printf(out, "%zu message%s addressed to you %s held by the spam filter %s%s:\n\n", dg->n,
		   dg->n == 1 ? "" : "s", dg->n == 1 ? "was" : "were",
		   last_sent > 0 ? "since your last digest of " : "so far", last_sent > 0 ? since : "");
	buf_append(out, dg->list.data, dg->list.len);
	buf_puts(out, "The filter can be wrong: lawful mail is sometimes held by mistake. If one of these\n"
		      "messages is one you wanted, release it with the link or command shown and it is\n"
		      "delivered to you (and to its other recipients here); releasing also teaches the\n"
		      "filter that such mail is not spam. Messages you do not release stay held and are\n"
		      "deleted when the quarantine expires them.\n");
}

/* last_digest - the recipient's last digest (time, id), zero when none. */
static void last_digest(sqlite3 *db, const char *rcpt, int64_t *sent, int64_t *id)
{
	sqlite3_stmt *st = NULL;

	*sent = *id = 0;
	if (sqlite3_prepare_v2(db, "SELECT last_sent, last_id FROM digests WHERE rcpt = ?", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, rcpt, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*sent = sqlite3_column_int64(st, 0);
		*id = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
}

/* record_digest - remember the digest just sent; false on a database error. */
static bool record_digest(sqlite3 *db, const char *rcpt, int64_t sent, int64_t id)
{
	sqlite3_stmt *st = NULL;
	bool ok;

	if (sqlite3_prepare_v2(db, "INSERT INTO digests (rcpt, last_sent, last_id) VALUES (?, ?, ?)"
				   " ON CONFLICT(rcpt) DO UPDATE SET last_sent = excluded.last_sent, last_id = excluded.last_id",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, sent);
	sqlite3_bind_int64(st, 3, id);
	ok = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	return ok;
}

/* one_digest - list, compose, submit and record for one recipient; true when sent. */
static bool one_digest(const struct rf_config *cfg, struct rp_quarantine *q, sqlite3 *db, const char *rcpt)
{
	struct digest dg = { .cfg = cfg };
	struct rp_diag d = { 0 };
	int64_t last_sent;
	struct buf msg;
	bool sent = false;

	last_digest(db, rcpt, &last_sent, &dg.after_id);
	buf_init(&dg.list);
	buf_init(&msg);
	if (rp_quarantine_list(q, rcpt, 0, add_entry, &dg, &d) != 0) {
		fprintf(stderr, "repute-filter: digest for %s: %s\n", rcpt, d.reason);
	} else if (dg.n > 0) {
		compose(&dg, rcpt, last_sent, &msg);
		if (rf_run_sendmail(cfg->digest_sendmail, cfg->digest_from, rcpt, msg.data, msg.len) != 0)
			fprintf(stderr, "repute-filter: digest for %s: %s failed\n", rcpt, cfg->digest_sendmail);
		else if (!record_digest(db, rcpt, (int64_t)time(NULL), dg.max_id))
			fprintf(stderr, "repute-filter: digest for %s sent but not recorded: %s\n", rcpt, sqlite3_errmsg(db));
		else
			sent = true;
		if (sent)
			printf("digest sent to %s: %zu message%s\n", rcpt, dg.n, dg.n == 1 ? "" : "s");
	}
	buf_fini(&dg.list);
	buf_fini(&msg);
	return sent;
}

/* rf_digest_cmd - see rf.h. */
int rf_digest_cmd(const struct rf_config *cfg, const char *only_rcpt)
{
	struct rp_quarantine *q = NULL;
	struct rp_diag d = { 0 };
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char **rcpts = NULL;
	size_t n = 0, sent = 0;

	if (cfg->quarantine_path == NULL || *cfg->quarantine_path == '\0') {
		fprintf(stderr, "repute-filter: --digest: no quarantine.path configured\n");
		return 2;
	}
	if (rp_quarantine_open(cfg->quarantine_path, 5000, &q, &d) != 0) { /* creates and migrates */
		fprintf(stderr, "repute-filter: %s\n", d.reason);
		return 1;
	}
	if (sqlite3_open_v2(cfg->quarantine_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
	    sqlite3_exec(db, RF_DIGEST_SQL_TABLE, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, RF_DIGEST_SQL_RCPTS, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "repute-filter: %s: %s\n", cfg->quarantine_path, sqlite3_errmsg(db));
		sqlite3_close(db);
		rp_quarantine_close(q);
		return 1;
	}
	if (only_rcpt != NULL)
		sqlite3_bind_text(st, 1, only_rcpt, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		rcpts = xreallocarray(rcpts, n + 1, sizeof(char *));
		rcpts[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		sent += one_digest(cfg, q, db, rcpts[i]);
		xfree(rcpts[i]);
	}
	xfree(rcpts);
	sqlite3_close(db);
	rp_quarantine_close(q);
	if (n == 0)
		printf("no recipient has messages held since their last digest\n");
	return sent == n ? 0 : 1;
}
