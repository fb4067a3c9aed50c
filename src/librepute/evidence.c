/* evidence.c - one reported message in, evidence out: the analysis behind `repute analyze`.
 *
 * rp_analyze() parses the message, chooses the message the report is about (an ARF report's
 * original, a forwarded message/rfc822 attachment, or the message itself), walks that
 * message's Received chain for the origin, extracts URLs, domains, e-mail addresses and phone
 * numbers, lists attachments and fingerprints the text. rp_evidence_to_json() renders the
 * result in the shape documented in docs/analyze.md; rp_evidence_explain() prints the walk. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/evidence.h"

struct rp_analyzer {
	const struct rp_analyze_config *cfg;
	struct rp_extractor *extractor;
};

/* Sender-side headers whose addresses are evidence; recipient headers (To, Cc, Delivered-To)
 * name the reporter and are left out on purpose. */
static const char *const sender_headers[] = { "From", "Reply-To", "Sender", "Return-Path", NULL };
static const char *const link_headers[] = { "List-Unsubscribe", NULL };

void rp_analyze_config_default(struct rp_analyze_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	rp_trust_config_init(&cfg->trust);
	rp_message_limits_default(&cfg->limits);
	cfg->default_cc = "86";
	cfg->max_hops = 1000;
}

struct rp_analyzer *rp_analyzer_new(const struct rp_analyze_config *cfg)
{
	struct rp_extractor *x = rp_extractor_new(cfg->default_cc);

	if (x == NULL)
		return NULL;
	struct rp_analyzer *an = xcalloc(1, sizeof(*an));
	an->cfg = cfg;
	an->extractor = x;
	return an;
}

struct rp_analyzer *rp_analyzer_free(struct rp_analyzer *an)
{
	if (an == NULL)
		return NULL;
	rp_extractor_free(an->extractor);
	return xfree(an);
}

struct rp_evidence *rp_evidence_free(struct rp_evidence *ev)
{
	if (ev == NULL)
		return NULL;
	rp_message_free(ev->msg);
	rp_arf_free(ev->arf);
	rp_extract_fini(&ev->found);
	arena_free(ev->arena);
	return xfree(ev);
}

/* choose_subject - the message a report is about: an ARF report's original; else an attached
 * message that carries its own Received chain (spam forwarded as an attachment keeps it, while
 * a forwarded document or digest without one tells nothing about a source); else itself. */
static void choose_subject(struct rp_evidence *ev)
{
	ev->subject = ev->msg;
	ev->subject_source = "message";
	if (ev->msg->n_attached == 0)
		return;
	const struct rp_message *first = ev->msg->attached[0];
	if (ev->arf) {
		ev->subject = first;
		ev->subject_source = "arf-original";
	} else if (rp_message_header_next(first, "Received", 0) >= 0) {
		ev->subject = first;
		ev->subject_source = "forwarded-attachment";
	}
}

/* find_origin - walk the subject's Received headers; fall back on ARF Source-IP. */
static int find_origin(struct rp_analyzer *an, struct rp_evidence *ev)
{
	const struct rp_message *m = ev->subject;
	const char **values = arena_alloc(ev->arena, (m->n_headers + 1) * sizeof(char *));
	size_t n = 0;

	for (long i = 0; (i = rp_message_header_next(m, "Received", i)) >= 0; i++)
		values[n++] = m->headers[i].value;
	int rc = rp_origin_find(values, n, &an->cfg->trust, an->cfg->max_hops, ev->arena, &ev->origin);
	if (rc != RP_OK)
		return rc;
	if (!ev->origin.found && ev->arf && ev->arf->source_ip &&
	    rp_addr_parse(ev->arf->source_ip, &ev->origin.ip) == RP_OK) {
		ev->origin.found = true;
		ev->origin.hop = -1;
		ev->origin.reason = "no usable Received hop; Source-IP of the ARF report";
	}
	return RP_OK;
}

/* extract_from_message - URLs, addresses and numbers from one message's headers and text. */
static void extract_from_message(struct rp_analyzer *an, struct rp_extract *e, const struct rp_message *m)
{
	struct rp_extractor *x = an->extractor;

	for (const char *const *h = sender_headers; *h; h++)
		for (long i = 0; (i = rp_message_header_next(m, *h, i)) >= 0; i++)
			rp_extract_text(x, e, m->headers[i].decoded, strlen(m->headers[i].decoded));
	for (const char *const *h = link_headers; *h; h++)
		for (long i = 0; (i = rp_message_header_next(m, *h, i)) >= 0; i++)
			rp_extract_text(x, e, m->headers[i].decoded, strlen(m->headers[i].decoded));
	const char *subject = rp_message_header(m, "Subject");
	if (subject)
		rp_extract_text(x, e, subject, strlen(subject));
	if (m->text)
		rp_extract_text(x, e, m->text, strlen(m->text));
	if (m->html_text)
		rp_extract_text(x, e, m->html_text, strlen(m->html_text));
	for (size_t i = 0; i < m->n_links; i++)
		rp_extract_link(x, e, m->links[i]);
}

/* extract_from_arf - Reported-URI and Reported-Domain of a feedback report. */
static void extract_from_arf(struct rp_analyzer *an, struct rp_extract *e, const struct rp_arf *arf)
{
	for (size_t i = 0; i < arf->reported_uri.n; i++)
		rp_extract_link(an->extractor, e, arf->reported_uri.items[i]);
	for (size_t i = 0; i < arf->reported_domain.n; i++)
		rp_strlist_add(&e->domains, arf->reported_domain.items[i], e->max_items);
}

/* fingerprint_subject - fingerprint of the subject line and the body text. */
static void fingerprint_subject(struct rp_evidence *ev)
{
	const struct rp_message *m = ev->subject;
	const char *subject = rp_message_header(m, "Subject");
	struct buf b;

	buf_init(&b);
	if (subject)
		buf_printf(&b, "%s\n", subject);
	if (m->text && *m->text)
		buf_puts(&b, m->text);
	else if (m->html_text)
		buf_puts(&b, m->html_text);
	rp_fingerprint_compute(b.data ? b.data : "", b.len, &ev->fingerprint);
	buf_fini(&b);
}

int rp_analyze(struct rp_analyzer *an, const char *data, size_t len, unsigned flags,
	       struct rp_evidence **out, struct rp_diag *diag)
{
	struct rp_evidence *ev = xcalloc(1, sizeof(*ev));
	bool full = !(flags & RP_ANALYZE_HEADERS_ONLY);
	int rc;

	ev->arena = arena_new(16384);
	rp_extract_init(&ev->found);
	rc = full ? rp_message_parse(data, len, &an->cfg->limits, &ev->msg, diag)
		  : rp_message_parse_headers(data, len, &an->cfg->limits, &ev->msg, diag);
	if (rc != RP_OK) {
		rp_evidence_free(ev);
		return rc;
	}
	if (full) {
		rc = rp_arf_parse(ev->msg, &ev->arf, diag);
		if (rc != RP_OK && rc != RP_ENOTFOUND) {
			rp_evidence_free(ev);
			return rc;
		}
	}
	choose_subject(ev);
	rc = find_origin(an, ev);
	if (rc != RP_OK) {
		rp_evidence_free(ev);
		return rc;
	}
	if (full) {
		extract_from_message(an, &ev->found, ev->subject);
		if (ev->arf)
			extract_from_arf(an, &ev->found, ev->arf);
		fingerprint_subject(ev);
	}
	*out = ev;
	return RP_OK;
}
