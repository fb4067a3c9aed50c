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

#endif
