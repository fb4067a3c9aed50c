/* rf_feedback.c - the feedback loop of repute-filter: a user says "this is spam" or "not spam".
 *
 * "Spam": the message's origin (rp_analyze: the first untrusted hop of its Received chain)
 * becomes Source-IP of an ARF report (rp_arf_build) in which the reporting user's address is
 * replaced everywhere by a placeholder; the report goes to the centre (rf_feedback_send.c) and
 * the message is trained as spam in the milter's token database (milter.tokens). "Not spam" is
 * taken only for a message the filter tagged (X-Spam-Flag: YES, or the policy tag header
 * feedback.header) and trains it as ham. Entry points: rf_feedback (shared with the HTTP
 * listener, rf_http.c) and rf_feedback_cmd (--report-spam / --report-ham FILE|QID --user ADDR,
 * QID being a quarantine id). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "repute/alloc.h"
#include "repute/arf.h"
#include "repute/buf.h"
#include "repute/classify.h"
#include "repute/evidence.h"
#include "repute/log.h"
#include "repute/message.h"
#include "repute/netaddr.h"
#include "repute/quarantine.h"
#include "repute/redact.h"
#include "repute/strutil.h"

#include "rf.h"

#define RF_FEEDBACK_MAX (32L << 20) /* bytes of one reported message */

/* train - learn the message as spam or ham in db_path; false with the reason in result. */
static bool train(const char *db_path, const char *msg, size_t len, bool spam, struct buf *result)
{
	struct rp_classifier *c = NULL;
	struct rp_message *m = NULL;
	struct rp_tokens t;
	struct rp_diag d = { 0 };
	int rc;

	if (rp_message_parse(msg, len, NULL, &m, &d) != 0) {
		buf_printf(result, "not trained: %s", d.reason);
		return false;
	}
	rp_tokens_init(&t, 0, 0);
	rp_tokens_from_message(&t, m);
	if (m->html_text != NULL && m->html_text[0] != '\0')
		rp_tokens_from_raw_html(&t, msg, len);
	rp_message_free(m);
	rc = rp_classifier_open(db_path, false, 0, &c, &d);
	if (rc == 0) {
		rp_classifier_learn(c, &t, spam);
		rc = rp_classifier_commit(c, &d);
	}
	rp_classifier_close(c);
	rp_tokens_fini(&t);
	if (rc != 0)
		buf_printf(result, "not trained: %s: %s", db_path, d.reason);
	return rc == 0;
}

/* origin_ip - the message's origin address as text into ip (RP_ADDR_STRLEN), or false. */
static bool origin_ip(const char *msg, size_t len, char *ip)
{
	struct rp_analyze_config acfg;
	struct rp_analyzer *an;
	struct rp_evidence *ev = NULL;
	struct rp_diag d = { 0 };
	bool found = false;

	rp_analyze_config_default(&acfg);
	an = rp_analyzer_new(&acfg);
	if (an != NULL && rp_analyze(an, msg, len, RP_ANALYZE_HEADERS_ONLY, &ev, &d) == 0 && ev->origin.found) {
		rp_addr_format(&ev->origin.ip, ip);
		found = true;
	}
	rp_evidence_free(ev);
	rp_analyzer_free(an);
	rp_trust_config_fini(&acfg.trust);
	return found;
}

/* tagged - the filter marked the message: X-Spam-Flag: YES or the policy tag header. */
static bool tagged(const struct rf_config *cfg, const char *msg, size_t len)
{
	struct rp_message *m = NULL;
	struct rp_diag d = { 0 };
	bool yes = false;

	if (rp_message_parse_headers(msg, len, NULL, &m, &d) == 0) {
		const char *flag = rp_message_header(m, "X-Spam-Flag");
		yes = (flag != NULL && str_istartswith(flag, "yes")) || rp_message_header(m, cfg->header) != NULL;
	}
	rp_message_free(m);
	return yes;
}

/* user_ok - the user is one address (what the redaction will look for). */
static bool user_ok(const char *user)
{
	struct rp_redact_set s;
	bool ok;

	if (user == NULL || *user == '\0')
		return false;
	rp_redact_set_init(&s);
	rp_redact_set_add(&s, user, strlen(user));
	ok = s.n == 1;
	rp_redact_set_fini(&s);
	return ok;
}

/* answer_id - the "id" of the centre's JSON answer, or "?" (caller frees). */
static char *answer_id(const struct buf *answer)
{
	const char *p = answer->data != NULL ? memmem(answer->data, answer->len, "\"id\":\"", 6) : NULL;

	if (p == NULL)
		return xstrdup("?");
	p += 6;
	const char *q = memchr(p, '"', answer->len - (size_t)(p - answer->data));
	return q != NULL && q - p < 64 ? xstrndup(p, (size_t)(q - p)) : xstrdup("?");
}

/* report - build and send the ARF report; 0 or 2 with the reason in result. */
static int report(const struct rf_config *cfg, const char *msg, size_t len, const char *user, struct buf *result)
{
	char ip[64];
	struct rp_arf_build_in in = {
		.feedback_type = "abuse", .user_agent = "repute-filter/1",
		.from = cfg->fb_report_from, .to = cfg->fb_report_to, .redact_user = user,
		.reporting_mta = cfg->fb_reporting_mta != NULL && *cfg->fb_reporting_mta ? cfg->fb_reporting_mta : NULL,
		.date = (long long)time(NULL),
	};
	struct buf arf, answer, err;
	struct rp_diag d = { 0 };
	size_t n = 0;
	int st = 0;

	if (origin_ip(msg, len, ip))
		in.source_ip = ip;
	buf_init(&arf);
	buf_init(&answer);
	buf_init(&err);
	if (rp_arf_build(&in, msg, len, &arf, &n, &d) != 0) {
		buf_printf(result, "no report: %s", d.reason);
		st = 2;
	} else if (rf_feedback_send(cfg, &arf, &answer, &err) != 0) {
		buf_printf(result, "report not delivered: %.*s", (int)err.len, err.data ? err.data : "");
		st = 2;
	} else {
		char *id = strcmp(cfg->fb_transport, "smtp") == 0 ? xstrdup("smtp") : answer_id(&answer);
		buf_printf(result, "reported (centre id %s, source %s, %zu address%s redacted)", id,
			   in.source_ip ? in.source_ip : "unknown", n, n == 1 ? "" : "es");
		xfree(id);
	}
	buf_fini(&arf);
	buf_fini(&answer);
	buf_fini(&err);
	return st;
}

/* rf_feedback - see rf.h. */
int rf_feedback(const struct rf_config *cfg, const char *msg, size_t len, const char *user, bool spam,
		struct buf *result)
{
	bool have_db = cfg->milter_tokens != NULL && *cfg->milter_tokens != '\0';
	int st;

	if (!user_ok(user)) {
		buf_printf(result, "refused: the reporting user must be one address (--user / ?user=)");
		return 1;
	}
	if (strcmp(cfg->fb_transport, "http") != 0 && strcmp(cfg->fb_transport, "smtp") != 0) {
		buf_printf(result, "refused: feedback.transport must be http or smtp");
		return 2;
	}
	if (!spam) {
		if (!tagged(cfg, msg, len)) {
			buf_printf(result, "refused: the message was not tagged as spam; nothing to correct");
			return 1;
		}
		if (!have_db) {
			buf_printf(result, "refused: no milter.tokens database to train");
			return 1;
		}
		if (!train(cfg->milter_tokens, msg, len, false, result))
			return 2;
		buf_printf(result, "trained as ham");
		log_info("feedback=ham user=%s trained", user);
		return 0;
	}
	st = report(cfg, msg, len, user, result);
	if (have_db) {
		struct buf tr;
		buf_init(&tr);
		if (train(cfg->milter_tokens, msg, len, true, &tr))
			buf_printf(result, "; trained as spam");
		else
			buf_printf(result, "; %.*s", (int)tr.len, tr.data);
		buf_fini(&tr);
	}
	buf_putc(result, '\0');
	result->len--;
	log_info("feedback=spam user=%s %s", user, result->data);
	return st;
}

/* load_quarantined - the message with quarantine id text, into msg; false with a message. */
static bool load_quarantined(const struct rf_config *cfg, const char *text, struct buf *msg)
{
	struct rp_quarantine *q = NULL;
	struct rp_quarantine_entry e;
	struct rp_diag d = { 0 };
	bool ok = false;

	if (cfg->quarantine_path == NULL || *cfg->quarantine_path == '\0') {
		fprintf(stderr, "repute-filter: %s: no such file, and no quarantine.path configured\n", text);
		return false;
	}
	if (rp_quarantine_open(cfg->quarantine_path, 5000, &q, &d) == 0 &&
	    rp_quarantine_get(q, strtoll(text, NULL, 10), &e, msg, &d) == 0) {
		rp_quarantine_entry_fini(&e);
		ok = true;
	} else {
		fprintf(stderr, "repute-filter: quarantine id %s: %s\n", text, d.reason);
	}
	rp_quarantine_close(q);
	return ok;
}

/* rf_feedback_cmd - see rf.h. */
int rf_feedback_cmd(const struct rf_config *cfg, const char *what, const char *user, bool spam)
{
	struct buf msg, result;
	char *data = NULL;
	size_t len = 0;
	int st;

	buf_init(&msg);
	if (access(what, F_OK) == 0) {
		if (file_read_all(what, RF_FEEDBACK_MAX, &data, &len) != 0) {
			fprintf(stderr, "repute-filter: cannot read %s (or larger than 32 MiB)\n", what);
			return 2;
		}
		buf_append(&msg, data, len);
		xfree(data);
	} else if (what[strspn(what, "0123456789")] != '\0' || *what == '\0' ||
		   !load_quarantined(cfg, what, &msg)) {
		if (what[strspn(what, "0123456789")] != '\0' || *what == '\0')
			fprintf(stderr, "repute-filter: %s: no such file or quarantine id\n", what);
		buf_fini(&msg);
		return 2;
	}
	buf_init(&result);
	st = rf_feedback(cfg, msg.data, msg.len, user, spam, &result);
	fprintf(st == 0 ? stdout : stderr, "%s%.*s\n", st == 0 ? "" : "repute-filter: ", (int)result.len,
		result.data ? result.data : "");
	buf_fini(&result);
	buf_fini(&msg);
	return st;
}
