/* evidence.h - turn one reported message into evidence: the analysis behind `repute analyze`
 * and every intake channel of the centre.
 *
 * An rp_analyzer holds what is expensive to set up (trust configuration, public suffix
 * list); make one per thread and reuse it. rp_analyze parses the message, picks the message
 * the report is about (the original inside an ARF report or a forwarded message/rfc822
 * attachment, else the message itself), walks its Received chain, extracts URLs, domains,
 * e-mail addresses and phone numbers, lists attachments and computes the campaign
 * fingerprint. The result is owned by the caller (rp_evidence_free). */
#ifndef REPUTE_EVIDENCE_H
#define REPUTE_EVIDENCE_H

#include <stdio.h>

#include <jansson.h>

#include "repute/arena.h"
#include "repute/arf.h"
#include "repute/extract.h"
#include "repute/fingerprint.h"
#include "repute/message.h"
#include "repute/origin.h"

struct rp_analyze_config {
	struct rp_trust_config trust;    /* owned by the caller; copied by reference */
	struct rp_message_limits limits;
	const char *default_cc;          /* country calling code for phone numbers, "86" */
	size_t max_hops;                 /* Received headers walked at most (1,000) */
};

enum rp_analyze_flags {
	RP_ANALYZE_FULL = 0,
	RP_ANALYZE_HEADERS_ONLY = 1, /* header + Received analysis alone (fast path) */
};

struct rp_evidence {
	struct arena *arena;
	struct rp_message *msg;           /* the message as received */
	const struct rp_message *subject; /* the message the report is about */
	const char *subject_source;       /* "message", "arf-original", "forwarded-attachment" */
	struct rp_origin origin;
	struct rp_extract found;
	struct rp_fingerprint fingerprint;
	struct rp_arf *arf;               /* NULL unless the message is an ARF/X-ARF report */
};

struct rp_analyzer;

void rp_analyze_config_default(struct rp_analyze_config *cfg);
/* rp_analyzer_new - NULL when the public suffix list cannot be loaded. cfg must outlive it. */
struct rp_analyzer *rp_analyzer_new(const struct rp_analyze_config *cfg);
struct rp_analyzer *rp_analyzer_free(struct rp_analyzer *an);

/* rp_analyze - RP_ENOTMAIL (with diag) when the input is not a mail message. */
int rp_analyze(struct rp_analyzer *an, const char *data, size_t len, unsigned flags,
	       struct rp_evidence **out, struct rp_diag *diag);
struct rp_evidence *rp_evidence_free(struct rp_evidence *ev);

/* rp_evidence_to_json - the JSON object documented in docs/analyze.md (new reference). */
json_t *rp_evidence_to_json(const struct rp_evidence *ev);
/* rp_evidence_explain - the Received walk as a readable table. */
void rp_evidence_explain(const struct rp_evidence *ev, FILE *out);

#endif
