/* fingerprint.h - fuzzy campaign fingerprint of a message's normalised text.
 *
 * Trivially varied copies of one spam (changed names, numbers, URLs' query strings,
 * white space, tracking tokens) give fingerprints with high similarity; unrelated
 * messages give low similarity. The fingerprint is a fixed-size value with a stable text
 * form for storage and JSON. docs/fingerprint.md describes the method and its measured
 * false-match rate on the SpamAssassin corpus. */
#ifndef REPUTE_FINGERPRINT_H
#define REPUTE_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RP_FP_SLOTS 32
#define RP_FP_TEXTLEN (2 + RP_FP_SLOTS * 8 + 1)

struct rp_fingerprint {
	uint32_t slot[RP_FP_SLOTS]; /* algorithm-defined (e.g. minhash values) */
	uint32_t n_features;        /* 0 when the text was too short to fingerprint */
};

/* rp_fingerprint_compute - fingerprint UTF-8 text (subject and body, joined by the caller). */
void rp_fingerprint_compute(const char *text, size_t len, struct rp_fingerprint *fp);
/* rp_fingerprint_similarity - 0.0 (unrelated) .. 1.0 (same); 0 when either is empty. */
double rp_fingerprint_similarity(const struct rp_fingerprint *a, const struct rp_fingerprint *b);
/* rp_fingerprint_match - similarity at or above the campaign threshold. */
bool rp_fingerprint_match(const struct rp_fingerprint *a, const struct rp_fingerprint *b);
/* rp_fingerprint_format / _parse - stable text form of RP_FP_TEXTLEN bytes with NUL. */
char *rp_fingerprint_format(const struct rp_fingerprint *fp, char *out);
int rp_fingerprint_parse(const char *text, struct rp_fingerprint *fp);

#endif
