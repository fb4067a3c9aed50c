/* rf_quarantine.c - the quarantine commands of repute-filter (the milter stores, these read):
 * --quarantine-list RCPT ("all" for every recipient) prints one held message per line, and
 * --quarantine-release ID re-injects one message with quarantine.release_command (default
 * "/usr/sbin/sendmail -G -i", with "-f SENDER -- RCPT..." appended and the message on stdin;
 * Postfix's pickup path does not pass smtpd_milters, so it is not held again), marks it released
 * and trains it as ham in the milter's token database (milter.tokens), when one is configured. The
 * re-injected copy gets an X-Repute-Released: header (id, client, time held) as its trace. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/classify.h"
#include "repute/log.h"
#include "repute/message.h"
#include "repute/quarantine.h"

#include "rf.h"

/* print_entry - one line: id, time, score, sender, recipients count is not known here, subject, reason. */
static int print_entry(void *arg, const struct rp_quarantine_entry *e)
{
	char when[32];
	time_t t = (time_t)e->received;
	struct tm tm;

	(void)arg;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	printf("%" PRId64 "\t%s\t%.0f\t<%s>\t%s\t%s\t%s\n", e->id, when, e->score, e->sender, e->client,
	       e->subject, e->reason);
	return 0;
}

/* reinject - run the release command with the message on stdin; 0 on exit status 0. */
static int reinject(const char *command, const struct rp_quarantine_entry *e, const struct buf *msg)
{
	char *cmd = xstrdup(command), *save = NULL;
	char **argv = NULL;
	size_t n = 0;
	int fds[2], status;

	for (char *w = strtok_r(cmd, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		argv = xreallocarray(argv, n + 1, sizeof(char *));
		argv[n++] = w;
	}
	argv = xreallocarray(argv, n + 4 + e->n_rcpts, sizeof(char *));
	argv[n++] = "-f";
	argv[n++] = (char *)(e->sender[0] ? e->sender : "<>");
	argv[n++] = "--";
	for (size_t i = 0; i < e->n_rcpts; i++)
		argv[n++] = (char *)e->rcpts[i];
	argv[n] = NULL;
	if (n < 4 || pipe(fds) != 0) {
		xfree(argv);
		xfree(cmd);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[0]);
	char when[32];
	time_t t = (time_t)e->received;
	struct tm tm;
	strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S +0000", gmtime_r(&t, &tm));
	char *trace = xasprintf("X-Repute-Released: quarantine id %" PRId64 "; client [%s]; held %s\r\n", e->id,
				e->client, when);
	if (pid > 0 && write(fds[1], trace, strlen(trace)) < 0)
		log_warn("release: write");
	xfree(trace);
	for (size_t off = 0; pid > 0 && off < msg->len;) {
		ssize_t w = write(fds[1], msg->data + off, msg->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fds[1]);
	int rc = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
	xfree(argv);
	xfree(cmd);
	return rc;
}

/* train_ham - learn the message as ham; false with a message when it could not. */
static bool train_ham(const char *db_path, const struct buf *msg)
{
	struct rp_classifier *c = NULL;
	struct rp_message *m = NULL;
	struct rp_tokens t;
	struct rp_diag d = { 0 };
	int rc;

	if (rp_message_parse(msg->data, msg->len, NULL, &m, &d) != 0) {
		fprintf(stderr, "repute-filter: not trained: %s\n", d.reason);
		return false;
	}
	rp_tokens_init(&t, 0, 0);
	rp_tokens_from_message(&t, m);
	if (m->html_text != NULL && m->html_text[0] != '\0')
		rp_tokens_from_raw_html(&t, msg->data, msg->len);
	rp_message_free(m);
	rc = rp_classifier_open(db_path, false, 0, &c, &d);
	if (rc == 0) {
		rp_classifier_learn(c, &t, false);
		rc = rp_classifier_commit(c, &d);
	}
	rp_classifier_close(c);
	rp_tokens_fini(&t);
	if (rc != 0)
		fprintf(stderr, "repute-filter: not trained: %s: %s\n", db_path, d.reason);
	return rc == 0;
}

/* release - fetch, re-inject, mark, train. */
static int release(const struct rf_config *cfg, struct rp_quarantine *q, const char *id_text)
{
	struct rp_quarantine_entry e;
	struct rp_diag d = { 0 };
	struct buf msg;
	char *end;
	long long id = strtoll(id_text, &end, 10);

	if (*id_text == '\0' || *end != '\0' || id <= 0) {
		fprintf(stderr, "repute-filter: --quarantine-release: \"%s\" is not a message id\n", id_text);
		return 2;
	}
	buf_init(&msg);
	if (rp_quarantine_get(q, id, &e, &msg, &d) != 0) {
		fprintf(stderr, "repute-filter: %s\n", d.reason);
		buf_fini(&msg);
		return 1;
	}
	int st = 1;
	if (e.released != 0) {
		fprintf(stderr, "repute-filter: message %lld already released\n", id);
	} else if (reinject(cfg->release_command, &e, &msg) != 0) {
		fprintf(stderr, "repute-filter: %s failed; message %lld stays held\n", cfg->release_command, id);
	} else if (rp_quarantine_mark_released(q, id, time(NULL), &d) != 0) {
		fprintf(stderr, "repute-filter: delivered but not marked released: %s\n", d.reason);
	} else {
		bool trained = cfg->milter_tokens != NULL && *cfg->milter_tokens != '\0' &&
			       train_ham(cfg->milter_tokens, &msg);
		printf("released %lld to %zu recipient(s)%s\n", id, e.n_rcpts, trained ? "; trained as ham" : "");
		st = 0;
	}
	rp_quarantine_entry_fini(&e);
	buf_fini(&msg);
	return st;
}

/* rf_quarantine_cmd - open the quarantine and run one command. */
int rf_quarantine_cmd(const struct rf_config *cfg, const char *list_rcpt, const char *release_id)
{
	struct rp_quarantine *q = NULL;
	struct rp_diag d = { 0 };
	int st;

	if (cfg->quarantine_path == NULL || *cfg->quarantine_path == '\0') {
		fprintf(stderr, "repute-filter: no quarantine.path configured\n");
		return 2;
	}
	if (rp_quarantine_open(cfg->quarantine_path, 5000, &q, &d) != 0) {
		fprintf(stderr, "repute-filter: %s\n", d.reason);
		return 1;
	}
	if (list_rcpt != NULL) {
		const char *r = strcmp(list_rcpt, "all") == 0 ? NULL : list_rcpt;
		st = rp_quarantine_list(q, r, 0, print_entry, NULL, &d) == 0 ? 0 : 1;
		if (st != 0)
			fprintf(stderr, "repute-filter: %s\n", d.reason);
	} else {
		st = release(cfg, q, release_id);
	}
	rp_quarantine_close(q);
	return st;
}
