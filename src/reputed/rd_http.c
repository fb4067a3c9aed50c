/* rd_http.c - reputed's HTTP API on libmicrohttpd (a thread pool; each request is handled
 * to the end by one pool thread, which sleeps while the writer commits its report).
 *
 * The first call for a request routes it and checks what can be checked before reading
 * the body: method, declared size (413), key (401/403), rate limit (429), content type
 * (415), webhook signature presence. Those answers are queued at once and the body is never
 * read. Body chunks are then collected (bounded) and the last call dispatches.
 * Every error has one shape: {"error": {"code": "...", "message": "..."}} (docs/reputed.md). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <sodium.h>

#include "repute/alloc.h"
#include "repute/log.h"
#include "repute/utf8.h"

#include "rd.h"
#include "rd_http.h"

struct rd_http {
	struct MHD_Daemon *mhd;
};

/* reply - queue a response with a copied body. */
static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *ctype, const char *body, size_t len,
			     long retry_after)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	char ra[32];

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (retry_after > 0) {
		snprintf(ra, sizeof(ra), "%ld", retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	rd_metrics_http(status);
	return rc;
}

/* rd_reply_json - queue a JSON response (takes the reference of j; NULL is a bug, answered 500). */
enum MHD_Result rd_reply_json(struct MHD_Connection *c, int status, json_t *j, long retry_after)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (text == NULL) {
		static const char internal[] = "{\"error\":{\"code\":\"internal\",\"message\":\"the answer could not be "
					       "encoded\"}}\n";
		log_warnx("http: a JSON answer could not be encoded (status %d)", status);
		json_decref(j);
		return reply(c, 500, "application/json", internal, sizeof(internal) - 1, 0);
	}
	size_t n = strlen(text);

	text = realloc(text, n + 2);
	text[n] = '\n';
	text[n + 1] = '\0';
	enum MHD_Result rc = reply(c, status, "application/json", text, n + 1, retry_after);
	free(text);
	json_decref(j);
	return rc;
}

/* rd_reply_error - the documented error shape. */
enum MHD_Result rd_reply_error(struct MHD_Connection *c, int status, const char *code, long retry_after,
			       const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (status == 401 || status == 403)
		rd_metrics_inc(M_AUTH_FAILURES, 1);
	if (status == 429)
		rd_metrics_inc(M_RATE_LIMITED, 1);
	/* a message may quote the request (a path, a field cut at a byte count): make it valid UTF-8 */
	char *clean = utf8_sanitize(msg, strlen(msg));
	json_t *j = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", clean);
	xfree(clean);
	return rd_reply_json(c, status, j, retry_after);
}

/* rd_reply_outcome - 201/200 with the id, or the outcome's error. */
enum MHD_Result rd_reply_outcome(struct MHD_Connection *c, struct req *r, const struct rd_outcome *o)
{
	if (o->code != NULL)
		return rd_reply_error(c, o->status, o->code, 0, "%s", o->message);
	rd_metrics_intake(rd_now() - r->t0);
	json_t *j = json_pack("{s:s, s:b, s:I}", "id", o->res.id, "duplicate", o->res.duplicate, "dup_count",
			      (json_int_t)o->res.dup_count);
	if (o->res.campaign_id)
		json_object_set_new(j, "campaign_id", json_integer(o->res.campaign_id));
	return rd_reply_json(c, o->status, j, 0);
}

/* route_of - the route for a method and path; *arg points at the path's tail for {id}. */
static enum route route_of(const char *method, const char *url, const char **arg, bool *path_known)
{
	static const struct { const char *method, *path; bool prefix; enum route r; } routes[] = {
		{ "POST", "/v1/reports", false, R_REPORTS_POST }, { "POST", "/v1/sms", false, R_SMS },
		{ "POST", "/v1/forms/report", false, R_FORM },  { "GET", "/v1/reports/", true, R_REPORT_GET },
		{ "GET", "/v1/sources/", true, R_SOURCE_GET },  { "GET", "/v1/stats", false, R_STATS },
		{ "GET", "/metrics", false, R_METRICS },         { "GET", "/healthz", false, R_HEALTH },
		{ "GET", "/v1/reports", false, R_REPORTS_SEARCH }, { "GET", "/v1/campaigns/", true, R_CAMPAIGN_GET },
		{ "POST", "/v1/cases/", true, R_CASE_POST },      { "GET", "/v1/audit", false, R_AUDIT },
		{ "POST", "/v1/delist", false, R_DELIST },        { "POST", "/v1/listings", false, R_LISTING_POST },
		{ "POST", "/v1/whitelist", false, R_WHITELIST_POST }, { "POST", "/v1/evidence", false, R_EVIDENCE_POST },
		{ "GET", "/v1/listings/", true, R_LISTING_GET },  { "GET", "/v1/stats/listings", false, R_LISTING_STATS },
		{ "GET", "/v1/session", false, R_SESSION_GET },   { "POST", "/v1/session", false, R_LOGIN },
		{ "POST", "/v1/session/logout", false, R_LOGOUT }, { "GET", "/v1/cases", false, R_CASES },
		{ "GET", "/v1/provider", false, R_PROVIDER_GET }, { "GET", "/v1/complaints", false, R_COMPLAINTS },
		{ "GET", "/v1/complaints.arf", false, R_COMPLAINT_ARF },
		{ "GET", "/v1/relays", false, R_RELAYS_GET },    { "POST", "/v1/relays", false, R_RELAYS_POST },
	};

	*path_known = false;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t n = strlen(routes[i].path);
		/* a {value} is one path segment, except a source, which may be an IPv6 "/64" */
		bool one_segment = routes[i].r != R_SOURCE_GET && routes[i].r != R_LISTING_GET;
		bool match = routes[i].prefix ? strncmp(url, routes[i].path, n) == 0 && url[n] != '\0' &&
							(!one_segment || strchr(url + n, '/') == NULL)
					      : strcmp(url, routes[i].path) == 0;
		if (!match)
			continue;
		*path_known = true;
		if (strcmp(method, routes[i].method) != 0 && !(strcmp(method, "HEAD") == 0 && routes[i].method[0] == 'G'))
			continue; /* the same path may take another method further down */
		*arg = routes[i].prefix ? url + n : NULL;
		return routes[i].r;
	}
	return R_NONE;
}

/* rd_content_type_is - the request's media type (before any parameters) equals want. */
bool rd_content_type_is(struct MHD_Connection *c, const char *want)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen(want);

	return ct != NULL && strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* client_key - "ip:ADDR" for rate limiting requests without a key. */
static void client_key(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN] = "?";

	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr, sizeof(addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr, sizeof(addr));
	}
	snprintf(out, len, "ip:%s", addr);
}

/* rd_may_submit - roles that file reports through the API. */
bool rd_may_submit(const char *role)
{
	return strcmp(role, "public") != 0 && strcmp(role, "gateway") != 0;
}

/* rd_sees_all_reports - roles that may read any reporter's reports. */
bool rd_sees_all_reports(const char *role)
{
	return strcmp(role, "analyst") == 0 || strcmp(role, "admin") == 0 || strcmp(role, "operator") == 0;
}

/* reject - queue an error before the body was read; the request is then answered. */
static enum MHD_Result reject(struct MHD_Connection *c, struct req *r, int status, const char *code, long retry,
			      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static enum MHD_Result reject(struct MHD_Connection *c, struct req *r, int status, const char *code, long retry,
			      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->answered = true;
	return rd_reply_error(c, status, code, retry, "%s", msg);
}

/* rd_is_analyst - roles that work cases and read the audit log. */
bool rd_is_analyst(const char *role)
{
	return strcmp(role, "analyst") == 0 || strcmp(role, "admin") == 0;
}

/* check_auth - the key if one is sent (401 when wrong), required or not; then the rate limit. */
static enum MHD_Result check_auth(struct rd *rd, struct MHD_Connection *c, struct req *r, bool required)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	char bucket[96];
	long retry = 0;

	if (h != NULL) {
		int rc = rd_auth_bearer(rd, h, &r->who);
		if (rc == RP_EINVAL)
			return reject(c, r, 401, "unauthorized", 0, "the Authorization header must be \"Bearer KEY\"");
		if (rc != RP_OK)
			return reject(c, r, 401, "unauthorized", 0, "the API key is not valid (unknown or revoked)");
		r->authed = true;
	} else if (required && !r->authed) { /* authed: a console session (rd_session.c) */
		return reject(c, r, 401, "unauthorized", 0, "this endpoint needs \"Authorization: Bearer KEY\"");
	}
	pthread_rwlock_rdlock(&rd->live_lock);
	double rate = (double)(r->authed ? rd->live.rate_per_key : rd->live.rate_anonymous);
	double burst = (double)(r->authed ? rd->live.burst_per_key : rd->live.burst_anonymous);
	pthread_rwlock_unlock(&rd->live_lock);
	if (r->authed)
		snprintf(bucket, sizeof(bucket), "key:%lld", (long long)r->who.key_id);
	else
		client_key(c, bucket, sizeof(bucket));
	if (!rd_ratelimit_take(rd->rl, bucket, rate, burst, &retry))
		return reject(c, r, 429, "rate_limited", retry, "too many requests; retry after %ld s", retry);
	return MHD_YES;
}

/* form_iter - MHD post processor callback for web form fields. */
static enum MHD_Result form_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
				 const char *content_type, const char *transfer_encoding, const char *data,
				 uint64_t off, size_t size)
{
	struct req *r = cls;

	return rd_form_field(&r->form, key, data, (size_t)off, size, r->limit) ? MHD_YES : MHD_NO;
}

/* check_body_kind - the content type a route needs (415 otherwise), and the form parser. */
static enum MHD_Result check_body_kind(struct MHD_Connection *c, struct req *r)
{
	if (r->route == R_REPORTS_POST && !rd_content_type_is(c, "message/rfc822") && !rd_content_type_is(c, "application/json"))
		return reject(c, r, 415, "unsupported_media_type", 0,
			      "POST /v1/reports takes message/rfc822 (a raw message) or application/json");
	if (r->route == R_SMS && !rd_content_type_is(c, "application/json"))
		return reject(c, r, 415, "unsupported_media_type", 0, "POST /v1/sms takes application/json");
	if (r->route == R_FORM) {
		if (!rd_content_type_is(c, "multipart/form-data") &&
		    !rd_content_type_is(c, "application/x-www-form-urlencoded"))
			return reject(c, r, 415, "unsupported_media_type", 0,
				      "POST /v1/forms/report takes multipart/form-data");
		rd_form_init(&r->form);
		r->form_init = true;
		r->pp = MHD_create_post_processor(c, 64 * 1024, form_iter, r);
		if (r->pp == NULL)
			return reject(c, r, 400, "bad_request", 0, "cannot parse this form (missing boundary?)");
	}
	return MHD_YES;
}

/* check_sms - the webhook is configured and the request carries a signature. */
static enum MHD_Result check_sms(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, rd->cfg.sms_signature_header);

	pthread_rwlock_rdlock(&rd->live_lock);
	bool enabled = rd->live.sms_secret[0] != '\0';
	pthread_rwlock_unlock(&rd->live_lock);
	if (!enabled)
		return reject(c, r, 403, "forbidden", 0, "the SMS webhook is not configured (sms.hmac_secret)");
	if (sig == NULL)
		return reject(c, r, 401, "missing_signature", 0, "the %s header is required",
			      rd->cfg.sms_signature_header);
	return MHD_YES;
}

/* first_call - everything decidable before the body. */
static enum MHD_Result first_call(struct rd *rd, struct MHD_Connection *c, struct req *r, const char *url,
				  const char *method)
{
	const char *arg = NULL, *cl;
	bool path_known;
	enum MHD_Result rc = MHD_YES;

	r->route = route_of(method, url, &arg, &path_known);
	if (r->route == R_NONE && !path_known && rd_web_path(method, url)) {
		r->route = R_WEB; /* a web console file (rd_web.c) */
		arg = url;
	}
	rc = rd_session_check(rd, c, r, method);
	if (r->answered)
		return rc;
	if (r->route == R_NONE) {
		if (!path_known)
			return reject(c, r, 404, "not_found", 0, "no such resource: %s", url);
		return reject(c, r, 405, "method_not_allowed", 0, "%s is not allowed on %s", method, url);
	}
	r->arg = arg ? xstrdup(arg) : NULL;
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && strtoull(cl, NULL, 10) > r->limit)
		return reject(c, r, 413, "payload_too_large", 0, "the body is larger than %zu bytes", r->limit);
	switch (r->route) {
	case R_CASE_POST:
	case R_AUDIT:
	case R_REPORTS_POST:
	case R_REPORTS_SEARCH:
	case R_CAMPAIGN_GET:
	case R_REPORT_GET:
	case R_LISTING_POST:
	case R_WHITELIST_POST:
	case R_RELAYS_GET:
	case R_RELAYS_POST:
	case R_EVIDENCE_POST:
	case R_PROVIDER_GET:
	case R_COMPLAINTS:
	case R_COMPLAINT_ARF: rc = check_auth(rd, c, r, true); break;
	case R_DELIST:
	case R_LISTING_GET:
	case R_LISTING_STATS:
	case R_FORM:
	case R_SOURCE_GET:
	case R_STATS: rc = check_auth(rd, c, r, false); break;
	case R_SMS: rc = check_sms(rd, c, r); break;
	default: break;
	}
	if (r->answered)
		return rc;
	if (r->route == R_REPORTS_POST && !rd_may_submit(r->who.role))
		return reject(c, r, 403, "forbidden", 0, "role %s may not file reports", r->who.role);
	if ((r->route == R_CASE_POST || r->route == R_AUDIT) && !rd_is_analyst(r->who.role))
		return reject(c, r, 403, "forbidden", 0, "only analysts and admins work cases and read the audit log");
	if (r->route == R_CASE_POST && !rd_content_type_is(c, "application/json"))
		return reject(c, r, 415, "unsupported_media_type", 0, "POST /v1/cases/{id} takes application/json");
	if ((r->route == R_LISTING_POST || r->route == R_WHITELIST_POST || r->route == R_EVIDENCE_POST) &&
	    !rd_is_analyst(r->who.role))
		return reject(c, r, 403, "forbidden", 0, "only analysts and admins list, delist and whitelist");
	if ((r->route == R_RELAYS_GET || r->route == R_RELAYS_POST) && !rd_is_analyst(r->who.role))
		return reject(c, r, 403, "forbidden", 0, "only analysts and admins see and request relay scans");
	if (r->route == R_RELAYS_POST && !rd_content_type_is(c, "application/json"))
		return reject(c, r, 415, "unsupported_media_type", 0, "this endpoint takes application/json");
	if ((r->route == R_DELIST || r->route == R_LISTING_POST || r->route == R_WHITELIST_POST ||
	     r->route == R_EVIDENCE_POST) && !rd_content_type_is(c, "application/json"))
		return reject(c, r, 415, "unsupported_media_type", 0, "this endpoint takes application/json");
	return check_body_kind(c, r);
}

/* take_body - collect one chunk (or feed the form parser), counting against the limit. */
static void take_body(struct req *r, const char *data, size_t n)
{
	if (r->too_big)
		return;
	if (r->received + n > r->limit) {
		r->too_big = true;
		return;
	}
	r->received += n;
	if (r->pp != NULL) {
		if (MHD_post_process(r->pp, data, n) != MHD_YES && r->form.bad_field[0] == '\0')
			snprintf(r->form.bad_field, sizeof(r->form.bad_field), "%s", "(malformed form data)");
		return;
	}
	buf_append(&r->body, data, n);
}

/* finish - the whole body is here: answer. */
static enum MHD_Result finish(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	r->t0 = rd_now();
	if (r->too_big)
		return rd_reply_error(c, 413, "payload_too_large", 0, "the body is larger than %zu bytes", r->limit);
	switch (r->route) {
	case R_REPORTS_POST: return rd_api_post_reports(rd, c, r);
	case R_SMS: return rd_api_post_sms(rd, c, r);
	case R_FORM: return rd_api_post_form(rd, c, r);
	case R_REPORT_GET: return rd_api_get_report(rd, c, r);
	case R_SOURCE_GET: return rd_api_get_source(rd, c, r);
	case R_STATS: return rd_api_get_stats(rd, c);
	case R_REPORTS_SEARCH: return rd_api_get_reports(rd, c, r);
	case R_CAMPAIGN_GET: return rd_api_get_campaign(rd, c, r);
	case R_CASE_POST: return rd_api_post_case(rd, c, r);
	case R_AUDIT: return rd_api_get_audit(rd, c);
	case R_DELIST: return rd_api_post_delist(rd, c, r);
	case R_LISTING_POST: return rd_api_post_listing(rd, c, r);
	case R_WHITELIST_POST: return rd_api_post_whitelist(rd, c, r);
	case R_EVIDENCE_POST: return rd_api_post_evidence(rd, c, r);
	case R_LISTING_GET: return rd_api_get_listing(rd, c, r);
	case R_LISTING_STATS: return rd_api_get_listing_stats(rd, c);
	case R_SESSION_GET: return rd_session_get(rd, c, r);
	case R_LOGIN: return rd_session_login(rd, c, r);
	case R_LOGOUT: return rd_session_logout(rd, c, r);
	case R_CASES: return rd_session_cases(rd, c, r);
	case R_PROVIDER_GET: return rd_provider_get(rd, c, r);
	case R_COMPLAINTS: return rd_provider_complaints(rd, c, r);
	case R_COMPLAINT_ARF: return rd_provider_arf(rd, c, r);
	case R_WEB: return rd_web_serve(rd, c, r);
	case R_RELAYS_GET: return rd_api_get_relays(rd, c, r);
	case R_RELAYS_POST: return rd_api_post_relays(rd, c, r);
	case R_METRICS: {
		struct buf b;
		buf_init(&b);
		rd_metrics_write(rd, &b);
		enum MHD_Result rc = reply(c, 200, "text/plain; version=0.0.4", b.data, b.len, 0);
		buf_fini(&b);
		return rc;
	}
	case R_HEALTH: return reply(c, 200, "text/plain", "ok\n", 3, 0);
	default: return rd_reply_error(c, 404, "not_found", 0, "no such resource");
	}
}

/* on_request - MHD access handler: first call, body chunks, last call. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct rd *rd = cls;
	struct req *r = *con_cls;

	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		buf_init(&r->body);
		pthread_rwlock_rdlock(&rd->live_lock);
		r->limit = (size_t)rd->live.max_body;
		pthread_rwlock_unlock(&rd->live_lock);
		*con_cls = r;
		return first_call(rd, c, r, url, method);
	}
	if (r->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		take_body(r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	r->answered = true;
	return finish(rd, c, r);
}

/* on_completed - free the request state. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	if (r == NULL)
		return;
	if (r->pp != NULL)
		MHD_destroy_post_processor(r->pp);
	if (r->form_init)
		rd_form_fini(&r->form);
	buf_fini(&r->body);
	xfree(r->arg);
	xfree(r);
	*con_cls = NULL;
}

/* mhd_log - libmicrohttpd's messages into our log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warnx("http: %s", msg);
}

/* rd_http_start - listen on cfg.http_listen with a thread pool; -1 when it cannot. */
int rd_http_start(struct rd *rd)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (!rd_parse_hostport(rd->cfg.http_listen, &ss, &sl)) {
		log_warnx("http.listen: \"%s\" is not ADDR:PORT", rd->cfg.http_listen);
		return -1;
	}
	unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	rd->http = xcalloc(1, sizeof(*rd->http));
	rd->http->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, rd, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, rd,
					 MHD_OPTION_SOCK_ADDR, &ss,
					 MHD_OPTION_THREAD_POOL_SIZE, (unsigned)rd->cfg.http_threads,
					 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)rd->cfg.http_timeout,
					 MHD_OPTION_CONNECTION_LIMIT, (unsigned)rd->cfg.http_max_connections,
					 MHD_OPTION_NOTIFY_COMPLETED, on_completed, rd, MHD_OPTION_END);
	if (rd->http->mhd == NULL) {
		log_warn("http: cannot listen on %s", rd->cfg.http_listen);
		rd->http = xfree(rd->http);
		return -1;
	}
	log_info("http: listening on %s with %ld threads", rd->cfg.http_listen, rd->cfg.http_threads);
	return 0;
}

/* rd_http_stop - stop accepting, let running requests finish, close. */
void rd_http_stop(struct rd *rd)
{
	if (rd->http == NULL)
		return;
	MHD_quiesce_daemon(rd->http->mhd);
	MHD_stop_daemon(rd->http->mhd);
	rd->http = xfree(rd->http);
}
