/* listing.c - the listing policy (include/repute/listing.h): defaults, the score of a
 * source's evidence, the decision to list with a reason, return code and expiry (doubling
 * for repeat offenders), and self-service delisting. listing_range.c has the CIDR ranges,
 * listing_wl.c the provider whitelist. Pure: the caller passes the evidence and the time. */
#include <stdio.h>
#include <string.h>

#include "repute/listing.h"

#define DAY 86400L

/* rp_listing_policy_defaults - the documented defaults. */
void rp_listing_policy_defaults(struct rp_listing_policy *p)
{
	*p = (struct rp_listing_policy){
		.window = 7 * DAY,
		.threshold = 30,
		.reporter_points = 10,
		.trap_points = 15,
		.trap_max_hits = 4,
		.confirm_points = 30,
		.relay_points = 30,
		.min_reporters = 2,
		.expiry = 2 * DAY,
		.expiry_max = 90 * DAY,
		.repeat_memory = 180 * DAY,
		.range_min = 8,
		.range_prefix_min = 24,
		.collateral_max = 16,
		.collateral_percent = 50,
		.delist_period = 30 * DAY,
	};
}

/* rp_listing_policy_check - values that cannot work. */
int rp_listing_policy_check(const struct rp_listing_policy *p, struct rp_diag *diag)
{
	const char *bad = NULL;

	if (p->window <= 0)
		bad = "window must be positive";
	else if (p->threshold <= 0)
		bad = "threshold must be positive";
	else if (p->expiry <= 0 || p->expiry_max < p->expiry)
		bad = "expiry must be positive and not above expiry_max";
	else if (p->range_min < 0 || p->range_min == 1)
		bad = "range_min must be 0 (no ranges) or at least 2";
	else if (p->range_prefix_min < 8 || p->range_prefix_min > 31)
		bad = "range_prefix_min must be within 8..31";
	else if (p->collateral_max < 0 || p->collateral_percent < 0)
		bad = "collateral limits must not be negative";
	else if (p->reporter_points < 0 || p->trap_points < 0 || p->confirm_points < 0 || p->relay_points < 0)
		bad = "points must not be negative";
	if (bad == NULL)
		return RP_OK;
	rp_diag_set(diag, 0, 0, "listing policy: %s", bad);
	return RP_EINVAL;
}

/* rp_listing_since - the window, cut at the last delisting. */
int64_t rp_listing_since(const struct rp_listing_policy *p, int64_t now, int64_t last_end)
{
	int64_t since = now - p->window;

	return last_end > since ? last_end : since;
}

/* trap_part - points of the trap hits (capped). */
static double trap_part(const struct rp_listing_policy *p, const struct rp_listing_evidence *ev)
{
	long hits = ev->trap_hits < p->trap_max_hits ? ev->trap_hits : p->trap_max_hits;

	return hits > 0 ? (double)hits * (double)p->trap_points : 0.0;
}

/* report_part - points of the distinct reporters, weighted by trust. */
static double report_part(const struct rp_listing_policy *p, const struct rp_listing_evidence *ev)
{
	return ev->reporter_weight > 0 ? ev->reporter_weight * (double)p->reporter_points : 0.0;
}

/* rp_listing_score - reporters + trap hits + confirmations + relay finding. */
double rp_listing_score(const struct rp_listing_policy *p, const struct rp_listing_evidence *ev)
{
	double s = report_part(p, ev) + trap_part(p, ev);

	if (ev->confirmations > 0)
		s += (double)ev->confirmations * (double)p->confirm_points;
	if (ev->open_relay)
		s += (double)p->relay_points;
	return s;
}

/* rp_listing_expiry - expiry doubled per earlier listing, capped. */
int64_t rp_listing_expiry(const struct rp_listing_policy *p, long prior, int64_t now)
{
	int64_t d = p->expiry;

	for (long i = 0; i < prior && d < p->expiry_max; i++)
		d *= 2;
	if (d > p->expiry_max)
		d = p->expiry_max;
	return now + d;
}

/* main_reason - the reason whose evidence weighs most (an open relay always wins). */
static enum rp_list_reason main_reason(const struct rp_listing_policy *p, const struct rp_listing_evidence *ev)
{
	if (ev->open_relay)
		return RP_LIST_RELAY;
	if (trap_part(p, ev) > report_part(p, ev))
		return RP_LIST_TRAP;
	return RP_LIST_REPORTS;
}

/* only_reports - reports are the only evidence (min_reporters applies). */
static bool only_reports(const struct rp_listing_evidence *ev)
{
	return ev->trap_hits <= 0 && ev->confirmations <= 0 && !ev->open_relay;
}

/* summarise - "N reporters (weight W), H trap hits, C confirmations, open relay". */
static void summarise(const struct rp_listing_evidence *ev, double score, char *out, size_t len)
{
	int n = snprintf(out, len, "score %.1f: %ld reporters (weight %.2f)", score, ev->reporters,
			 ev->reporter_weight);

	if (n > 0 && (size_t)n < len && ev->trap_hits > 0)
		n += snprintf(out + n, len - (size_t)n, ", %ld trap hits", ev->trap_hits);
	if (n > 0 && (size_t)n < len && ev->confirmations > 0)
		n += snprintf(out + n, len - (size_t)n, ", %ld confirmations", ev->confirmations);
	if (n > 0 && (size_t)n < len && ev->open_relay)
		snprintf(out + n, len - (size_t)n, ", open relay");
}

/* rp_listing_decide - list, open a case (whitelisted), or nothing. */
void rp_listing_decide(const struct rp_listing_policy *p, const struct rp_listing_evidence *ev, bool whitelisted,
		       long prior, int64_t now, struct rp_listing_decision *out)
{
	memset(out, 0, sizeof(*out));
	out->score = rp_listing_score(p, ev);
	summarise(ev, out->score, out->summary, sizeof(out->summary));
	if (out->score < (double)p->threshold)
		return;
	if (only_reports(ev) && ev->reporters < p->min_reporters)
		return;
	out->reason = main_reason(p, ev);
	if (whitelisted) {
		out->action = RP_ACT_CASE;
		return;
	}
	out->action = RP_ACT_LIST;
	out->expires = rp_listing_expiry(p, prior, now);
}

static const char *const reason_names[RP_LIST_N_REASONS] = {
	[RP_LIST_NONE] = "none", [RP_LIST_REPORTS] = "reports", [RP_LIST_TRAP] = "trap",
	[RP_LIST_RELAY] = "relay", [RP_LIST_MANUAL] = "manual", [RP_LIST_RANGE] = "range",
};

/* rp_list_reason_name - the reason's name. */
const char *rp_list_reason_name(enum rp_list_reason r)
{
	return (unsigned)r < RP_LIST_N_REASONS ? reason_names[r] : "none";
}

/* rp_list_reason_parse - a name back to the reason. */
int rp_list_reason_parse(const char *name, enum rp_list_reason *out)
{
	for (int i = 1; i < RP_LIST_N_REASONS; i++)
		if (strcmp(name, reason_names[i]) == 0) {
			*out = (enum rp_list_reason)i;
			return RP_OK;
		}
	return RP_EINVAL;
}

/* rp_list_reason_code - 127.0.0.1 + reason (none answers 127.0.0.1, never published). */
uint32_t rp_list_reason_code(enum rp_list_reason r)
{
	return 0x7f000001u + ((unsigned)r < RP_LIST_N_REASONS ? (uint32_t)r : 0u);
}

/* rp_listing_delist - immediate removal unless new evidence, a recent self-service use,
 * or a listing an analyst made or must check. */
enum rp_delist_outcome rp_listing_delist(const struct rp_listing_policy *p, const struct rp_delist_input *in)
{
	if (in->reason == RP_LIST_MANUAL || in->reason == RP_LIST_RELAY)
		return RP_DELIST_CASE_REASON;
	if (in->last_evidence > in->listed_at)
		return RP_DELIST_CASE_EVIDENCE;
	if (in->last_self_delist > 0 && in->now - in->last_self_delist < p->delist_period)
		return RP_DELIST_CASE_PERIOD;
	return RP_DELIST_NOW;
}

/* rp_delist_outcome_name - text of an outcome. */
const char *rp_delist_outcome_name(enum rp_delist_outcome o)
{
	switch (o) {
	case RP_DELIST_NOW:
		return "delisted";
	case RP_DELIST_CASE_EVIDENCE:
		return "case:new-evidence";
	case RP_DELIST_CASE_PERIOD:
		return "case:too-soon";
	case RP_DELIST_CASE_REASON:
		return "case:reason";
	}
	return "case";
}
