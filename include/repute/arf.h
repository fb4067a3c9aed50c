/* arf.h - abuse reports in ARF (RFC 5965, RFC 6591) and X-ARF.
 *
 * rp_arf_parse reads the machine-readable part of a parsed message (its feedback_report or
 * xarf_report) into struct rp_arf (heap, caller frees with rp_arf_free). The attached
 * original (message/rfc822 or text/rfc822-headers) stays in the message's `attached`.
 * Multi-valued fields (Original-Rcpt-To, Reported-Domain, Reported-URI,
 * Authentication-Results) keep every value in order. */
#ifndef REPUTE_ARF_H
#define REPUTE_ARF_H

#include <stdbool.h>
#include <stddef.h>

#include "repute/buf.h"
#include "repute/error.h"
#include "repute/extract.h"
#include "repute/message.h"

struct rp_arf {
	bool is_xarf;
	char *feedback_type;      /* "abuse", "fraud", "auth-failure", ... lower case */
	char *user_agent;
	char *version;
	char *source_ip;          /* normalised address text, comments removed */
	char *original_mail_from;
	char *original_envelope_id;
	char *arrival_date;
	char *reporting_mta;
	char *incidents;
	char *auth_failure;
	struct rp_strlist original_rcpt_to;
	struct rp_strlist reported_domain;
	struct rp_strlist reported_uri;
	struct rp_strlist authentication_results;
	/* X-ARF (version 0.2 YAML or 4 JSON): category, report type and source as written */
	char *xarf_category;
	char *xarf_report_type;
	char *xarf_source;
	char *xarf_source_type;
	/* RFC 6591 auth-failure details (NULL when absent) */
	char *dkim_domain;
	char *dkim_identity;
	char *dkim_selector;
	char *delivery_result;
};

/* rp_arf_parse - RP_ENOTFOUND when m is not an ARF/X-ARF report; RP_EPARSE with a reason
 * in diag when it claims to be one but the report part is malformed. */
int rp_arf_parse(const struct rp_message *m, struct rp_arf **out, struct rp_diag *diag);
struct rp_arf *rp_arf_free(struct rp_arf *arf);

/* Building a report (src/librepute/arf_write.c): what goes into the message/feedback-report
 * part and the report's own header. Strings are borrowed; NULL leaves a field out (or takes the
 * fallback named). None may contain CR or LF (RP_EINVAL). */
struct rp_arf_build_in {
	const char *feedback_type;      /* NULL: "abuse" */
	const char *user_agent;         /* NULL: "repute/1" */
	const char *original_mail_from; /* NULL: the original's Return-Path, if any */
	const char *source_ip;          /* the origin (rp_analyze), NULL: no Source-IP */
	const char *arrival_date;       /* NULL: the date of the original's first Received, else its Date */
	const char *reporting_mta;      /* host name, written "dns; NAME" */
	const char *from, *to;          /* the report's From and To (required) */
	const char *redact_user;        /* the reporting user's address: replaced by RP_REDACTED_ADDR
					 * everywhere in the attached original and never written */
	long long date;                 /* the report's Date, unix time */
};

/* rp_arf_build - append an RFC 5965 report about the message orig[0..len) to out (may move
 * out->data): multipart/report; report-type=feedback-report with a text part, the
 * message/feedback-report part and the (redacted) original as message/rfc822. Lines end as
 * the original's do (CRLF or LF). *n_redacted (may be NULL) gets the replacements made.
 * RP_EINVAL (diag says which field) on a bad field; RP_ENOTMAIL when orig has no header. */
int rp_arf_build(const struct rp_arf_build_in *in, const char *orig, size_t len, struct buf *out,
		 size_t *n_redacted, struct rp_diag *diag);

#endif
