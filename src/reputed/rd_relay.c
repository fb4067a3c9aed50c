/* rd_relay.c - reputed's open-relay scanner thread and its endpoints (issue 9, section 1).
 *
 * When relay.enable is set, one thread with its own database connection picks the origin
 * IPv4 addresses of reports stored since reputed started (the same kind of cursor over the reports
 * table the listing thread uses, so intake needs no hook) and the sources listed as open
 * relays (so they are re-scanned), queues them, and scans them one at a time with
 * rp_relay_scan (library code, src/librepute/relayscan*.c). Safety, checked again just
 * before each scan: never an address inside the opt-out file (relay.optout, re-read when it
 * changes), never a private/loopback/reserved one unless relay.allow_private, never one
 * scanned within relay.interval (unless an analyst asks), and at most relay.scans_per_hour
 * scans started in all.
 *
 * A finding is stored as evidence: open (some RCPT to the outside domain accepted) records a
 * "relay" source event, lets the listing policy decide and, when it lists for the relay,
 * keeps the listing (return code 127.0.0.4) until twice relay.interval from the scan, so
 * each re-scan that still finds it open extends it; closed ends an active relay listing
 * when our previous scan had found it open (an analyst's relay evidence stays).
 * Every scan, open, closed or failed, is one audit record (actor relay-scanner, object
 * "relay:ADDR"), which also carries the last-scan time across restarts. The findings since
 * start are kept in memory for GET /v1/relays.
 *
 * Endpoints (rd_http.c routes them; analysts only):
 *   GET  /v1/relays[?address=A]  counters and findings, newest first
 *   POST /v1/relays              {"value": ADDR}: scan now (the interval does not apply) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/log.h"
#include "repute/relayscan.h"

#include "rd.h"
#include "rd_http.h"

#define FINDINGS_MAX 256       /* findings kept for GET /v1/relays (one per address) */
#define RESCAN_CHECK 60        /* seconds between looks for relay listings due for a re-scan */
#define ACTOR "relay-scanner"

/* One address waiting to be scanned. */
struct target {
	char addr[RP_ADDR_STRLEN];
	bool forced; /* asked for by an analyst: relay.interval does not apply */
};

/* The outcome of one scan. */
struct finding {
	char addr[RP_ADDR_STRLEN];
	int64_t at;
	const char *verdict; /* "open", "closed", "error" */
	const char *action;  /* "listed", "delisted", "case", "none" */
	unsigned port;
	size_t relayed, refused, errors, connections, tests;
	char banner[128];
	char relayed_tests[256]; /* "smtp/plain smtp/percent-hack ..." */
	char note[160];          /* the error, when verdict is error */
	char *transcript;        /* of the first relayed test (heap, capped) */
};

struct rd_relay {
	struct rd *rd;
	struct rp_store *st; /* used by the thread only */
	pthread_t thr;
	pthread_mutex_t lock; /* queue, findings, counters, opt-out set */
	pthread_cond_t cond;
	bool stop, kick, started;
	struct target *queue;
	size_t nq, capq;
	struct finding found[FINDINGS_MAX];
	size_t nfound;
	struct rp_cidrset optout;
	struct timespec optout_mtim; /* of the file last read */
	off_t optout_size;
	bool optout_read;
	struct rp_relay_rate rate;
	int64_t cursor, next_rescan_check;
	long scans, open, closed, failed, skipped_optout, skipped_recent, skipped_scope, dropped;
};

/* now_s - Unix seconds. */
static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* mono_ns - CLOCK_MONOTONIC nanoseconds. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* optout_load - (re)read the opt-out file when it changed; false when unreadable (the set is
 * then left as it was; at start the caller makes that fatal). Called under r->lock. */
static bool optout_load(struct rd_relay *r)
{
	const char *path = r->rd->cfg.relay_optout;
	struct rp_cidrset fresh;
	struct stat sb;
	char line[256];
	unsigned long n = 0;
	FILE *f;

	if (path == NULL || path[0] == '\0')
		return true;
	if (stat(path, &sb) != 0) {
		log_warn("relay: opt-out file %s", path);
		return false;
	}
	if (r->optout_read && sb.st_mtim.tv_sec == r->optout_mtim.tv_sec && sb.st_mtim.tv_nsec == r->optout_mtim.tv_nsec &&
	    sb.st_size == r->optout_size)
		return true;
	if ((f = fopen(path, "r")) == NULL) {
		log_warn("relay: opt-out file %s", path);
		return false;
	}
	rp_cidrset_init(&fresh);
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		char *w = line + strspn(line, " \t\r\n");
		w[strcspn(w, " \t\r\n")] = '\0';
		if (w[0] != '\0' && rp_cidrset_add_text(&fresh, w) != RP_OK)
			log_warnx("relay: %s:%lu: \"%s\" is not a network; skipped", path, n, w);
	}
	fclose(f);
	rp_cidrset_fini(&r->optout);
	r->optout = fresh;
	r->optout_mtim = sb.st_mtim;
	r->optout_size = sb.st_size;
	r->optout_read = true;
	log_info("relay: opt-out file %s: %zu networks", path, r->optout.n);
	return true;
}

/* finding_of - the finding kept for addr, or NULL (under r->lock). */
static struct finding *finding_of(struct rd_relay *r, const char *addr)
{
	for (size_t i = 0; i < r->nfound; i++)
		if (strcmp(r->found[i].addr, addr) == 0)
			return &r->found[i];
	return NULL;
}

/* last_scan - when addr was last scanned: from memory, else from the audit log (0 = never).
 * Thread only (uses r->st); takes r->lock for the memory part. */
static int64_t last_scan(struct rd_relay *r, const char *addr)
{
	char obj[RP_ADDR_STRLEN + 8];
	json_t *j = NULL;
	int64_t at = 0;

	pthread_mutex_lock(&r->lock);
	struct finding *f = finding_of(r, addr);
	if (f != NULL)
		at = f->at;
	pthread_mutex_unlock(&r->lock);
	if (at != 0)
		return at;
	snprintf(obj, sizeof(obj), "relay:%s", addr);
	if (rp_store_audit_json(r->st, obj, 1, &j) == RP_OK && json_array_size(j) > 0)
		at = json_integer_value(json_object_get(json_array_get(j, 0), "at"));
	json_decref(j);
	return at;
}

/* enqueue - add a target unless already queued or the queue is full (under r->lock). */
static bool enqueue(struct rd_relay *r, const char *addr, bool forced)
{
	for (size_t i = 0; i < r->nq; i++)
		if (strcmp(r->queue[i].addr, addr) == 0) {
			r->queue[i].forced |= forced;
			return true;
		}
	if (r->nq >= (size_t)r->rd->cfg.relay_queue_max) {
		r->dropped++;
		return false;
	}
	if (r->nq == r->capq) {
		r->capq = r->capq ? r->capq * 2 : 64;
		r->queue = xreallocarray(r->queue, r->capq, sizeof(*r->queue));
	}
	snprintf(r->queue[r->nq].addr, sizeof(r->queue[r->nq].addr), "%s", addr);
	r->queue[r->nq++].forced = forced;
	return true;
}

/* Collection state for the changed-sources callback. */
struct collect {
	struct rd_relay *r;
	bool skip; /* the first pass only moves the cursor past old reports */
};

/* on_source - queue the IPv4 origin of a new report (other kinds are not scanned). */
static void on_source(void *ctx, const char *kind, const char *value)
{
	struct collect *c = ctx;
	int64_t at;

	if (c->skip || strcmp(kind, "ip4") != 0)
		return;
	at = last_scan(c->r, value);
	pthread_mutex_lock(&c->r->lock);
	if (at != 0 && now_s() - at < c->r->rd->cfg.relay_interval)
		c->r->skipped_recent++;
	else
		enqueue(c->r, value, false);
	pthread_mutex_unlock(&c->r->lock);
}

/* on_listing - queue an IPv4 source listed as an open relay when its re-scan is due. */
static bool on_listing(void *ctx, const struct rp_listing *l)
{
	struct collect *c = ctx;

	if (l->reason != RP_LIST_RELAY || strcmp(l->kind, "ip4") != 0)
		return true;
	int64_t at = last_scan(c->r, l->value);
	if (at != 0 && now_s() - at >= c->r->rd->cfg.relay_interval) { /* only relays we found */
		pthread_mutex_lock(&c->r->lock);
		enqueue(c->r, l->value, false);
		pthread_mutex_unlock(&c->r->lock);
	}
	return true;
}

/* collect - queue new report origins and due re-scans (thread, without r->lock). */
static void collect(struct rd_relay *r, bool skip)
{
	struct collect c = { .r = r, .skip = skip };

	if (rp_store_changed_sources(r->st, &r->cursor, on_source, &c) != RP_OK)
		log_warnx("relay: cannot read new reports");
	if (now_s() >= r->next_rescan_check) {
		r->next_rescan_check = now_s() + RESCAN_CHECK;
		if (rp_store_listing_each(r->st, on_listing, &c) != RP_OK)
			log_warnx("relay: cannot read the listings");
	}
}

/* source_of - the store's kind and value for a scanned address; false when it has none. */
static bool source_of(const char *addr, const struct rp_addr *a, char kind[16], char value[128])
{
	enum rp_source_kind k;

	if (rp_source_classify(addr, &k, value, 128) == RP_OK) {
		snprintf(kind, 16, "%s", rp_source_kind_name(k));
		return true;
	}
	if (a->family != 4)
		return false;
	snprintf(kind, 16, "ip4"); /* a private address scanned with allow_private */
	snprintf(value, 128, "%s", addr);
	return true;
}

/* list_open - evidence, the policy's decision and, for a relay listing, its expiry. */
static const char *list_open(struct rd_relay *r, const char *kind, const char *value, const struct finding *f,
			     int64_t now)
{
	struct rp_listing_decision d;
	struct rp_diag diag = { 0 };
	struct rp_whitelist w;
	char note[256];
	bool changed = false;
	int rc;

	snprintf(note, sizeof(note), "open relay on port %u: %zu of %zu tests relayed (%s)", f->port, f->relayed,
		 f->tests, f->relayed_tests);
	rp_whitelist_init(&w);
	rc = rp_store_source_event(r->st, kind, value, "relay", now, ACTOR, note, &diag);
	if (rc == RP_OK && (rc = rp_store_whitelist_load(r->st, &w)) == RP_OK)
		rc = rp_listing_evaluate(r->st, &r->rd->cfg.listing, &w, kind, value, now, &d, &changed, &diag);
	rp_whitelist_fini(&w);
	if (rc != RP_OK) {
		log_warnx("relay: %s=%s storing the finding: %s", kind, value, diag.reason);
		return "none";
	}
	if (d.action == RP_ACT_CASE)
		return "case";
	if (d.action != RP_ACT_LIST || d.reason != RP_LIST_RELAY)
		return "none";
	struct rp_listing l = { .reason = RP_LIST_RELAY, .score = d.score, .expires_at = now + 2 * r->rd->cfg.relay_interval };
	snprintf(l.kind, sizeof(l.kind), "%s", kind);
	snprintf(l.value, sizeof(l.value), "%s", value);
	snprintf(l.actor, sizeof(l.actor), ACTOR);
	snprintf(l.summary, sizeof(l.summary), "%s", d.summary);
	if (rp_store_listing_put(r->st, &l, now, NULL, &diag) != RP_OK)
		log_warnx("relay: %s=%s extending the listing: %s", kind, value, diag.reason);
	return "listed";
}

/* last_was_open - our previous scan of addr (the newest audit record) found it open. */
static bool last_was_open(struct rd_relay *r, const char *addr)
{
	char obj[RP_ADDR_STRLEN + 8];
	json_t *j = NULL;
	bool open = false;

	snprintf(obj, sizeof(obj), "relay:%s", addr);
	if (rp_store_audit_json(r->st, obj, 1, &j) == RP_OK && json_array_size(j) > 0) {
		const char *why = json_string_value(json_object_get(json_array_get(j, 0), "reason"));
		open = why != NULL && strncmp(why, "verdict=open ", 13) == 0;
	}
	json_decref(j);
	return open;
}

/* end_closed - a closed relay's relay listing ends when our previous scan had found it open
 * (a relay listing from an analyst's evidence, e.g. an open proxy, is left to the analyst). */
static const char *end_closed(struct rd_relay *r, const char *addr, const char *kind, const char *value, int64_t now)
{
	struct rp_diag diag = { 0 };
	struct rp_listing l;

	if (rp_store_listing_get(r->st, kind, value, &l) != RP_OK || l.reason != RP_LIST_RELAY)
		return "none";
	if (!last_was_open(r, addr)) {
		log_info("relay: ip=%s closed, but its relay listing is not ours: left to an analyst", addr);
		return "none";
	}
	if (rp_store_listing_end(r->st, kind, value, "delisted", ACTOR, "a re-scan found the relay closed", now, &diag) !=
	    RP_OK) {
		log_warnx("relay: %s=%s ending the listing: %s", kind, value, diag.reason);
		return "none";
	}
	return "delisted";
}

/* store_finding - evidence, listing and audit record of one scan (thread). */
static void store_finding(struct rd_relay *r, struct finding *f, const struct rp_addr *a)
{
	struct rp_diag diag = { 0 };
	char kind[16], value[128], obj[RP_ADDR_STRLEN + 8], why[512];

	f->action = "none";
	if (strcmp(f->verdict, "error") != 0 && source_of(f->addr, a, kind, value))
		f->action = strcmp(f->verdict, "open") == 0 ? list_open(r, kind, value, f, f->at)
							    : end_closed(r, f->addr, kind, value, f->at);
	snprintf(obj, sizeof(obj), "relay:%s", f->addr);
	snprintf(why, sizeof(why), "verdict=%s port=%u relayed=%zu refused=%zu errors=%zu connections=%zu action=%s%s%s",
		 f->verdict, f->port, f->relayed, f->refused, f->errors, f->connections, f->action,
		 f->note[0] ? " note=" : "", f->note);
	if (rp_store_audit_append(r->st, ACTOR, "relay.scan", obj, why, &diag) != RP_OK)
		log_warnx("relay: audit of %s: %s", f->addr, diag.reason);
	log_info("relay: ip=%s %s", f->addr, why);
	if (strcmp(f->action, "none") != 0)
		rd_listing_kick(r->rd);
}

/* summarise - the finding's counts, relayed tests and first relayed transcript. */
static void summarise(struct finding *f, const struct rp_relay_report *rep)
{
	size_t used = 0;

	f->relayed = rep->relayed;
	f->refused = rep->refused;
	f->errors = rep->errors;
	f->connections = rep->connections;
	f->tests = rep->n;
	snprintf(f->banner, sizeof(f->banner), "%s", rep->banner);
	for (size_t i = 0; i < rep->n; i++) {
		const struct rp_relay_test *t = &rep->tests[i];
		if (t->verdict != RP_RELAY_RELAYED)
			continue;
		int n = snprintf(f->relayed_tests + used, sizeof(f->relayed_tests) - used, "%s%s/%s", used ? " " : "",
				 t->phase, t->name);
		used = n < 0 || (size_t)n >= sizeof(f->relayed_tests) - used ? sizeof(f->relayed_tests) - 1 : used + (size_t)n;
		if (f->transcript == NULL && t->transcript != NULL)
			f->transcript = xstrndup(t->transcript, 4096);
	}
}

/* scan_one - scan one target (thread, without r->lock) and keep the finding. */
static void scan_one(struct rd_relay *r, const char *addr, const struct rp_addr *a)
{
	const struct rd_config *cfg = &r->rd->cfg;
	struct rp_relay_report rep = { 0 };
	struct rp_diag diag = { 0 };
	struct finding f = { .at = now_s(), .port = (unsigned)cfg->relay_port };
	char lit[RP_ADDR_STRLEN + 8];
	struct rp_relay_config rc = {
		.addr = *a, .port = (unsigned)cfg->relay_port, .helo = cfg->relay_helo, .outside = cfg->relay_outside,
		.local = cfg->relay_local_domain, .starttls = cfg->relay_starttls, .allow_private = cfg->relay_allow_private,
		.rate = (double)cfg->relay_connect_rate, .timeout_ms = (int)(cfg->relay_timeout * 1000),
	};

	if (rc.local == NULL || rc.local[0] == '\0') {
		snprintf(lit, sizeof(lit), a->family == 4 ? "[%s]" : "[IPv6:%s]", addr);
		rc.local = lit;
	}
	if (cfg->relay_test_connect != NULL && cfg->relay_test_connect[0] != '\0') {
		rp_addr_parse(cfg->relay_test_connect, &rc.addr); /* checked at start */
		rc.allow_private = true;                          /* the operator's own address */
	}
	snprintf(f.addr, sizeof(f.addr), "%s", addr);
	int st = rp_relay_scan(&rc, &rep, &diag);
	summarise(&f, &rep);
	rp_relay_report_fini(&rep);
	f.verdict = st != RP_OK ? "error" : f.relayed > 0 ? "open" : "closed";
	if (st != RP_OK)
		snprintf(f.note, sizeof(f.note), "%s", diag.reason);
	store_finding(r, &f, a);
	pthread_mutex_lock(&r->lock);
	r->scans++;
	*(st != RP_OK ? &r->failed : f.relayed > 0 ? &r->open : &r->closed) += 1;
	struct finding *slot = finding_of(r, f.addr);
	if (slot == NULL && r->nfound < FINDINGS_MAX)
		slot = &r->found[r->nfound++];
	if (slot == NULL) { /* full: replace the oldest */
		slot = &r->found[0];
		for (size_t i = 1; i < r->nfound; i++)
			if (r->found[i].at < slot->at)
				slot = &r->found[i];
	}
	xfree(slot->transcript);
	*slot = f;
	pthread_mutex_unlock(&r->lock);
}

/* admissible - the opt-out, scope and interval checks before a scan (under r->lock; at is
 * the last scan time). Counts and logs what is skipped. */
static bool admissible(struct rd_relay *r, const struct target *t, const struct rp_addr *a, int64_t at)
{
	struct rp_diag diag = { 0 };

	optout_load(r);
	if (rp_cidrset_contains(&r->optout, a)) {
		r->skipped_optout++;
		log_info("relay: ip=%s skipped: opted out", t->addr);
		return false;
	}
	if (rp_relay_check_target(a, r->rd->cfg.relay_allow_private, &diag) != RP_OK) {
		r->skipped_scope++;
		log_info("relay: ip=%s skipped: %s", t->addr, diag.reason);
		return false;
	}
	if (!t->forced && at != 0 && now_s() - at < r->rd->cfg.relay_interval) {
		r->skipped_recent++;
		return false;
	}
	return true;
}

/* wait_until - sleep (under r->lock) until the monotonic deadline, stop or (when on_kick)
 * a kick; false on stop. */
static bool wait_until(struct rd_relay *r, uint64_t deadline, bool on_kick)
{
	while (!r->stop && !(on_kick && r->kick)) {
		uint64_t now = mono_ns();
		if (now >= deadline)
			return true;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t left = deadline - now;
		ts.tv_sec += (time_t)(left / 1000000000u);
		ts.tv_nsec += (long)(left % 1000000000u);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->cond, &r->lock, &ts);
	}
	return !r->stop;
}

/* next_target - pop the next admissible target into t and a (under r->lock); false when none. */
static bool next_target(struct rd_relay *r, struct target *t, struct rp_addr *a)
{
	while (r->nq > 0) {
		*t = r->queue[0];
		memmove(r->queue, r->queue + 1, (r->nq - 1) * sizeof(*r->queue));
		r->nq--;
		if (rp_addr_parse(t->addr, a) != RP_OK)
			continue;
		pthread_mutex_unlock(&r->lock);
		int64_t at = last_scan(r, t->addr);
		pthread_mutex_lock(&r->lock);
		if (admissible(r, t, a, at))
			return true;
	}
	return false;
}

/* relay_main - the thread: collect, then scan the queue at the global rate. */
static void *relay_main(void *arg)
{
	struct rd_relay *r = arg;
	struct target t;
	struct rp_addr a;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		pthread_mutex_unlock(&r->lock);
		collect(r, false);
		pthread_mutex_lock(&r->lock);
		if (next_target(r, &t, &a)) {
			uint64_t wait = rp_relay_rate_reserve(&r->rate, mono_ns());
			if (!wait_until(r, mono_ns() + wait, false))
				break;
			pthread_mutex_unlock(&r->lock);
			scan_one(r, t.addr, &a);
			pthread_mutex_lock(&r->lock);
			continue;
		}
		wait_until(r, mono_ns() + 1000000000u, true);
		r->kick = false;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* rd_relay_start - check the options, open the connection, start the thread (fatal on errors). */
void rd_relay_start(struct rd *rd)
{
	struct rd_relay *r = xcalloc(1, sizeof(*r));
	struct rp_store_config sc = { .path = rd->cfg.database, .busy_timeout_ms = rd->cfg.busy_timeout_ms };
	struct rp_diag diag = { 0 };
	struct rp_addr probe;
	const char *tc = rd->cfg.relay_test_connect;

	if (tc != NULL && tc[0] != '\0' && rp_addr_parse(tc, &probe) != RP_OK)
		log_fatalx("relay.test_connect: \"%s\" is not an address", tc);
	if (tc != NULL && tc[0] != '\0')
		log_warnx("relay: test_connect=%s: every scan connects there (for tests only)", tc);
	r->rd = rd;
	rp_cidrset_init(&r->optout);
	if (!optout_load(r))
		log_fatalx("relay.optout: cannot read %s", rd->cfg.relay_optout);
	rp_relay_rate_init(&r->rate, (double)rd->cfg.relay_scans_per_hour / 3600.0);
	if (rp_store_open(&sc, &r->st, &diag) != RP_OK)
		log_fatalx("relay: database: %s", diag.reason);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	collect(r, true); /* before the HTTP listener: reports from now on are scanned */
	if (pthread_create(&r->thr, NULL, relay_main, r) != 0)
		log_fatalx("relay: cannot start the thread");
	r->started = true;
	rd->relay = r;
	log_info("relay: scanner on: port %ld, one scan per address per %lds, %ld scans/hour, private %s", rd->cfg.relay_port,
		 rd->cfg.relay_interval, rd->cfg.relay_scans_per_hour, rd->cfg.relay_allow_private ? "allowed" : "refused");
}

/* rd_relay_stop - finish the scan under way, join, close. */
void rd_relay_stop(struct rd *rd)
{
	struct rd_relay *r = rd->relay;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (r->started)
		pthread_join(r->thr, NULL);
	r->st = rp_store_close(r->st);
	for (size_t i = 0; i < r->nfound; i++)
		xfree(r->found[i].transcript);
	xfree(r->queue);
	rp_cidrset_fini(&r->optout);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	rd->relay = xfree(r);
}

/* ---- endpoints ---- */

/* finding_json - one finding as JSON. */
static json_t *finding_json(const struct finding *f)
{
	json_t *j = json_pack("{s:s, s:I, s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "address", f->addr,
			      "scanned_at", (json_int_t)f->at, "port", (int)f->port, "verdict", f->verdict, "action",
			      f->action, "tests", (json_int_t)f->tests, "relayed", (json_int_t)f->relayed, "refused",
			      (json_int_t)f->refused, "errors", (json_int_t)f->errors, "connections",
			      (json_int_t)f->connections, "banner", f->banner, "relayed_tests", f->relayed_tests);
	if (f->note[0] != '\0')
		json_object_set_new(j, "note", json_string(f->note));
	if (f->transcript != NULL)
		json_object_set_new(j, "transcript", json_string(f->transcript));
	return j;
}

/* newest_first - qsort order of finding pointers. */
static int newest_first(const void *x, const void *y)
{
	const struct finding *a = *(const struct finding *const *)x, *b = *(const struct finding *const *)y;

	return a->at < b->at ? 1 : a->at > b->at ? -1 : strcmp(a->addr, b->addr);
}

/* rd_api_get_relays - GET /v1/relays[?address=A]: counters and findings since start. */
enum MHD_Result rd_api_get_relays(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	struct rd_relay *x = rd->relay;
	const char *only = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "address");
	const struct finding *v[FINDINGS_MAX];
	size_t n = 0;

	(void)r;
	if (x == NULL)
		return rd_reply_error(c, 503, "unavailable", 0, "the relay scanner is not enabled (relay.enable)");
	json_t *a = json_array();
	pthread_mutex_lock(&x->lock);
	for (size_t i = 0; i < x->nfound; i++)
		if (only == NULL || strcmp(only, x->found[i].addr) == 0)
			v[n++] = &x->found[i];
	qsort(v, n, sizeof(v[0]), newest_first);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, finding_json(v[i]));
	json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "scans", (json_int_t)x->scans, "open",
			      (json_int_t)x->open, "closed", (json_int_t)x->closed, "failed", (json_int_t)x->failed,
			      "skipped_optout", (json_int_t)x->skipped_optout, "skipped_recent",
			      (json_int_t)x->skipped_recent, "skipped_scope", (json_int_t)x->skipped_scope, "queued",
			      (json_int_t)x->nq, "dropped", (json_int_t)x->dropped, "findings", a);
	pthread_mutex_unlock(&x->lock);
	return rd_reply_json(c, 200, j, 0);
}

/* rd_api_post_relays - POST /v1/relays {"value": ADDR}: queue a scan now (opt-out and scope
 * still apply; relay.interval does not). */
enum MHD_Result rd_api_post_relays(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	struct rd_relay *x = rd->relay;
	struct rp_diag diag = { 0 };
	struct rp_addr a;
	char text[RP_ADDR_STRLEN];
	json_error_t err;

	if (x == NULL)
		return rd_reply_error(c, 503, "unavailable", 0, "the relay scanner is not enabled (relay.enable)");
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &err);
	const char *value = json_string_value(json_object_get(j, "value"));
	if (value == NULL || strlen(value) >= sizeof(text) || rp_addr_parse(value, &a) != RP_OK) {
		json_decref(j);
		return rd_reply_error(c, 400, "invalid_field", 0, "the body must be {\"value\": an IP address}");
	}
	json_decref(j);
	rp_addr_format(&a, text);
	if (rp_relay_check_target(&a, rd->cfg.relay_allow_private, &diag) != RP_OK)
		return rd_reply_error(c, 400, "invalid_field", 0, "%s: %s", text, diag.reason);
	pthread_mutex_lock(&x->lock);
	optout_load(x);
	bool opted = rp_cidrset_contains(&x->optout, &a);
	bool queued = !opted && enqueue(x, text, true);
	if (queued) {
		x->kick = true;
		pthread_cond_signal(&x->cond);
	}
	pthread_mutex_unlock(&x->lock);
	if (opted)
		return rd_reply_error(c, 409, "opted_out", 0, "%s is in the opt-out list and is never scanned", text);
	if (!queued)
		return rd_reply_error(c, 503, "queue_full", 0, "the scan queue is full");
	log_info("relay: ip=%s scan requested by %s", text, r->who.name);
	return rd_reply_json(c, 202, json_pack("{s:s, s:b}", "address", text, "queued", 1), 0);
}
