/* rd_api.c - the endpoints of reputed's HTTP API, one handler each: filing reports (raw
 * message, JSON, SMS webhook, web form), reading reports, searches, sources, campaigns,
 * statistics, case transitions and the audit log. rd_http.c has already routed the request,
 * checked key, role, rate, size and content type, and collected the body; a handler
 * answers with one rd_reply_* call. docs/reputed.md documents every endpoint. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "repute/alloc.h"
#include "repute/log.h"
#include "repute/redact.h"

#include "rd.h"
#include "rd_http.h"

/* decode_base64 - standard base64 with or without padding, line breaks allowed. */
static bool decode_base64(const char *b64, size_t n, char **out, size_t *out_len)
{
	static const int variants[] = { sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING };
	char *bin = xmalloc(n / 4 * 3 + 4);

	for (size_t i = 0; i < 2; i++) {
		const char *end = NULL;
		if (sodium_base642bin((unsigned char *)bin, n / 4 * 3 + 3, b64, n, " \r\n\t", out_len, &end,
				      variants[i]) == 0 &&
		    end == b64 + n) {
			bin[*out_len] = '\0';
			*out = bin;
			return true;
		}
	}
	xfree(bin);
	return false;
}

/* parse_json_body - the body as a JSON object, or an error outcome. */
static json_t *parse_json_body(const struct req *r, struct rd_outcome *o)
{
	json_error_t err;
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &err);

	if (j == NULL) {
		rd_outcome_fail(o, 400, "invalid_json", "invalid JSON at line %d column %d: %s", err.line, err.column,
				err.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		rd_outcome_fail(o, 400, "invalid_json", "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/* post_reports_json - {"message_base64": ...} or an SMS report object. */
static void post_reports_json(struct rd *rd, struct req *r, const char *channel, struct rd_outcome *o)
{
	json_t *j = parse_json_body(r, o), *m;
	char *msg;
	size_t len;

	if (j == NULL)
		return;
	if ((m = json_object_get(j, "message_base64")) != NULL) {
		if (!json_is_string(m))
			rd_outcome_fail(o, 400, "invalid_field", "\"message_base64\" must be a string");
		else if (!decode_base64(json_string_value(m), json_string_length(m), &msg, &len))
			rd_outcome_fail(o, 400, "invalid_field", "\"message_base64\" is not valid base64");
		else {
			rd_intake_mail(rd, r->who.reporter_id, channel, msg, len, o);
			xfree(msg);
		}
	} else if (json_object_get(j, "sender") != NULL || json_object_get(j, "text") != NULL) {
		rd_intake_sms(rd, r->who.reporter_id, channel, j, o);
	} else {
		rd_outcome_fail(o, 400, "missing_field",
				"expected \"message_base64\" (a mail message) or \"sender\" and \"text\" (an SMS)");
	}
	json_decref(j);
}

/* rd_api_post_reports - POST /v1/reports. */
enum MHD_Result rd_api_post_reports(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	struct rd_outcome o = { 0 };
	const char *channel = strcmp(r->who.role, "operator") == 0 ? "operator" : "http";

	if (rd_content_type_is(c, "message/rfc822"))
		rd_intake_mail(rd, r->who.reporter_id, channel, r->body.data ? r->body.data : "", r->body.len, &o);
	else
		post_reports_json(rd, r, channel, &o);
	return rd_reply_outcome(c, r, &o);
}

/* rd_api_post_sms - POST /v1/sms: the gateway webhook, signed with HMAC-SHA256. */
enum MHD_Result rd_api_post_sms(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, rd->cfg.sms_signature_header);
	struct rd_outcome o = { 0 };
	char secret[sizeof(rd->live.sms_secret)];

	pthread_rwlock_rdlock(&rd->live_lock);
	memcpy(secret, rd->live.sms_secret, sizeof(secret));
	pthread_rwlock_unlock(&rd->live_lock);
	bool good = rd_hmac_verify(secret, r->body.data ? r->body.data : "", r->body.len, sig);
	sodium_memzero(secret, sizeof(secret));
	if (!good)
		return rd_reply_error(c, 401, "bad_signature", 0, "the %s header is not the HMAC-SHA256 of the body",
				   rd->cfg.sms_signature_header);
	json_t *j = parse_json_body(r, &o);
	if (j != NULL) {
		rd_intake_sms(rd, rd->sms_reporter_id, "sms", j, &o);
		json_decref(j);
	}
	return rd_reply_outcome(c, r, &o);
}

/* rd_api_post_form - POST /v1/forms/report. */
enum MHD_Result rd_api_post_form(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	struct rd_outcome o = { 0 };

	if (r->pp != NULL) {
		if (MHD_destroy_post_processor(r->pp) != MHD_YES && r->form.bad_field[0] == '\0')
			snprintf(r->form.bad_field, sizeof(r->form.bad_field), "%s", "(malformed form data)");
		r->pp = NULL;
	}
	if (r->form.too_big)
		return rd_reply_error(c, 413, "payload_too_large", 0, "the form is larger than %zu bytes", r->limit);
	if (r->form.bad_field[0] == '(')
		return rd_reply_error(c, 400, "bad_request", 0, "the form data is malformed");
	if (r->form.bad_field[0] != '\0')
		return rd_reply_error(c, 400, "invalid_field", 0, "unexpected form field %s", r->form.bad_field);
	const char *reporter = r->authed && rd_may_submit(r->who.role) ? r->who.reporter_id : rd->form_reporter_id;
	rd_form_submit(rd, reporter, &r->form, &o);
	return rd_reply_outcome(c, r, &o);
}

/* report_json - the API view of a stored report. */
static json_t *report_json(const struct rp_report *rep, bool with_raw)
{
	json_error_t err;
	json_t *ev = rep->evidence_json ? json_loads(rep->evidence_json, 0, &err) : NULL;
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s?, s:s?, s:s?, s:I, s:I, s:o}", "id", rep->id, "channel",
			      rep->channel, "reporter_id", rep->reporter_id, "received_at", (json_int_t)rep->received_at,
			      "message_id", rep->message_id, "origin", rep->origin, "fingerprint", rep->fingerprint,
			      "dup_count", (json_int_t)rep->dup_count, "raw_size", (json_int_t)rep->raw_len, "evidence",
			      ev ? ev : json_null());

	json_object_set_new(j, "campaign_id", rep->campaign_id ? json_integer(rep->campaign_id) : json_null());
	if (with_raw && rep->raw != NULL) {
		size_t n = sodium_base64_encoded_len(rep->raw_len, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = xmalloc(n);
		sodium_bin2base64(b64, n, rep->raw, rep->raw_len, sodium_base64_VARIANT_ORIGINAL);
		json_object_set_new(j, "raw_base64", json_string(b64));
		xfree(b64);
	}
	return j;
}

/* redact_evidence - replace the recipients' addresses (the reporter's own: To, Cc, Delivered-To,
 * Received "for", in the raw original and the evidence's hops) in the evidence of a report
 * that leaves the analyst role (issue 5, privacy; src/librepute/redact.c). */
static void redact_evidence(struct rp_report *rep)
{
	struct rp_redact_set s;
	json_error_t err;
	json_t *ev = rep->evidence_json ? json_loads(rep->evidence_json, 0, &err) : NULL, *hop;
	size_t i;

	rp_redact_set_init(&s);
	if (rep->raw != NULL)
		rp_redact_collect(rep->raw, rep->raw_len, &s);
	json_array_foreach(json_object_get(ev, "received"), i, hop) {
		const char *f = json_string_value(json_object_get(hop, "for"));
		if (f != NULL)
			rp_redact_set_add(&s, f, strlen(f));
	}
	json_decref(ev);
	if (rep->evidence_json != NULL && s.n > 0) {
		struct buf b;
		buf_init(&b);
		rp_redact_text(rep->evidence_json, strlen(rep->evidence_json), &s, &b);
		xfree(rep->evidence_json);
		rep->evidence_json = xstrdup(b.data);
		buf_fini(&b);
	}
	rp_redact_set_fini(&s);
}

/* rd_api_get_report - GET /v1/reports/{id}: own reports, or any for analysts, admins, operators. */
enum MHD_Result rd_api_get_report(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	struct rp_report *rep = NULL;
	const char *raw = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "raw");

	pthread_mutex_lock(&rd->reader_lock);
	int rc = rp_store_report_get(rd->reader, r->arg, &rep);
	pthread_mutex_unlock(&rd->reader_lock);
	if (rc == RP_ENOTFOUND)
		return rd_reply_error(c, 404, "not_found", 0, "no report %s", r->arg);
	if (rc != RP_OK)
		return rd_reply_error(c, 500, "internal", 0, "the report could not be read");
	bool all = rd_sees_all_reports(r->who.role);
	if (!all && strcmp(rep->reporter_id, r->who.reporter_id) != 0) {
		rp_report_free(rep);
		return rd_reply_error(c, 403, "forbidden", 0, "report %s was filed by another reporter", r->arg);
	}
	if (!rd_is_analyst(r->who.role))
		redact_evidence(rep);
	json_t *j = report_json(rep, raw != NULL && strcmp(raw, "1") == 0 && all && strcmp(r->who.role, "operator") != 0);
	rp_report_free(rep);
	return rd_reply_json(c, 200, j, 0);
}

/* rd_api_get_source - GET /v1/sources/{ip|ip6/64|domain|+phone}. */
enum MHD_Result rd_api_get_source(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	enum rp_source_kind kind;
	char value[300];
	json_t *j = NULL;

	if (strlen(r->arg) >= sizeof(value) || rp_source_classify(r->arg, &kind, value, sizeof(value)) != RP_OK)
		return rd_reply_error(c, 400, "invalid_field", 0,
				   "\"%.100s\" is not an IPv4 address, IPv6 address or /64, domain or +E.164 number", r->arg);
	pthread_mutex_lock(&rd->reader_lock);
	int rc = rp_store_source_json(rd->reader, kind, value, &j);
	pthread_mutex_unlock(&rd->reader_lock);
	if (rc == RP_ENOTFOUND)
		return rd_reply_error(c, 404, "not_found", 0, "%s %s has never been reported", rp_source_kind_name(kind), value);
	if (rc != RP_OK)
		return rd_reply_error(c, 500, "internal", 0, "the source could not be read");
	return rd_reply_json(c, 200, j, 0);
}

/* rd_api_get_stats - GET /v1/stats[?days=N]. */
enum MHD_Result rd_api_get_stats(struct rd *rd, struct MHD_Connection *c)
{
	const char *d = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "days");
	long days = 30;
	char *end;
	json_t *j = NULL;

	if (d != NULL) {
		days = strtol(d, &end, 10);
		if (*d == '\0' || *end != '\0' || days < 1 || days > 3650)
			return rd_reply_error(c, 400, "invalid_field", 0, "\"days\" must be a whole number from 1 to 3650");
	}
	pthread_mutex_lock(&rd->reader_lock);
	int rc = rp_store_stats_json(rd->reader, (int64_t)time(NULL) - days * 86400, &j);
	pthread_mutex_unlock(&rd->reader_lock);
	if (rc != RP_OK)
		return rd_reply_error(c, 500, "internal", 0, "statistics could not be read");
	json_object_set_new(j, "days", json_integer(days));
	return rd_reply_json(c, 200, j, 0);
}

/* int_arg - a whole-number query parameter in [min, max] into *out (default when absent). */
static bool int_arg(struct MHD_Connection *c, const char *name, long long min, long long max, long long *out)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	char *end;

	if (v == NULL)
		return true;
	long long n = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < min || n > max)
		return false;
	*out = n;
	return true;
}

/* search_query - the report search from the query string; false with *bad naming a parameter. */
static bool search_query(struct MHD_Connection *c, struct rp_report_query *q, char *value, size_t len,
			 const char **bad)
{
	const char *src = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "source");
	const char *before = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "before");
	long long campaign = 0, since = 0, until = 0, limit = 50;

	q->channel = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "channel");
	if (src != NULL) {
		if (strlen(src) >= len || rp_source_classify(src, &q->source_kind, value, len) != RP_OK) {
			*bad = "source";
			return false;
		}
		q->by_source = true;
		q->source_value = value;
	}
	if (before != NULL && (strlen(before) != RP_REPORT_ID_LEN - 1 || before[0] != 'R')) {
		*bad = "before";
		return false;
	}
	q->before_id = before;
	if (!int_arg(c, "campaign", 1, INT64_MAX, &campaign)) {
		*bad = "campaign";
		return false;
	}
	if (!int_arg(c, "since", 0, INT64_MAX, &since)) {
		*bad = "since";
		return false;
	}
	if (!int_arg(c, "until", 1, INT64_MAX, &until)) {
		*bad = "until";
		return false;
	}
	if (!int_arg(c, "limit", 1, 1000, &limit)) {
		*bad = "limit";
		return false;
	}
	q->campaign_id = campaign;
	q->since = since;
	q->until = until;
	q->limit = (size_t)limit;
	return true;
}

/* rd_api_get_reports - GET /v1/reports?source=&campaign=&channel=&since=&until=&before=&limit=
 * (reporters see only their own). */
enum MHD_Result rd_api_get_reports(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	struct rp_report_query q = { 0 };
	char value[300];
	const char *bad = NULL;
	json_t *j = NULL;

	if (!search_query(c, &q, value, sizeof(value), &bad))
		return rd_reply_error(c, 400, "invalid_field", 0,
				   "query parameter \"%s\" is invalid (source: an address, /64, domain or +number; "
				   "campaign, since, until: whole numbers; limit: 1 to 1000; before: a report id)", bad);
	if (!rd_sees_all_reports(r->who.role))
		q.reporter_id = r->who.reporter_id;
	pthread_mutex_lock(&rd->reader_lock);
	int rc = rp_store_report_search_json(rd->reader, &q, &j);
	pthread_mutex_unlock(&rd->reader_lock);
	if (rc != RP_OK)
		return rd_reply_error(c, 500, "internal", 0, "the search failed");
	return rd_reply_json(c, 200, j, 0);
}

/* rd_api_get_campaign - GET /v1/campaigns/{id}. */
enum MHD_Result rd_api_get_campaign(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	char *end;
	long long id = strtoll(r->arg, &end, 10);
	json_t *j = NULL;

	if (*end != '\0' || id < 1)
		return rd_reply_error(c, 400, "invalid_field", 0, "a campaign id is a positive whole number, not \"%.40s\"",
				   r->arg);
	pthread_mutex_lock(&rd->reader_lock);
	int rc = rp_store_campaign_json(rd->reader, id, &j);
	pthread_mutex_unlock(&rd->reader_lock);
	if (rc == RP_ENOTFOUND)
		return rd_reply_error(c, 404, "not_found", 0, "no campaign %lld", id);
	if (rc != RP_OK)
		return rd_reply_error(c, 500, "internal", 0, "the campaign could not be read");
	return rd_reply_json(c, 200, j, 0);
}

/* state_of - a case state from its name, or RP_CASE_N_STATES. */
static enum rp_case_state state_of(const char *name)
{
	for (int i = 0; i < RP_CASE_N_STATES; i++)
		if (strcmp(name, rp_case_state_name((enum rp_case_state)i)) == 0)
			return (enum rp_case_state)i;
	return RP_CASE_N_STATES;
}

/* rd_api_post_case - POST /v1/cases/{id} {"state": "...", "reason": "..."}: an audited transition. */
enum MHD_Result rd_api_post_case(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	struct rd_outcome o = { 0 };
	struct rp_diag diag = { 0 };
	char *end;
	long long id = strtoll(r->arg, &end, 10);

	if (*end != '\0' || id < 1)
		return rd_reply_error(c, 400, "invalid_field", 0, "a case id is a positive whole number, not \"%.40s\"", r->arg);
	json_t *j = parse_json_body(r, &o);
	if (j == NULL)
		return rd_reply_error(c, o.status, o.code, 0, "%s", o.message);
	const char *state = json_string_value(json_object_get(j, "state"));
	const char *reason = json_string_value(json_object_get(j, "reason"));
	enum rp_case_state to = state ? state_of(state) : RP_CASE_N_STATES;
	enum MHD_Result rc;
	if (to == RP_CASE_N_STATES)
		rc = rd_reply_error(c, 400, "invalid_field",
				 0, "\"state\" must be new, confirmed, listed, resolved or rejected");
	else if (reason == NULL || reason[0] == '\0')
		rc = rd_reply_error(c, 400, "missing_field", 0, "\"reason\" is required for every case transition");
	else {
		pthread_mutex_lock(&rd->reader_lock);
		int st = rp_store_case_transition(rd->reader, id, to, r->who.name, reason, &diag);
		pthread_mutex_unlock(&rd->reader_lock);
		if (st == RP_OK) {
			log_info("case=%lld state=%s actor=%s reason=%s", id, state, r->who.name, reason);
			rc = rd_reply_json(c, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "state", state), 0);
		} else if (st == RP_ENOTFOUND)
			rc = rd_reply_error(c, 404, "not_found", 0, "no case %lld", id);
		else if (st == RP_EINVAL)
			rc = rd_reply_error(c, 409, "conflict", 0, "%s", diag.reason);
		else
			rc = rd_reply_error(c, 500, "internal", 0, "the case could not be changed");
	}
	json_decref(j);
	return rc;
}

/* rd_api_get_audit - GET /v1/audit[?object=case:12][&limit=N]: newest records first. */
enum MHD_Result rd_api_get_audit(struct rd *rd, struct MHD_Connection *c)
{
	const char *object = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "object");
	long long limit = 100;
	json_t *j = NULL;

	if (!int_arg(c, "limit", 1, 1000, &limit))
		return rd_reply_error(c, 400, "invalid_field", 0, "\"limit\" must be a whole number from 1 to 1000");
	pthread_mutex_lock(&rd->reader_lock);
	int rc = rp_store_audit_json(rd->reader, object, (size_t)limit, &j);
	pthread_mutex_unlock(&rd->reader_lock);
	if (rc != RP_OK)
		return rd_reply_error(c, 500, "internal", 0, "the audit log could not be read");
	return rd_reply_json(c, 200, json_pack("{s:o}", "audit", j), 0);
}
