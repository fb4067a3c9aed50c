/* arf.c - rp_arf_parse(): the machine-readable part of an abuse report.
 *
 * Three formats: ARF (RFC 5965 message/feedback-report, with the RFC 6591 auth-failure
 * fields), X-ARF 0.2 ("Key: value" YAML lines in a text/plain report part) and XARF JSON
 * (the abusix "ReportType"/"Category"/"Source" form and the newer lower-case v4 form).
 * The feedback report is split with the message header splitter, so folding and field
 * names behave as in mail headers. Values are kept as written except where noted:
 * Feedback-Type and Auth-Failure are lower-cased, Source-IP loses "(comments)" and is
 * written canonically when it is an address, Reporting-MTA loses its "dns;" type.
 * For X-ARF, feedback_type is derived from the category (abuse, fraud, virus or other).
 * The result and every string in it are heap memory freed by rp_arf_free. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "repute/alloc.h"
#include "repute/arf.h"
#include "repute/error.h"
#include "repute/extract.h"
#include "repute/message.h"
#include "repute/netaddr.h"
#include "repute/strutil.h"

#define ARF_MAX_ITEMS 1000 /* values kept per multi-valued field */

/* rp_arf_free - free every field and the struct; NULL is fine. */
struct rp_arf *rp_arf_free(struct rp_arf *arf)
{
	if (arf == NULL)
		return NULL;
	char **strs[] = {
		&arf->feedback_type, &arf->user_agent, &arf->version, &arf->source_ip,
		&arf->original_mail_from, &arf->original_envelope_id, &arf->arrival_date,
		&arf->reporting_mta, &arf->incidents, &arf->auth_failure, &arf->xarf_category,
		&arf->xarf_report_type, &arf->xarf_source, &arf->xarf_source_type, &arf->dkim_domain,
		&arf->dkim_identity, &arf->dkim_selector, &arf->delivery_result,
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		xfree(*strs[i]);
	rp_strlist_fini(&arf->original_rcpt_to);
	rp_strlist_fini(&arf->reported_domain);
	rp_strlist_fini(&arf->reported_uri);
	rp_strlist_fini(&arf->authentication_results);
	return xfree(arf);
}

/* set_once - keep the first value of a single-valued field, trimmed. */
static void set_once(char **dst, const char *v)
{
	if (*dst != NULL || v == NULL)
		return;
	char *s = xstrdup(v);
	char *t = str_trim(s);
	*dst = xstrdup(t);
	xfree(s);
}

/* normalize_ip - remove "(comments)" and brackets; canonical text when it is an address. */
static char *normalize_ip(const char *v)
{
	char *s = xmalloc(strlen(v) + 1), *t;
	size_t w = 0;
	int depth = 0;
	struct rp_addr a;
	char buf[RP_ADDR_STRLEN];

	for (const char *p = v; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0)
			s[w++] = *p;
	}
	s[w] = '\0';
	t = str_trim(s);
	if (rp_addr_parse(t, &a) == 0)
		t = rp_addr_format(&a, buf);
	char *r = xstrdup(t);
	xfree(s);
	return r;
}

/* strip_type - "dns; mail.example.com" -> "mail.example.com". */
static const char *strip_type(const char *v)
{
	const char *semi = strchr(v, ';');

	if (semi == NULL)
		return v;
	for (const char *p = v; p < semi; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != ' ')
			return v;
	return semi + 1;
}

/* arf_field - store one feedback report field. */
static void arf_field(struct rp_arf *arf, const char *name, const char *v)
{
	static const struct { const char *name; size_t off; bool lower; } single[] = {
		{ "Feedback-Type", offsetof(struct rp_arf, feedback_type), true },
		{ "User-Agent", offsetof(struct rp_arf, user_agent), false },
		{ "Version", offsetof(struct rp_arf, version), false },
		{ "Original-Mail-From", offsetof(struct rp_arf, original_mail_from), false },
		{ "Original-Envelope-Id", offsetof(struct rp_arf, original_envelope_id), false },
		{ "Arrival-Date", offsetof(struct rp_arf, arrival_date), false },
		{ "Received-Date", offsetof(struct rp_arf, arrival_date), false }, /* RFC 5965 legacy name */
		{ "Incidents", offsetof(struct rp_arf, incidents), false },
		{ "Auth-Failure", offsetof(struct rp_arf, auth_failure), true },
		{ "DKIM-Domain", offsetof(struct rp_arf, dkim_domain), false },
		{ "DKIM-Identity", offsetof(struct rp_arf, dkim_identity), false },
		{ "DKIM-Selector", offsetof(struct rp_arf, dkim_selector), false },
		{ "Delivery-Result", offsetof(struct rp_arf, delivery_result), true },
	};
	static const struct { const char *name; size_t off; } multi[] = {
		{ "Original-Rcpt-To", offsetof(struct rp_arf, original_rcpt_to) },
		{ "Reported-Domain", offsetof(struct rp_arf, reported_domain) },
		{ "Reported-URI", offsetof(struct rp_arf, reported_uri) },
		{ "Authentication-Results", offsetof(struct rp_arf, authentication_results) },
	};

	if (strcasecmp(name, "Source-IP") == 0) {
		if (arf->source_ip == NULL)
			arf->source_ip = normalize_ip(v);
		return;
	}
	if (strcasecmp(name, "Reporting-MTA") == 0) {
		set_once(&arf->reporting_mta, strip_type(v));
		return;
	}
	for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
		if (strcasecmp(name, single[i].name) != 0)
			continue;
		char **dst = (char **)(void *)((char *)arf + single[i].off);
		bool was_set = *dst != NULL;
		set_once(dst, v);
		if (!was_set && single[i].lower && *dst)
			str_lower(*dst);
		return;
	}
	for (size_t i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
		if (strcasecmp(name, multi[i].name) != 0)
			continue;
		char *s = xstrdup(v);
		const char *t = str_trim(s);
		if (*t)
			rp_strlist_add((struct rp_strlist *)(void *)((char *)arf + multi[i].off), t, ARF_MAX_ITEMS);
		xfree(s);
		return;
	}
}

/* parse_feedback - RFC 5965 fields from a message/feedback-report body. */
static int parse_feedback(struct rp_arf *arf, const char *body, struct rp_diag *diag)
{
	struct rp_message *fr = NULL;
	struct rp_diag d = { 0 };

	if (rp_message_parse_headers(body, strlen(body), NULL, &fr, &d) != RP_OK) {
		rp_diag_set(diag, d.line, d.offset, "malformed feedback report: %s", d.reason);
		return RP_EPARSE;
	}
	for (size_t i = 0; i < fr->n_headers; i++)
		arf_field(arf, fr->headers[i].name, fr->headers[i].value);
	rp_message_free(fr);
	if (arf->feedback_type == NULL || *arf->feedback_type == '\0') {
		rp_diag_set(diag, 0, 0, "malformed feedback report: no Feedback-Type field");
		return RP_EPARSE;
	}
	return RP_OK;
}

/* category_to_type - an ARF-like feedback type for an X-ARF category or type. */
static const char *category_to_type(const char *cat, const char *type)
{
	const char *k[] = { cat, type };

	for (size_t i = 0; i < 2; i++) {
		if (k[i] == NULL)
			continue;
		if (strcasecmp(k[i], "fraud") == 0 || strcasecmp(k[i], "phishing") == 0)
			return "fraud";
		if (strcasecmp(k[i], "malware") == 0 || strcasecmp(k[i], "virus") == 0)
			return "virus";
	}
	if (cat && (strcasecmp(cat, "abuse") == 0 || strcasecmp(cat, "messaging") == 0 ||
		    strcasecmp(cat, "spam") == 0))
		return "abuse";
	if (type && strcasecmp(type, "spam") == 0)
		return "abuse";
	return "other";
}

/* xarf_finish - fields shared by the YAML and JSON forms. */
static void xarf_finish(struct rp_arf *arf)
{
	arf->is_xarf = true;
	if (arf->feedback_type == NULL)
		arf->feedback_type = xstrdup(category_to_type(arf->xarf_category, arf->xarf_report_type));
	if (arf->xarf_source && arf->source_ip == NULL) {
		struct rp_addr a;
		char *ip = normalize_ip(arf->xarf_source);
		if (rp_addr_parse(ip, &a) == 0)
			arf->source_ip = ip;
		else
			xfree(ip);
	}
}

/* unquote - strip one pair of YAML quotes from a trimmed value, in place. */
static char *unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		return v + 1;
	}
	return v;
}

/* parse_xarf_yaml - X-ARF 0.2: one "Key: value" per line. */
static int parse_xarf_yaml(struct rp_arf *arf, const char *body, struct rp_diag *diag)
{
	char *copy = xstrdup(body), *save = NULL;
	size_t fields = 0;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		if (line[0] == '#' || line[0] == '-' || isspace((unsigned char)line[0]) || colon == NULL)
			continue;
		*colon = '\0';
		char *key = str_trim(line), *v = unquote(str_trim(colon + 1));
		fields++;
		if (strcasecmp(key, "Report-Type") == 0)
			set_once(&arf->xarf_report_type, v);
		else if (strcasecmp(key, "Category") == 0)
			set_once(&arf->xarf_category, v);
		else if (strcasecmp(key, "Source") == 0)
			set_once(&arf->xarf_source, v);
		else if (strcasecmp(key, "Source-Type") == 0)
			set_once(&arf->xarf_source_type, v);
		else if (strcasecmp(key, "User-Agent") == 0)
			set_once(&arf->user_agent, v);
		else if (strcasecmp(key, "Version") == 0)
			set_once(&arf->version, v);
		else if (strcasecmp(key, "Date") == 0)
			set_once(&arf->arrival_date, v);
		else if (strcasecmp(key, "Reported-From") == 0)
			set_once(&arf->original_mail_from, v);
	}
	xfree(copy);
	if (fields == 0 || (arf->xarf_report_type == NULL && arf->xarf_category == NULL)) {
		rp_diag_set(diag, 0, 0, "malformed X-ARF report: no Report-Type or Category");
		return RP_EPARSE;
	}
	xarf_finish(arf);
	return RP_OK;
}

/* key_eq - JSON key comparison ignoring case, '-' and '_' ("SourceIp" == "source_ip"). */
static bool key_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == '-' || *a == '_')
			a++;
		while (*b == '-' || *b == '_')
			b++;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
		if (*a == '\0')
			return true;
		a++, b++;
	}
}

/* json_pick - first value among names in obj or obj.Report, as text; NULL if none. */
static char *json_pick(json_t *root, const char *const *names)
{
	json_t *objs[2] = { root, NULL };
	const char *k;
	json_t *v;

	json_object_foreach(root, k, v)
		if (key_eq(k, "Report") && json_is_object(v))
			objs[1] = v;
	for (size_t n = 0; names[n]; n++) {
		for (size_t o = 0; o < 2; o++) {
			if (objs[o] == NULL)
				continue;
			json_object_foreach(objs[o], k, v) {
				if (!key_eq(k, names[n]))
					continue;
				if (json_is_string(v))
					return xstrdup(json_string_value(v));
				if (json_is_integer(v))
					return xasprintf("%lld", (long long)json_integer_value(v));
			}
		}
	}
	return NULL;
}

/* parse_xarf_json - XARF JSON (abusix v2/v3 "ReportType" style and v4 "type" style). */
static int parse_xarf_json(struct rp_arf *arf, const char *body, struct rp_diag *diag)
{
	static const char *const type_keys[] = { "ReportType", "type", NULL };
	static const char *const cat_keys[] = { "Category", "ReportClass", "class", NULL };
	static const char *const src_keys[] = { "Source", "SourceIp", "source_identifier", "SourceIdentifier", NULL };
	static const char *const srct_keys[] = { "SourceType", NULL };
	static const char *const ver_keys[] = { "Version", "xarf_version", NULL };
	static const char *const date_keys[] = { "Date", "timestamp", NULL };
	json_error_t err;
	json_t *root = json_loads(body, 0, &err);

	if (root == NULL || !json_is_object(root)) {
		rp_diag_set(diag, (unsigned long)err.line, (unsigned long)err.position,
			    "malformed XARF JSON: %s", root ? "not an object" : err.text);
		json_decref(root);
		return RP_EPARSE;
	}
	arf->xarf_report_type = json_pick(root, type_keys);
	arf->xarf_category = json_pick(root, cat_keys);
	arf->xarf_source = json_pick(root, src_keys);
	arf->xarf_source_type = json_pick(root, srct_keys);
	arf->version = json_pick(root, ver_keys);
	arf->arrival_date = json_pick(root, date_keys);
	json_decref(root);
	if (arf->xarf_report_type == NULL && arf->xarf_category == NULL) {
		rp_diag_set(diag, 0, 0, "malformed XARF JSON: no report type or category");
		return RP_EPARSE;
	}
	xarf_finish(arf);
	return RP_OK;
}

/* rp_arf_parse - pick the report part and hand it to the right parser. */
int rp_arf_parse(const struct rp_message *m, struct rp_arf **out, struct rp_diag *diag)
{
	struct rp_arf *arf;
	int rc;

	if (m == NULL)
		return RP_EINVAL;
	if (m->feedback_report == NULL && m->xarf_report == NULL) {
		if (m->report_type && strcmp(m->report_type, "feedback-report") == 0) {
			rp_diag_set(diag, 0, 0, "multipart/report feedback-report without a message/feedback-report part");
			return RP_EPARSE;
		}
		return RP_ENOTFOUND;
	}
	arf = xcalloc(1, sizeof(*arf));
	if (m->feedback_report) {
		rc = parse_feedback(arf, m->feedback_report, diag);
	} else {
		const char *p = m->xarf_report;
		while (isspace((unsigned char)*p))
			p++;
		rc = *p == '{' ? parse_xarf_json(arf, p, diag) : parse_xarf_yaml(arf, p, diag);
	}
	if (rc != RP_OK) {
		rp_arf_free(arf);
		return rc;
	}
	*out = arf;
	return RP_OK;
}
