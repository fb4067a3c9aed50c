/* rd_intake.c - one reported mail message or SMS in, one durable report out.
 *
 * Every channel (HTTP, web form, SMS webhook, SMTP) ends here: the message is analysed by
 * the evidence engine (rp_analyze) in the request's thread, its sources (the origin IP or
 * IPv6 /64, the registrable domains of its URLs, phone numbers) are collected, and the
 * report goes to the writer thread, which answers after the commit. An SMS becomes a report
 * whose raw original is the canonical JSON of the SMS and whose evidence lists what the
 * extractor found in its text. Errors come back as a status, a code of the documented
 * error shape and a message that says exactly what is wrong. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/log.h"
#include "repute/store.h"

#include "rd.h"

/* worker_free - thread exit destructor of the per-thread analyzer. */
static void worker_free(void *p)
{
	struct rd_worker *w = p;

	rp_analyzer_free(w->an);
	rp_extractor_free(w->x);
	xfree(w);
}

/* rd_worker_key_init - the thread-specific key for workers. */
void rd_worker_key_init(struct rd *rd)
{
	pthread_key_create(&rd->worker_key, worker_free);
}

/* rd_worker_get - this thread's worker, created on first use. */
struct rd_worker *rd_worker_get(struct rd *rd)
{
	struct rd_worker *w = pthread_getspecific(rd->worker_key);

	if (w != NULL)
		return w;
	w = xcalloc(1, sizeof(*w));
	w->an = rp_analyzer_new(&rd->acfg);
	w->x = rp_extractor_new(rd->cfg.default_country);
	if (w->an == NULL || w->x == NULL)
		log_panic("cannot load the public suffix list");
	pthread_setspecific(rd->worker_key, w);
	return w;
}

/* rd_outcome_fail - an error outcome. */
int rd_outcome_fail(struct rd_outcome *out, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	out->status = status;
	out->code = code;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* rd_ensure_reporter - find or create a reporter by name. */
int rd_ensure_reporter(struct rp_store *st, const char *name, const char *role, char id[32])
{
	struct rp_diag diag = { 0 };

	if (rp_store_reporter_find(st, name, id) == RP_OK)
		return RP_OK;
	int rc = rp_store_reporter_add(st, name, role, id, &diag);
	if (rc != RP_OK)
		log_warnx("reporter %s: %s", name, diag.reason);
	return rc;
}

/* sources - the sources of one report, bounded. */
struct sources {
	struct rp_source_ref *v;
	char **owned;
	size_t n, max;
};

/* sources_add - add a copy of value unless full or already there. */
static void sources_add(struct sources *s, enum rp_source_kind kind, const char *value)
{
	if (s->n >= s->max || value == NULL || value[0] == '\0')
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].kind == kind && strcmp(s->v[i].value, value) == 0)
			return;
	s->owned[s->n] = xstrdup(value);
	s->v[s->n].kind = kind;
	s->v[s->n].value = s->owned[s->n];
	s->n++;
}

/* sources_init - room for max sources. */
static void sources_init(struct sources *s, size_t max)
{
	s->v = xcalloc(max, sizeof(*s->v));
	s->owned = xcalloc(max, sizeof(*s->owned));
	s->n = 0;
	s->max = max;
}

/* sources_fini - free the copies. */
static void sources_fini(struct sources *s)
{
	for (size_t i = 0; i < s->n; i++)
		xfree(s->owned[i]);
	xfree(s->owned);
	xfree(s->v);
}

/* sources_add_addr - an origin address as an IPv4 or IPv6 /64 source (public ones only). */
static void sources_add_addr(struct sources *s, const struct rp_addr *a)
{
	char text[RP_ADDR_STRLEN], value[96];
	enum rp_source_kind kind;

	if (!rp_addr_is_public(a))
		return;
	rp_addr_format(a, text);
	if (rp_source_classify(text, &kind, value, sizeof(value)) == RP_OK)
		sources_add(s, kind, value);
}

/* sources_add_found - registrable domains of URLs and phone numbers the extractor found.
 * Domains of e-mail addresses are not sources: the sender of much spam is a freemail account,
 * and a complaint centre must never blame 163.com or gmail.com for one of their users. */
static void sources_add_found(struct sources *s, const struct rp_extract *found)
{
	for (size_t i = 0; i < found->n_urls; i++)
		if (found->urls[i].domain && *found->urls[i].domain)
			sources_add(s, RP_SRC_DOMAIN, found->urls[i].domain);
	for (size_t i = 0; i < found->phones.n; i++)
		sources_add(s, RP_SRC_PHONE, found->phones.items[i]);
}

/* store_report - hand the report to the writer; fill the outcome. */
static int store_report(struct rd *rd, struct rp_report_in *in, struct rd_outcome *out)
{
	struct rp_diag diag = { 0 };
	int rc = rd_writer_submit(rd->writer, in, &out->res, &diag);

	if (rc == RP_ENOMEM || rc == RP_EIO)
		return rd_outcome_fail(out, 503, "unavailable", "%s, try again later", diag.reason);
	if (rc != RP_OK) {
		log_warnx("report store failed: channel=%s reporter=%s: %s", in->channel, in->reporter_id, diag.reason);
		return rd_outcome_fail(out, 500, "internal", "the report could not be stored");
	}
	out->status = out->res.duplicate ? 200 : 201;
	out->code = NULL;
	if (out->res.duplicate)
		rd_metrics_inc(M_DUPLICATES, 1);
	else
		rd_metrics_channel(in->channel);
	log_info("report=%s channel=%s reporter=%s origin=%s sources=%zu campaign=%lld%s", out->res.id, in->channel,
		 in->reporter_id, in->origin ? in->origin : "-", in->n_sources, (long long)out->res.campaign_id,
		 out->res.duplicate ? " duplicate" : "");
	return 0;
}

/* rd_intake_mail - analyse and store one mail message. */
int rd_intake_mail(struct rd *rd, const char *reporter_id, const char *channel, const char *data, size_t len,
		   struct rd_outcome *out)
{
	return rd_intake_mail_from(rd, reporter_id, NULL, channel, data, len, out);
}

/* resolve_reporter - the id of reporter_name (created on first use) into id. */
static int resolve_reporter(struct rd *rd, const char *reporter_name, char id[32], struct rd_outcome *out)
{
	pthread_mutex_lock(&rd->reader_lock);
	int rc = rd_ensure_reporter(rd->reader, reporter_name, "reporter", id);
	pthread_mutex_unlock(&rd->reader_lock);
	if (rc != RP_OK)
		return rd_outcome_fail(out, 500, "internal", "cannot record the reporter, try again later");
	return 0;
}

/* rd_intake_mail_from - the same, for a reporter given by name (made only for real mail). */
int rd_intake_mail_from(struct rd *rd, const char *reporter_id, const char *reporter_name, const char *channel,
			const char *data, size_t len, struct rd_outcome *out)
{
	char named_id[32];
	struct rd_worker *w = rd_worker_get(rd);
	struct rp_evidence *ev = NULL;
	struct rp_diag diag = { 0 };
	struct sources src;
	char origin[RP_ADDR_STRLEN], fptext[RP_FP_TEXTLEN];

	if (len == 0)
		return rd_outcome_fail(out, 400, "empty_message", "the message is empty");
	int rc = rp_analyze(w->an, data, len, RP_ANALYZE_FULL, &ev, &diag);
	if (rc != RP_OK) {
		rd_metrics_inc(M_REJECTED, 1);
		if (strncmp(diag.reason, "not a mail message", 18) == 0)
			return rd_outcome_fail(out, 400, "not_mail", "%s", diag.reason);
		return rd_outcome_fail(out, 400, "not_mail", "not a mail message: %s",
				       diag.reason[0] ? diag.reason : rp_strerror(rc));
	}
	if (reporter_name != NULL) {
		if (resolve_reporter(rd, reporter_name, named_id, out) != 0) {
			rp_evidence_free(ev);
			return -1;
		}
		reporter_id = named_id;
	}
	json_t *j = rp_evidence_to_json(ev);
	char *evidence = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	sources_init(&src, (size_t)rd->cfg.max_sources);
	if (ev->origin.found) {
		rp_addr_format(&ev->origin.ip, origin);
		sources_add_addr(&src, &ev->origin.ip);
	}
	sources_add_found(&src, &ev->found);
	struct rp_report_in in = {
		.channel = channel, .reporter_id = reporter_id, .received_at = (int64_t)time(NULL),
		.raw = data, .raw_len = len, .evidence_json = evidence,
		.message_id = ev->subject ? rp_message_header(ev->subject, "Message-ID") : NULL,
		.fingerprint = ev->fingerprint.n_features ? rp_fingerprint_format(&ev->fingerprint, fptext) : NULL,
		.fp = &ev->fingerprint, .origin = ev->origin.found ? origin : NULL,
		.sources = src.v, .n_sources = src.n,
	};
	rc = store_report(rd, &in, out);
	sources_fini(&src);
	free(evidence);
	rp_evidence_free(ev);
	return rc;
}

/* parse_time - Unix seconds from a JSON integer or an RFC 3339 string; -1 when invalid. */
static int64_t parse_time(json_t *v)
{
	struct tm tm = { 0 };
	const char *s, *rest;
	long off = 0;

	if (v == NULL || json_is_null(v))
		return (int64_t)time(NULL);
	if (json_is_integer(v))
		return json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (rest == NULL)
		return -1;
	if (*rest == '.')
		for (rest++; isdigit((unsigned char)*rest); rest++)
			;
	if (*rest == 'Z' || *rest == 'z') {
		rest++;
	} else if ((*rest == '+' || *rest == '-') && isdigit((unsigned char)rest[1]) && isdigit((unsigned char)rest[2]) &&
		   rest[3] == ':' && isdigit((unsigned char)rest[4]) && isdigit((unsigned char)rest[5])) {
		off = ((rest[1] - '0') * 10 + (rest[2] - '0')) * 3600L + ((rest[4] - '0') * 10 + (rest[5] - '0')) * 60L;
		if (*rest == '+')
			off = -off;
		rest += 6;
	} else {
		return -1;
	}
	if (*rest != '\0')
		return -1;
	return (int64_t)timegm(&tm) + off;
}

/* sms_field - a string member, or NULL with an outcome when missing, wrong or too long. */
static const char *sms_field(json_t *sms, const char *name, bool required, size_t max, struct rd_outcome *out)
{
	json_t *v = json_object_get(sms, name);

	if (v == NULL || json_is_null(v)) {
		if (required)
			rd_outcome_fail(out, 400, "missing_field", "\"%s\" is required", name);
		return NULL;
	}
	if (!json_is_string(v)) {
		rd_outcome_fail(out, 400, "invalid_field", "\"%s\" must be a string", name);
		return NULL;
	}
	if (json_string_length(v) > max) {
		rd_outcome_fail(out, 400, "invalid_field", "\"%s\" is longer than %zu bytes", name, max);
		return NULL;
	}
	return json_string_value(v);
}

/* sms_evidence - the evidence object of an SMS report. */
static json_t *sms_evidence(const char *sender, const char *recipient, int64_t at, const char *text,
			    const struct rp_extract *found, const char *fp)
{
	json_t *urls = json_array(), *domains = json_array(), *phones = json_array();

	for (size_t i = 0; i < found->n_urls; i++)
		json_array_append_new(urls, json_string(found->urls[i].url));
	for (size_t i = 0; i < found->domains.n; i++)
		json_array_append_new(domains, json_string(found->domains.items[i]));
	for (size_t i = 0; i < found->phones.n; i++)
		json_array_append_new(phones, json_string(found->phones.items[i]));
	return json_pack("{s:s, s:s, s:s?, s:I, s:I, s:o, s:o, s:o, s:s?}", "kind", "sms", "sender", sender,
			 "recipient", recipient, "received_at", (json_int_t)at, "text_length",
			 (json_int_t)strlen(text), "urls", urls, "domains", domains, "phones", phones, "fingerprint", fp);
}

/* rd_intake_sms - validate and store an SMS report. */
int rd_intake_sms(struct rd *rd, const char *reporter_id, const char *channel, json_t *sms, struct rd_outcome *out)
{
	struct rd_worker *w = rd_worker_get(rd);
	char sender[32], recipient[32], fptext[RP_FP_TEXTLEN];
	struct rp_fingerprint fp;
	struct rp_extract found;
	struct sources src;

	if (!json_is_object(sms))
		return rd_outcome_fail(out, 400, "invalid_json", "an SMS report must be a JSON object");
	const char *s_sender = sms_field(sms, "sender", true, 64, out);
	if (s_sender == NULL)
		return -1;
	if (s_sender[0] == '\0')
		return rd_outcome_fail(out, 400, "missing_field", "\"sender\" is empty");
	const char *s_rcpt = sms_field(sms, "recipient", false, 64, out);
	if (s_rcpt == NULL && out->code != NULL)
		return -1;
	const char *text = sms_field(sms, "text", true, 65536, out);
	if (text == NULL)
		return -1;
	if (text[0] == '\0')
		return rd_outcome_fail(out, 400, "invalid_field", "\"text\" is empty");
	if (rp_phone_normalize(s_sender, rd->cfg.default_country, sender, sizeof(sender)) != RP_OK)
		return rd_outcome_fail(out, 400, "invalid_field", "\"sender\" is not a phone number: \"%.64s\"",
				       s_sender);
	if (s_rcpt != NULL && rp_phone_normalize(s_rcpt, rd->cfg.default_country, recipient, sizeof(recipient)) != RP_OK)
		return rd_outcome_fail(out, 400, "invalid_field", "\"recipient\" is not a phone number: \"%.64s\"",
				       s_rcpt);
	int64_t at = parse_time(json_object_get(sms, "received_at"));
	if (at < 0)
		return rd_outcome_fail(out, 400, "invalid_field",
				       "\"received_at\" must be RFC 3339 (2024-05-01T08:30:00Z) or Unix seconds");
	rp_extract_init(&found);
	rp_extract_text(w->x, &found, text, strlen(text));
	rp_fingerprint_compute(text, strlen(text), &fp);
	const char *fps = fp.n_features ? rp_fingerprint_format(&fp, fptext) : NULL;
	json_t *ev = sms_evidence(sender, s_rcpt ? recipient : NULL, at, text, &found, fps);
	json_t *raw = json_pack("{s:s, s:s?, s:s, s:I}", "sender", s_sender, "recipient", s_rcpt, "text", text,
				"received_at", (json_int_t)at);
	char *evidence = json_dumps(ev, JSON_COMPACT), *rawtext = json_dumps(raw, JSON_COMPACT);
	sources_init(&src, (size_t)rd->cfg.max_sources);
	sources_add(&src, RP_SRC_PHONE, sender);
	sources_add_found(&src, &found);
	struct rp_report_in in = {
		.channel = channel, .reporter_id = reporter_id, .received_at = at, .raw = rawtext,
		.raw_len = strlen(rawtext), .evidence_json = evidence, .fingerprint = fps, .fp = &fp,
		.origin = sender, .sources = src.v, .n_sources = src.n,
	};
	int rc = store_report(rd, &in, out);
	sources_fini(&src);
	free(evidence);
	free(rawtext);
	json_decref(ev);
	json_decref(raw);
	rp_extract_fini(&found);
	return rc;
}
