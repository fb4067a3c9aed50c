/* listing.h - the listing policy: when a source (IPv4 address, IPv6 /64, domain, phone
 * number) is listed, with which return code, until when, when a CIDR range may be listed
 * instead of its addresses, and how a delisting request is decided. docs/listing-policy.md
 * documents every rule and default.
 *
 * Pure code: no SQL, no clock, no I/O. The caller (reputed) gathers the evidence of a source
 * from the store (distinct reporters in the window with their trust, trap hits, analyst
 * confirmations, open-relay findings), asks rp_listing_decide, and stores the decision.
 * Every function takes "now" as an argument so tests are deterministic.
 *
 * Ownership: struct rp_whitelist owns its arrays (rp_whitelist_fini frees them);
 * rp_listing_ranges fills a caller-owned array. Nothing here keeps global state. */
#ifndef REPUTE_LISTING_H
#define REPUTE_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "repute/error.h"
#include "repute/netaddr.h"

/* Why a source is listed; each reason answers its own A record (127.0.0.x). */
enum rp_list_reason {
	RP_LIST_NONE = 0,
	RP_LIST_REPORTS, /* 127.0.0.2: spam reports from distinct reporters */
	RP_LIST_TRAP,    /* 127.0.0.3: mail to spam-trap addresses */
	RP_LIST_RELAY,   /* 127.0.0.4: open relay / open proxy found */
	RP_LIST_MANUAL,  /* 127.0.0.5: listed by an analyst */
	RP_LIST_RANGE,   /* 127.0.0.6: a CIDR range covering several listed addresses */
	RP_LIST_N_REASONS,
};

/* The return code of the provider whitelist zone: 127.0.10.1. */
#define RP_WHITELIST_CODE 0x7f000a01u

/* The policy; every field has a reputed config option ([listing] section) and a default
 * from rp_listing_policy_defaults. Scores are in points: one distinct reporter of full
 * trust (1.0) is reporter_points; trust scales it down. */
struct rp_listing_policy {
	long window;             /* seconds: evidence older than this does not count (7d) */
	long threshold;          /* points at which a source is listed (30) */
	long reporter_points;    /* per distinct reporter at trust 1.0 (10) */
	long trap_points;        /* per spam-trap hit (15) */
	long trap_max_hits;      /* trap hits counted at most (4) */
	long confirm_points;     /* per analyst confirmation (30) */
	long relay_points;       /* an open-relay finding (30) */
	long min_reporters;      /* distinct reporters needed when reports are the only evidence (2) */
	long expiry;             /* first listing lasts this long (2d) */
	long expiry_max;         /* doubling stops here (90d) */
	long repeat_memory;      /* earlier listings younger than this make a repeat offender (180d) */
	long range_min;          /* listed addresses needed inside a CIDR before it is listed (8); 0 = never */
	long range_prefix_min;   /* shortest IPv4 prefix considered for a range (24) */
	long collateral_max;     /* addresses without evidence a range may cover at most (16) */
	long collateral_percent; /* ... and at most this percent of its addresses with evidence (50) */
	long delist_period;      /* one self-service delisting per source per this period (30d) */
};

/* rp_listing_policy_defaults - defaults a new operator can live with (docs/listing-policy.md). */
void rp_listing_policy_defaults(struct rp_listing_policy *p);
/* rp_listing_policy_check - RP_EINVAL with diag naming the field when a value makes no sense. */
int rp_listing_policy_check(const struct rp_listing_policy *p, struct rp_diag *diag);

/* The evidence against one source, counted since rp_listing_since (the caller counts). */
struct rp_listing_evidence {
	long reporters;          /* distinct reporters */
	double reporter_weight;  /* sum of their trust (0.05..1 each) */
	long trap_hits;          /* reports that arrived at configured trap addresses */
	long confirmations;      /* analyst confirmations (case confirmed) */
	bool open_relay;         /* an open-relay/proxy finding */
	int64_t last_evidence;   /* newest evidence time, 0 when none */
};

/* What to do with a source. */
enum rp_list_action {
	RP_ACT_NONE = 0, /* below the threshold: not listed (or leave as it is) */
	RP_ACT_LIST,     /* list (or extend the listing) until expires */
	RP_ACT_CASE,     /* would be listed, but whitelisted: open a case for an analyst instead */
};

struct rp_listing_decision {
	enum rp_list_action action;
	enum rp_list_reason reason;
	double score;             /* points */
	int64_t expires;          /* Unix seconds, with RP_ACT_LIST */
	char summary[160];        /* evidence summary, e.g. "5 reporters (weight 4.20), 2 trap hits" */
};

/* rp_listing_since - start of the evidence that counts: the window, but nothing from before
 * the source's last delisting (last_end; 0 = never listed), so a delisted source is listed
 * again only on new evidence. */
int64_t rp_listing_since(const struct rp_listing_policy *p, int64_t now, int64_t last_end);
/* rp_listing_score - the points of the evidence. */
double rp_listing_score(const struct rp_listing_policy *p, const struct rp_listing_evidence *ev);
/* rp_listing_expiry - expiry of a listing made now, for a source listed prior times within
 * repeat_memory: expiry * 2^prior, at most expiry_max. */
int64_t rp_listing_expiry(const struct rp_listing_policy *p, long prior, int64_t now);
/* rp_listing_decide - score the evidence; list (reason, expiry, summary) when over the
 * threshold, a case instead when whitelisted. prior: earlier listings (see rp_listing_expiry). */
void rp_listing_decide(const struct rp_listing_policy *p, const struct rp_listing_evidence *ev, bool whitelisted,
		       long prior, int64_t now, struct rp_listing_decision *out);

/* rp_list_reason_name - "reports", "trap", "relay", "manual", "range" ("none"). */
const char *rp_list_reason_name(enum rp_list_reason r);
/* rp_list_reason_parse - the inverse; RP_EINVAL when unknown. */
int rp_list_reason_parse(const char *name, enum rp_list_reason *out);
/* rp_list_reason_code - the A record as a host-order 32-bit number (0x7f000002 ...). */
uint32_t rp_list_reason_code(enum rp_list_reason r);

/* The provider whitelist (the certified provider registry): networks and domains that are
 * never listed automatically. */
struct rp_whitelist {
	struct rp_cidrset nets;
	char **domains; /* lower case, no trailing dot */
	size_t n_domains, cap_domains;
};

void rp_whitelist_init(struct rp_whitelist *w);
void rp_whitelist_fini(struct rp_whitelist *w);
/* rp_whitelist_add_network - a CIDR ("192.0.2.0/24", an address); RP_EINVAL when bad. */
int rp_whitelist_add_network(struct rp_whitelist *w, const char *cidr);
/* rp_whitelist_add_domain - a domain; its subdomains match too. RP_EINVAL when empty. */
int rp_whitelist_add_domain(struct rp_whitelist *w, const char *domain);
/* rp_whitelist_match_addr - the address is inside a whitelisted network. */
bool rp_whitelist_match_addr(const struct rp_whitelist *w, const struct rp_addr *a);
/* rp_whitelist_match_domain - the domain is a whitelisted domain or below one (case-insensitive). */
bool rp_whitelist_match_domain(const struct rp_whitelist *w, const char *domain);
/* rp_whitelist_overlaps - the CIDR and some whitelisted network share an address. */
bool rp_whitelist_overlaps(const struct rp_whitelist *w, const struct rp_cidr *c);
/* rp_whitelist_match_source - a source value (address, "2001:db8::/64", domain; phone
 * numbers never match) is whitelisted. */
bool rp_whitelist_match_source(const struct rp_whitelist *w, const char *value);

/* One IPv4 address with evidence, as input to rp_listing_ranges. */
struct rp_range_addr {
	struct rp_addr addr; /* family 4 */
	bool listed;         /* listed by its own evidence (not manual, not whitelisted) */
};

/* A range the policy lists. */
struct rp_range_listing {
	struct rp_cidr cidr;
	long listed;     /* addresses inside listed by evidence */
	long evidence;   /* addresses inside with any evidence (listed or not) */
	long collateral; /* addresses covered without evidence: size - evidence */
};

/* rp_listing_ranges - the IPv4 ranges to list: for each aligned block from range_prefix_min
 * to /31, widest first, one that holds at least range_min listed addresses, whose
 * collateral is within collateral_max and collateral_percent of the listed addresses, and
 * that overlaps no whitelisted network (w may be NULL); a block inside a chosen one is not
 * chosen again. addrs is sorted in place. At most max into out; returns how many. */
size_t rp_listing_ranges(const struct rp_listing_policy *p, const struct rp_whitelist *w, struct rp_range_addr *addrs,
			 size_t n, struct rp_range_listing *out, size_t max);

/* A self-service delisting request for a listed source. */
struct rp_delist_input {
	enum rp_list_reason reason; /* of the listing */
	int64_t listed_at;
	int64_t last_evidence;      /* newest evidence against the source (any time) */
	int64_t last_self_delist;   /* the source's previous self-service delisting, 0 = never */
	int64_t now;
};

enum rp_delist_outcome {
	RP_DELIST_NOW = 0,       /* remove at once */
	RP_DELIST_CASE_EVIDENCE, /* new evidence since listing: an analyst decides */
	RP_DELIST_CASE_PERIOD,   /* self-service used within delist_period: an analyst decides */
	RP_DELIST_CASE_REASON,   /* manual or open-relay listings are removed by an analyst */
};

/* rp_listing_delist - decide a self-service delisting request. */
enum rp_delist_outcome rp_listing_delist(const struct rp_listing_policy *p, const struct rp_delist_input *in);
/* rp_delist_outcome_name - "delisted", "case:new-evidence", "case:too-soon", "case:reason". */
const char *rp_delist_outcome_name(enum rp_delist_outcome o);

/* ---- Storage of listings, the provider registry and delisting requests ----
 * Kept in the centre's database (tables in docs/schema.md, version 2) behind the storage
 * module; the rp_store_listing_* functions dispatch through struct rp_store_listing_ops of
 * the back end (store_sqlite_listing.c). Every change appends an audit record in the same
 * savepoint. Source kinds are the store's ("ip4", "ip6-64", "domain", "phone") plus
 * "range4" for CIDR range listings. */
struct rp_store;
struct rp_whitelist;

/* One listing, active (ended_at 0) or past. */
struct rp_listing {
	int64_t id;
	char kind[16];
	char value[128];
	enum rp_list_reason reason;
	double score;
	char summary[160];
	char actor[64];
	int64_t listed_at;
	int64_t expires_at;   /* 0 = until delisted (manual listings) */
	long evidence;        /* ranges: addresses inside with evidence */
	long collateral;      /* ranges: addresses covered without evidence */
	int64_t ended_at;     /* 0 while active */
};

/* rp_listing_each_fn - one active listing; return false to stop. */
typedef bool (*rp_listing_each_fn)(void *ctx, const struct rp_listing *l);

struct rp_store_listing_ops {
	int (*put)(void *impl, const struct rp_listing *l, int64_t now, int64_t *id, struct rp_diag *diag);
	int (*end)(void *impl, const char *kind, const char *value, const char *how, const char *actor,
		   const char *reason, int64_t now, struct rp_diag *diag);
	int (*expire)(void *impl, int64_t now, long *n, struct rp_diag *diag);
	int (*get)(void *impl, const char *kind, const char *value, struct rp_listing *out);
	int (*each)(void *impl, rp_listing_each_fn fn, void *ctx);
	int (*history)(void *impl, const char *kind, const char *value, int64_t since, long *prior, int64_t *last_end);
	int (*event_add)(void *impl, const char *kind, const char *value, const char *type, int64_t at,
			 const char *actor, const char *note, struct rp_diag *diag);
	int (*evidence)(void *impl, const char *kind, const char *value, int64_t since,
			struct rp_listing_evidence *out);
	int (*provider_add)(void *impl, const char *name, const char *contact, const char *actor, const char *reason,
			    int64_t now, struct rp_diag *diag);
	int (*provider_entry)(void *impl, const char *provider, const char *kind, const char *value, bool add,
			      const char *actor, const char *reason, int64_t now, struct rp_diag *diag);
	int (*whitelist_load)(void *impl, struct rp_whitelist *w);
	int (*delist_add)(void *impl, const char *kind, const char *value, const char *contact, const char *reason,
			  const char *outcome, int64_t now, int64_t *id, struct rp_diag *diag);
	int (*last_self_delist)(void *impl, const char *kind, const char *value, int64_t *at);
	int (*delist_published)(void *impl, int64_t now, long *n, struct rp_diag *diag);
	int (*changed_sources)(void *impl, int64_t *cursor, void (*fn)(void *ctx, const char *kind, const char *value),
			       void *ctx);
	int (*audit_head)(void *impl, int64_t *id);
	int (*stats_json)(void *impl, int64_t since, const struct rp_whitelist *w, json_t **out);
};

/* rp_store_listing_put - list a source, or update its active listing (reason, score,
 * summary; the expiry never shortens). Audited as listing.add / listing.update with the
 * actor and summary. RP_EINVAL without kind, value, actor or summary. */
int rp_store_listing_put(struct rp_store *st, const struct rp_listing *l, int64_t now, int64_t *id,
			 struct rp_diag *diag);
/* rp_store_listing_end - end the active listing: how is "expired", "delisted" (analyst or
 * CLI) or "self-service"; reason required. RP_ENOTFOUND when the source is not listed. */
int rp_store_listing_end(struct rp_store *st, const char *kind, const char *value, const char *how,
			 const char *actor, const char *reason, int64_t now, struct rp_diag *diag);
/* rp_store_listing_expire - end every listing whose expiry has passed; *n says how many. */
int rp_store_listing_expire(struct rp_store *st, int64_t now, long *n, struct rp_diag *diag);
/* rp_store_listing_get - the active listing of a source, or RP_ENOTFOUND. */
int rp_store_listing_get(struct rp_store *st, const char *kind, const char *value, struct rp_listing *out);
/* rp_store_listing_each - call fn for every active listing (kind, value order). */
int rp_store_listing_each(struct rp_store *st, rp_listing_each_fn fn, void *ctx);
/* rp_store_listing_history - listings of the source that started at or after since (*prior)
 * and the end of the newest ended one (*last_end, 0 = none). */
int rp_store_listing_history(struct rp_store *st, const char *kind, const char *value, int64_t since, long *prior,
			     int64_t *last_end);
/* rp_store_source_event - record evidence that is not a report: type "trap" (a report that
 * reached a spam trap), "relay" (an open-relay finding), "confirm" (an analyst confirmation). */
int rp_store_source_event(struct rp_store *st, const char *kind, const char *value, const char *type, int64_t at,
			  const char *actor, const char *note, struct rp_diag *diag);
/* rp_store_listing_evidence - the evidence against a source since a time: distinct
 * reporters of its reports and the sum of their trust, events by type, the newest time. */
int rp_store_listing_evidence(struct rp_store *st, const char *kind, const char *value, int64_t since,
			      struct rp_listing_evidence *out);
/* rp_store_provider_add - a certified provider (name unique, contact required); audited. */
int rp_store_provider_add(struct rp_store *st, const char *name, const char *contact, const char *actor,
			  const char *reason, int64_t now, struct rp_diag *diag);
/* rp_store_provider_entry - add (or remove) a provider's network ("net", CIDR) or domain
 * ("domain"); audited. RP_ENOTFOUND for an unknown provider, RP_EEXIST when already whitelisted. */
int rp_store_provider_entry(struct rp_store *st, const char *provider, const char *kind, const char *value, bool add,
			    const char *actor, const char *reason, int64_t now, struct rp_diag *diag);
/* rp_store_whitelist_load - add every current provider network and domain to w. */
int rp_store_whitelist_load(struct rp_store *st, struct rp_whitelist *w);
/* rp_store_delist_add - record a delisting request and its outcome (rp_delist_outcome_name). */
int rp_store_delist_add(struct rp_store *st, const char *kind, const char *value, const char *contact,
			const char *reason, const char *outcome, int64_t now, int64_t *id, struct rp_diag *diag);
/* rp_store_last_self_delist - time of the source's last self-service delisting (0 = never). */
int rp_store_last_self_delist(struct rp_store *st, const char *kind, const char *value, int64_t *at);
/* rp_store_changed_sources - call fn for each distinct source of the reports stored after
 * *cursor (a report row number; 0 = all), then move *cursor past them. */
int rp_store_changed_sources(struct rp_store *st, int64_t *cursor,
			     void (*fn)(void *ctx, const char *kind, const char *value), void *ctx);
/* rp_store_audit_head - the newest audit record's id (0 when none): any change to listings
 * or providers, by reputed or the CLI, moves it. */
int rp_store_audit_head(struct rp_store *st, int64_t *id);
/* rp_store_listing_stats_json - fairness figures since a time: listings by reason, ranges
 * and collateral, delisting requests with turnaround (median, p95), re-listings, whitelisted
 * sources (by w) with open cases. Caller json_decref's *out. */
int rp_store_listing_stats_json(struct rp_store *st, int64_t since, const struct rp_whitelist *w, json_t **out);
/* rp_store_delist_published - stamp now as the publication time of delisted requests not
 * yet published (call after a snapshot without them is in place); *n how many. */
int rp_store_delist_published(struct rp_store *st, int64_t now, long *n, struct rp_diag *diag);

/* ---- Publication (listing_export.c) ----
 * The active listings and the provider whitelist become, for each zone, an rbldnsd dataset
 * text, a repute-dns snapshot (zone builder API, written atomically) and a BIND master file:
 *   DIR/ZONE.snap                       the snapshot repute-dns serves (--snapshot)
 *   DIR/rbldnsd/ZONE.ip4set, .ip6trie, .dnset   rbldnsd datasets (ZONE:ip4set:FILE ...)
 *   DIR/bind/ZONE.zone                  a BIND master file with $ORIGIN, SOA, NS
 * Zones: ip (IPv4 addresses and ranges: ip4set; IPv6 /64s: ip6trie), domain (dnset, the
 * domain and its subdomains), phone (dnset of the E.164 digits reversed, ENUM style:
 * +8613800138000 is 0.0.0.8.3.1.0.0.8.3.1.6.8.ZONE), white (provider networks and domains,
 * answering 127.0.10.1). A zone whose name is NULL or empty is not published. */
struct buf;

struct rp_publish_config {
	const char *dir;
	const char *zone_ip, *zone_domain, *zone_phone, *zone_white;
	const char *ns;      /* name server for SOA and NS (NULL: "ns." + zone) */
	const char *txt_url; /* the TXT ends with this URL followed by the listed value ($) */
	uint32_t ttl;        /* record TTL (0: 300) */
	uint32_t serial;     /* SOA serial of every zone */
};

enum rp_zone_part {
	RP_PART_IP4 = 0, RP_PART_IP6, RP_PART_DOMAIN, RP_PART_PHONE, RP_PART_WHITE4, RP_PART_WHITE6,
	RP_PART_WHITEDOM, RP_N_PARTS,
};

struct rp_publish_stats {
	long entries[RP_N_PARTS]; /* dataset lines per part */
	size_t snap_bytes;        /* all snapshots together */
	int zones;                /* zones written */
};

/* rp_listing_dataset - the rbldnsd dataset text of one part into out (appended). */
void rp_listing_dataset(enum rp_zone_part part, const struct rp_publish_config *cfg, const struct rp_listing *l,
			size_t n, const struct rp_whitelist *w, struct buf *out, long *entries);
/* rp_listing_publish - write every configured zone (snapshot, rbldnsd datasets, BIND file)
 * into cfg->dir, each file atomically. RP_EIO with diag naming the file. */
int rp_listing_publish(const struct rp_publish_config *cfg, const struct rp_listing *l, size_t n,
		       const struct rp_whitelist *w, struct rp_publish_stats *stats, struct rp_diag *diag);
/* ---- The engine (listing_engine.c): the policy applied to the store ---- */

/* rp_listing_evaluate - gather the source's evidence (since rp_listing_since), decide with
 * the policy and store the outcome: a new listing, or an update when the reason changes or
 * the expiry moves by an hour or more. Manual listings are left alone. *changed when the
 * zone content changed. */
int rp_listing_evaluate(struct rp_store *st, const struct rp_listing_policy *p, const struct rp_whitelist *w,
			const char *kind, const char *value, int64_t now, struct rp_listing_decision *d, bool *changed,
			struct rp_diag *diag);
/* rp_listing_ranges_sync - list the ranges rp_listing_ranges finds among the active IPv4
 * listings, and withdraw range listings that no longer qualify. */
int rp_listing_ranges_sync(struct rp_store *st, const struct rp_listing_policy *p, const struct rp_whitelist *w,
			   int64_t now, bool *changed, struct rp_diag *diag);
/* rp_listing_collect - every active listing into a heap array (*out, xfree) of *n. */
int rp_listing_collect(struct rp_store *st, struct rp_listing **out, size_t *n);

/* The answer to a delisting request. */
struct rp_delist_result {
	enum rp_delist_outcome outcome;
	char kind[16];
	char value[128];
	int64_t request_id;
};
/* rp_listing_request_delist - a public delisting request for text (an address, /64, domain
 * or number): RP_EINVAL when text is none of those, RP_ENOTFOUND when it is not listed;
 * otherwise the request is recorded and, when the policy allows, the listing ended at once. */
int rp_listing_request_delist(struct rp_store *st, const struct rp_listing_policy *p, const char *text,
			      const char *contact, const char *reason, int64_t now, struct rp_delist_result *res,
			      struct rp_diag *diag);
/* rp_listing_manual - an analyst lists (list true, reason code manual, until expires; 0 =
 * until delisted) or delists a source given as text; reason required, audited. */
int rp_listing_manual(struct rp_store *st, const char *text, bool list, const char *actor, const char *reason,
		      int64_t expires, int64_t now, char kind_out[16], char value_out[128], struct rp_diag *diag);

/* rp_phone_name - "+8613800138000" as reversed digit labels into out; false when not E.164. */
bool rp_phone_name(const char *e164, char *out, size_t cap);

#endif
