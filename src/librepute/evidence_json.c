/* evidence_json.c - render evidence as the JSON of docs/analyze.md and as the --explain table. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/evidence.h"
#include "repute/utf8.h"

/* json_text - a JSON string of s, with invalid UTF-8 replaced (jansson refuses it). */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(s ? s : "");

	if (j == NULL) {
		char *clean = utf8_sanitize(s, strlen(s));
		j = json_string(clean);
		xfree(clean);
	}
	return j;
}

/* json_str_or_null - a JSON string, or null for NULL and "". */
static json_t *json_str_or_null(const char *s)
{
	return s && *s ? json_text(s) : json_null();
}

/* json_time - RFC 3339 UTC text of t, or null when t is 0. */
static json_t *json_time(time_t t)
{
	char text[32];
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(text);
}

/* json_strlist - an array of the list's strings. */
static json_t *json_strlist(const struct rp_strlist *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_text(l->items[i]));
	return a;
}

/* hop_to_json - one parsed Received hop with its verdict. */
static json_t *hop_to_json(const struct rp_hop *h, size_t index)
{
	const struct rp_received *r = &h->rcvd;
	char ip[RP_ADDR_STRLEN];

	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o}",
			 "hop", (json_int_t)index,
			 "from_helo", json_str_or_null(r->helo),
			 "from_rdns", json_str_or_null(r->rdns),
			 "from_ip", r->ip.family ? json_string(rp_addr_format(&r->ip, ip)) : json_null(),
			 "ip_scope", r->ip.family ? json_string(rp_addr_scope_name(rp_addr_scope(&r->ip))) : json_null(),
			 "by", json_str_or_null(r->by),
			 "with", json_str_or_null(r->with),
			 "id", json_str_or_null(r->id),
			 "for", json_str_or_null(r->for_addr),
			 "envelope_from", json_str_or_null(r->envfrom),
			 "ident", json_str_or_null(r->ident),
			 "auth", json_str_or_null(r->auth),
			 "date", json_time(r->date),
			 "raw", json_text(r->raw),
			 "verdict", rp_hop_verdict_name(h->verdict),
			 "why", json_text(h->why));
}

/* origin_to_json - {ip, hop, reason}. */
static json_t *origin_to_json(const struct rp_origin *o)
{
	char ip[RP_ADDR_STRLEN];

	return json_pack("{s:o, s:o, s:o}",
			 "ip", o->found ? json_string(rp_addr_format(&o->ip, ip)) : json_null(),
			 "hop", o->found && o->hop >= 0 ? json_integer(o->hop) : json_null(),
			 "reason", json_text(o->reason));
}

/* urls_to_json - every URL with its hosts and registrable domain. */
static json_t *urls_to_json(const struct rp_extract *e)
{
	json_t *a = json_array();

	for (size_t i = 0; i < e->n_urls; i++) {
		const struct rp_url *u = &e->urls[i];
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o, s:b}", "url", json_text(u->url),
						   "host", json_text(u->host), "host_unicode", json_text(u->host_unicode),
						   "domain", json_str_or_null(u->domain),
						   "obfuscated", u->obfuscated));
	}
	return a;
}

/* attachments_to_json - name, type, size and sha256 of each attachment. */
static json_t *attachments_to_json(const struct rp_message *m)
{
	json_t *a = json_array();

	for (size_t i = 0; i < m->n_attachments; i++) {
		const struct rp_attachment *at = &m->attachments[i];
		json_array_append_new(a, json_pack("{s:o, s:o, s:I, s:s}", "name", json_text(at->filename),
						   "type", json_text(at->content_type), "size", (json_int_t)at->size,
						   "sha256", at->sha256));
	}
	return a;
}

/* feedback_to_json - the machine-readable part of an ARF or X-ARF report. */
static json_t *feedback_to_json(const struct rp_arf *f)
{
	json_t *o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			      "format", f->is_xarf ? "x-arf" : "arf",
			      "feedback_type", json_str_or_null(f->feedback_type),
			      "user_agent", json_str_or_null(f->user_agent),
			      "version", json_str_or_null(f->version),
			      "source_ip", json_str_or_null(f->source_ip),
			      "original_mail_from", json_str_or_null(f->original_mail_from),
			      "arrival_date", json_str_or_null(f->arrival_date),
			      "reporting_mta", json_str_or_null(f->reporting_mta),
			      "incidents", json_str_or_null(f->incidents),
			      "auth_failure", json_str_or_null(f->auth_failure));
	json_object_set_new(o, "original_rcpt_to", json_strlist(&f->original_rcpt_to));
	json_object_set_new(o, "reported_domain", json_strlist(&f->reported_domain));
	json_object_set_new(o, "reported_uri", json_strlist(&f->reported_uri));
	json_object_set_new(o, "authentication_results", json_strlist(&f->authentication_results));
	if (f->is_xarf)
		json_object_set_new(o, "xarf", json_pack("{s:o, s:o, s:o, s:o}",
							 "category", json_str_or_null(f->xarf_category),
							 "report_type", json_str_or_null(f->xarf_report_type),
							 "source", json_str_or_null(f->xarf_source),
							 "source_type", json_str_or_null(f->xarf_source_type)));
	return o;
}

json_t *rp_evidence_to_json(const struct rp_evidence *ev)
{
	const struct rp_message *m = ev->subject;
	char fp[RP_FP_TEXTLEN];
	json_t *hops = json_array();

	for (size_t i = 0; i < ev->origin.n_hops; i++)
		json_array_append_new(hops, hop_to_json(&ev->origin.hops[i], i));
	json_t *o = json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:o}",
			      "origin", origin_to_json(&ev->origin),
			      "received", hops,
			      "source", ev->subject_source,
			      "subject", json_str_or_null(rp_message_header(m, "Subject")),
			      "from", json_str_or_null(rp_message_header(m, "From")),
			      "message_id", json_str_or_null(rp_message_header(m, "Message-ID")),
			      "date", json_str_or_null(rp_message_header(m, "Date")));
	json_object_set_new(o, "urls", urls_to_json(&ev->found));
	json_object_set_new(o, "domains", json_strlist(&ev->found.domains));
	json_object_set_new(o, "emails", json_strlist(&ev->found.emails));
	json_object_set_new(o, "phones", json_strlist(&ev->found.phones));
	json_object_set_new(o, "attachments", attachments_to_json(m));
	json_object_set_new(o, "fingerprint", ev->fingerprint.n_features
				 ? json_string(rp_fingerprint_format(&ev->fingerprint, fp)) : json_null());
	json_object_set_new(o, "truncated", json_boolean(ev->msg->truncated || ev->found.truncated));
	if (ev->arf)
		json_object_set_new(o, "feedback", feedback_to_json(ev->arf));
	return o;
}

/* cell - s cut to width for the table, "-" when empty. */
static const char *cell(const char *s, char *tmp, size_t width)
{
	if (s == NULL || *s == '\0')
		return "-";
	snprintf(tmp, width + 1, "%s", s);
	return tmp;
}

void rp_evidence_explain(const struct rp_evidence *ev, FILE *out)
{
	char ip[RP_ADDR_STRLEN], t1[64], t2[64], t3[64];

	fprintf(out, "%-4s %-8s %-39s %-28s %-28s %s\n", "hop", "verdict", "client ip", "helo / rdns", "by",
		"why");
	for (size_t i = 0; i < ev->origin.n_hops; i++) {
		const struct rp_hop *h = &ev->origin.hops[i];
		const char *name = *h->rcvd.rdns ? h->rcvd.rdns : h->rcvd.helo;
		fprintf(out, "%-4zu %-8s %-39s %-28s %-28s %s\n", i, rp_hop_verdict_name(h->verdict),
			h->rcvd.ip.family ? rp_addr_format(&h->rcvd.ip, ip) : "-", cell(name, t1, 28),
			cell(h->rcvd.by, t2, 28), cell(h->why, t3, 63));
	}
	if (ev->origin.found)
		fprintf(out, "origin: %s (%s)\n", rp_addr_format(&ev->origin.ip, ip), ev->origin.reason);
	else
		fprintf(out, "origin: none (%s)\n", ev->origin.reason ? ev->origin.reason : "no Received headers");
}
