/* rd_provider.c - the provider endpoints of reputed (docs/provider-feed.md): the caller's own
 * provider organisation (GET /v1/provider), the complaint feed of its networks (GET
 * /v1/complaints) and one complaint as an ARF message (GET /v1/complaints.arf?id=R...).
 *
 * Who sees what is decided here, on every request, from the authenticated principal
 * (an API key or a console session): a provider or partner sees only the reports whose
 * origin lies in the networks of the organisation its reporter belongs to (provider_members,
 * `repute provider member`); an analyst or admin sees every provider's feed. Nothing
 * returned names the reporter: summaries carry no reporter id, and the ARF copy of the
 * original has every recipient address (To, Cc, Delivered-To, Received "for", ...)
 * replaced by RP_REDACTED_ADDR (repute/redact.h) before rp_arf_build wraps it. A report of
 * another provider's network is answered 404, exactly like a report that does not exist. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/arf.h"
#include "repute/log.h"
#include "repute/redact.h"

#include "rd.h"
#include "rd_http.h"

/* The feed's From and Reporting-MTA; the To is the provider's registered contact. */
#define FEED_FROM "repute complaint feed <abuse-feed@repute.invalid>"
#define FEED_MTA "repute.invalid"

/* id_ok - a report id as the API gives them: "R" and up to 27 letters or digits. */
static bool id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n < 2 || n >= RP_REPORT_ID_LEN || id[0] != 'R')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'A' && id[i] <= 'Z')))
			return false;
	return true;
}

/* caller_provider - the provider whose feed the caller reads into name (empty = every
 * provider, for analysts); false when an answer (403) was queued into *rc. */
static bool caller_provider(struct rd *rd, struct MHD_Connection *c, struct req *r, char *name, size_t len,
			    enum MHD_Result *rc)
{
	name[0] = '\0';
	if (rd_is_analyst(r->who.role)) {
		const char *p = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "provider");
		if (p != NULL && p[0] != '\0')
			snprintf(name, len, "%s", p);
		return true;
	}
	if (strcmp(r->who.role, "provider") != 0 && strcmp(r->who.role, "partner") != 0) {
		*rc = rd_reply_error(c, 403, "forbidden", 0, "the complaint feed is for providers, partners and analysts");
		return false;
	}
	pthread_mutex_lock(&rd->reader_lock);
	int e = rp_store_provider_of(rd->reader, r->who.reporter_id, name, len);
	pthread_mutex_unlock(&rd->reader_lock);
	if (e == RP_OK)
		return true;
	if (e == RP_ENOTFOUND)
		*rc = rd_reply_error(c, 403, "forbidden", 0, "%s belongs to no provider organisation", r->who.name);
	else
		*rc = rd_reply_error(c, 500, "internal", 0, "the provider could not be read");
	name[0] = '\0';
	return false;
}

/* rd_provider_get - GET /v1/provider (analysts: ?provider=NAME): the caller's organisation, its networks and domains. */
enum MHD_Result rd_provider_get(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	char name[128];
	enum MHD_Result rc = MHD_NO;
	json_t *j = NULL;

	if (!caller_provider(rd, c, r, name, sizeof(name), &rc))
		return rc;
	if (name[0] == '\0')
		return rd_reply_error(c, 400, "bad_request", 0, "analysts name the provider: ?provider=NAME");
	pthread_mutex_lock(&rd->reader_lock);
	int e = rp_store_provider_json(rd->reader, name, &j);
	pthread_mutex_unlock(&rd->reader_lock);
	if (e == RP_ENOTFOUND)
		return rd_reply_error(c, 404, "not_found", 0, "no provider %s", name);
	if (e != RP_OK)
		return rd_reply_error(c, 500, "internal", 0, "the provider could not be read");
	return rd_reply_json(c, 200, j, 0);
}

/* rd_provider_complaints - GET /v1/complaints[?before=ID][&limit=N][&provider=NAME]. */
enum MHD_Result rd_provider_complaints(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	const char *before = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "before");
	const char *lim = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	char name[128], *end = NULL;
	enum MHD_Result rc = MHD_NO;
	json_t *j = NULL;

	if (!caller_provider(rd, c, r, name, sizeof(name), &rc))
		return rc;
	long limit = lim ? strtol(lim, &end, 10) : 50;
	if (lim != NULL && (end == lim || *end != '\0' || limit < 1 || limit > 500))
		return rd_reply_error(c, 400, "bad_request", 0, "limit must be 1 to 500");
	if (before != NULL && !id_ok(before))
		return rd_reply_error(c, 400, "bad_request", 0, "before must be a report id");
	struct rp_complaint_query q = { .provider = name[0] ? name : NULL, .before_id = before, .limit = (size_t)limit };
	pthread_mutex_lock(&rd->reader_lock);
	int e = rp_store_complaints_json(rd->reader, &q, &j);
	pthread_mutex_unlock(&rd->reader_lock);
	if (e != RP_OK)
		return rd_reply_error(c, 500, "internal", 0, "the complaint feed could not be read");
	if (name[0] != '\0')
		json_object_set_new(j, "provider", json_string(name));
	return rd_reply_json(c, 200, j, 0);
}

/* redact_original - a copy of the raw original with every recipient address replaced; the
 * first address found goes to first (for rp_arf_build's redact_user), empty when none. */
static void redact_original(const struct rp_report *rep, struct buf *out, char *first, size_t len)
{
	struct rp_redact_set s;

	rp_redact_set_init(&s);
	rp_redact_collect(rep->raw, rep->raw_len, &s);
	snprintf(first, len, "%s", s.n > 0 ? s.addr[0] : "");
	rp_redact_message(rep->raw, rep->raw_len, &s, out);
	rp_redact_set_fini(&s);
}

/* reply_arf - queue the ARF message as a download. */
static enum MHD_Result reply_arf(struct MHD_Connection *c, const char *id, const struct buf *b)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(b->len, b->data, MHD_RESPMEM_MUST_COPY);
	char disp[96];

	snprintf(disp, sizeof(disp), "attachment; filename=\"%s.eml\"", id);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "message/rfc822");
	MHD_add_response_header(resp, "Content-Disposition", disp);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result rc = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	rd_metrics_http(200);
	return rc;
}

/* load_complaint - the report when the caller may read it as a complaint; else an answer in *rc. */
static struct rp_report *load_complaint(struct rd *rd, struct MHD_Connection *c, const char *provider, const char *id,
					char *contact, size_t len, enum MHD_Result *rc)
{
	struct rp_report *rep = NULL;
	bool inside = true;
	json_t *pj = NULL;
	int e = RP_OK;

	pthread_mutex_lock(&rd->reader_lock);
	if (provider[0] != '\0')
		e = rp_store_complaint_in(rd->reader, provider, id, &inside);
	if (e == RP_OK && inside)
		e = rp_store_report_get(rd->reader, id, &rep);
	if (e == RP_OK && inside && provider[0] != '\0' && rp_store_provider_json(rd->reader, provider, &pj) == RP_OK)
		snprintf(contact, len, "%s", json_string_value(json_object_get(pj, "contact")));
	pthread_mutex_unlock(&rd->reader_lock);
	json_decref(pj);
	if (e == RP_ENOTFOUND || (e == RP_OK && !inside))
		*rc = rd_reply_error(c, 404, "not_found", 0, "no complaint %s in your feed", id);
	else if (e != RP_OK)
		*rc = rd_reply_error(c, 500, "internal", 0, "the complaint could not be read");
	else if (rep->raw == NULL || strcmp(rep->channel, "sms") == 0) {
		*rc = rd_reply_error(c, 410, "gone", 0, "the original of %s is no longer kept (or is not mail)", id);
		rep = rp_report_free(rep);
	}
	return e == RP_OK && inside ? rep : NULL;
}

/* rd_provider_arf - GET /v1/complaints.arf?id=R...: one complaint as an RFC 5965 message. */
enum MHD_Result rd_provider_arf(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "id");
	char name[128], contact[256] = "", first[320];
	struct rp_diag diag = { 0 };
	enum MHD_Result rc = MHD_NO;
	struct buf red, out;

	if (!caller_provider(rd, c, r, name, sizeof(name), &rc))
		return rc;
	if (!id_ok(id))
		return rd_reply_error(c, 400, "bad_request", 0, "give the report: ?id=R...");
	struct rp_report *rep = load_complaint(rd, c, name, id, contact, sizeof(contact), &rc);
	if (rep == NULL)
		return rc;
	buf_init(&red);
	buf_init(&out);
	redact_original(rep, &red, first, sizeof(first));
	struct rp_arf_build_in in = {
		.feedback_type = "abuse", .user_agent = "repute/1", .source_ip = rep->origin,
		.reporting_mta = FEED_MTA, .from = FEED_FROM, .to = contact[0] ? contact : "abuse@repute.invalid",
		.redact_user = first[0] ? first : NULL, .date = (long long)time(NULL),
	};
	int e = rp_arf_build(&in, red.data ? red.data : "", red.len, &out, NULL, &diag);
	if (e == RP_OK) {
		log_info("complaint=%s provider=%s who=%s action=arf", id, name[0] ? name : "-", r->who.name);
		rc = reply_arf(c, id, &out);
	} else if (e == RP_ENOTMAIL) {
		rc = rd_reply_error(c, 410, "gone", 0, "the original of %s is not a mail message", id);
	} else {
		log_warnx("complaint=%s arf: %s", id, diag.reason[0] ? diag.reason : rp_strerror(e));
		rc = rd_reply_error(c, 500, "internal", 0, "the ARF message could not be built");
	}
	buf_fini(&red);
	buf_fini(&out);
	rp_report_free(rep);
	return rc;
}
