/* rd_http.h - private to reputed's HTTP API: the request state shared by the protocol
 * layer (rd_http.c: routing, checks before the body, bodies, start/stop) and the endpoint
 * handlers (rd_api.c), and the answer helpers both use. */
#ifndef RD_HTTP_H
#define RD_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "rd.h"

enum route {
	R_NONE, R_REPORTS_POST, R_SMS, R_FORM, R_REPORT_GET, R_SOURCE_GET, R_STATS, R_METRICS, R_HEALTH,
	R_REPORTS_SEARCH, R_CAMPAIGN_GET, R_CASE_POST, R_AUDIT,
	R_DELIST, R_LISTING_POST, R_WHITELIST_POST, R_EVIDENCE_POST, R_LISTING_GET, R_LISTING_STATS,
	R_SESSION_GET, R_LOGIN, R_LOGOUT, R_CASES, R_WEB, /* the web console (rd_session.c, rd_web.c) */
	R_PROVIDER_GET, R_COMPLAINTS, R_COMPLAINT_ARF,    /* the provider feed (rd_provider.c) */
	R_RELAYS_GET, R_RELAYS_POST, /* the relay scanner (rd_relay.c) */
};

struct req {
	enum route route;
	char *arg;               /* the {id} or {value} of the path */
	struct buf body;
	size_t received;
	size_t limit;            /* http.max_body when the request started */
	bool too_big;
	bool answered;           /* a response was queued in the first call */
	bool authed;
	struct rp_principal who;
	struct MHD_PostProcessor *pp;
	struct rd_form form;
	bool form_init;
	double t0;
};

/* rd_reply_json - queue a JSON answer (takes the reference of j). */
enum MHD_Result rd_reply_json(struct MHD_Connection *c, int status, json_t *j, long retry_after);
/* rd_reply_error - queue {"error": {"code", "message"}} (the message is made valid UTF-8). */
enum MHD_Result rd_reply_error(struct MHD_Connection *c, int status, const char *code, long retry_after,
			       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* rd_reply_outcome - 201/200 with the report id, or the outcome's error. */
enum MHD_Result rd_reply_outcome(struct MHD_Connection *c, struct req *r, const struct rd_outcome *o);
/* rd_content_type_is - the request's media type (parameters aside) is want. */
bool rd_content_type_is(struct MHD_Connection *c, const char *want);
/* rd_may_submit, rd_sees_all_reports, rd_is_analyst - what a role may do. */
bool rd_may_submit(const char *role);
bool rd_sees_all_reports(const char *role);
bool rd_is_analyst(const char *role);

/* rd_api_* (rd_api.c) - one per endpoint; each queues exactly one answer. */
enum MHD_Result rd_api_post_reports(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_post_sms(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_post_form(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_get_report(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_get_reports(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_get_source(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_get_stats(struct rd *rd, struct MHD_Connection *c);
enum MHD_Result rd_api_get_campaign(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_post_case(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_get_audit(struct rd *rd, struct MHD_Connection *c);
/* rd_listing.c: the listing endpoints. */
enum MHD_Result rd_api_post_delist(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_post_listing(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_post_whitelist(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_post_evidence(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_get_listing(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_get_listing_stats(struct rd *rd, struct MHD_Connection *c);
/* rd_relay.c: GET /v1/relays (findings) and POST /v1/relays (queue a scan), analysts only. */
enum MHD_Result rd_api_get_relays(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_api_post_relays(struct rd *rd, struct MHD_Connection *c, struct req *r);
/* rd_session.c: console sessions (docs/web-console.md). rd_session_check - without an
 * Authorization header, a valid session cookie makes r->who the session's user; an unsafe
 * method then needs the session's CSRF token in X-CSRF-Token (or, anonymous, the token of
 * the repute_csrf cookie), else 403 (r->answered). */
enum MHD_Result rd_session_check(struct rd *rd, struct MHD_Connection *c, struct req *r, const char *method);
enum MHD_Result rd_session_get(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_session_login(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_session_logout(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_session_cases(struct rd *rd, struct MHD_Connection *c, struct req *r);
/* rd_provider.c: the provider feed (docs/provider-feed.md); each checks the caller's role and
 * organisation itself. */
enum MHD_Result rd_provider_get(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_provider_complaints(struct rd *rd, struct MHD_Connection *c, struct req *r);
enum MHD_Result rd_provider_arf(struct rd *rd, struct MHD_Connection *c, struct req *r);
/* rd_web.c: rd_web_path - a GET/HEAD of a console file (not /v1, /metrics, /healthz);
 * rd_web_serve - the file, or a redirect to the login page when its role is missing. */
bool rd_web_path(const char *method, const char *url);
enum MHD_Result rd_web_serve(struct rd *rd, struct MHD_Connection *c, struct req *r);

#endif
