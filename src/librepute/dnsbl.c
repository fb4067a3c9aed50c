/* dnsbl.c - RFC 5782 DNSBL/DNSWL lookups with libunbound: rp_dnsbl_conf_* build the zone list,
 * rp_dnsbl_new makes one libunbound context (threads, not forks, for its async work),
 * rp_dnsbl_check fires A and TXT queries for every zone not in the cache and waits for them with
 * poll() on ub_fd() until the deadline; unanswered zones are cancelled and reported as timeouts
 * so a dead list server costs at most timeout_ms and never blocks the answer (fail open). */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <unbound.h>

#include "repute/alloc.h"
#include "repute/dnsbl.h"
#include "dnsbl_int.h"

#define DNS_TYPE_A 1
#define DNS_TYPE_TXT 16
#define DNS_CLASS_IN 1
#define DNS_RCODE_NXDOMAIN 3

struct rp_dnsbl {
	const struct rp_dnsbl_conf *conf;
	struct rp_dnsbl_cache *cache;
	struct ub_ctx *ctx;
};

/* One outstanding query: A or TXT for one zone of one check. */
struct dnsbl_query {
	struct rp_dnsbl_hit *hit;
	int type;
	int id;
	bool pending;
	bool answered; /* A only: a usable answer arrived */
	long ttl;
};

static const char *const dnsbl_status_names[] = { "clean", "listed", "error", "timeout" };

/* rp_dnsbl_status_name - text for a status. */
const char *rp_dnsbl_status_name(enum rp_dnsbl_status s)
{
	return (unsigned)s < 4 ? dnsbl_status_names[s] : "error";
}

/* rp_dnsbl_conf_init - an empty conf with the default timeout and TTLs. */
void rp_dnsbl_conf_init(struct rp_dnsbl_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->timeout_ms = 2000;
	c->max_ttl = 3600;
	c->neg_ttl = 300;
}

/* rp_dnsbl_conf_add - append one zone. */
int rp_dnsbl_conf_add(struct rp_dnsbl_conf *c, const char *zone, enum rp_dnsbl_kind kind,
		      const char *server, const char *delist_url)
{
	if (zone == NULL || *zone == '\0' || strlen(zone) > 200)
		return RP_EINVAL;
	if (c->n >= RP_DNSBL_MAX_ZONES)
		return RP_ETOOBIG;
	struct rp_dnsbl_zone *z = &c->zones[c->n++];
	z->zone = xstrdup(zone);
	z->kind = kind;
	z->server = server != NULL && *server != '\0' ? xstrdup(server) : NULL;
	z->delist_url = delist_url != NULL && *delist_url != '\0' ? xstrdup(delist_url) : NULL;
	return 0;
}

/* rp_dnsbl_conf_fini - free the zone strings and the forwarder. */
void rp_dnsbl_conf_fini(struct rp_dnsbl_conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		xfree(c->zones[i].zone);
		xfree(c->zones[i].server);
		xfree(c->zones[i].delist_url);
	}
	xfree(c->forward);
	c->n = 0;
	c->forward = NULL;
}

/* rp_dnsbl_query_name - reversed octets (IPv4) or nibbles (IPv6) followed by the zone. */
int rp_dnsbl_query_name(const struct rp_addr *ip, const char *zone, char *buf, size_t size)
{
	size_t off = 0;
	int n;

	if (ip->family == 4) {
		n = snprintf(buf, size, "%u.%u.%u.%u.%s", ip->b[3], ip->b[2], ip->b[1], ip->b[0], zone);
		return n < 0 || (size_t)n >= size ? RP_ETOOBIG : 0;
	}
	if (ip->family != 6)
		return RP_EINVAL;
	static const char hex[] = "0123456789abcdef";
	if (size < 64 + strlen(zone) + 1)
		return RP_ETOOBIG;
	for (int i = 15; i >= 0; i--) {
		buf[off++] = hex[ip->b[i] & 0xf];
		buf[off++] = '.';
		buf[off++] = hex[ip->b[i] >> 4];
		buf[off++] = '.';
	}
	snprintf(buf + off, size - off, "%s", zone);
	return 0;
}

/* rp_dnsbl_new - one libunbound context configured from conf. */
struct rp_dnsbl *rp_dnsbl_new(const struct rp_dnsbl_conf *conf, struct rp_dnsbl_cache *cache,
			      struct rp_diag *diag)
{
	struct rp_dnsbl *d = xcalloc(1, sizeof(*d));
	int err;

	d->conf = conf;
	d->cache = cache;
	d->ctx = ub_ctx_create();
	if (d->ctx == NULL) {
		rp_diag_set(diag, 0, 0, "libunbound: cannot create a context");
		return rp_dnsbl_free(d);
	}
	err = ub_ctx_async(d->ctx, 1);
	if (err == 0)
		err = ub_ctx_set_option(d->ctx, "do-not-query-localhost:", "no");
	for (size_t i = 0; err == 0 && i < conf->n; i++)
		if (conf->zones[i].server != NULL)
			err = ub_ctx_set_stub(d->ctx, conf->zones[i].zone, conf->zones[i].server, 0);
	if (err == 0 && conf->forward != NULL)
		err = ub_ctx_set_fwd(d->ctx, conf->forward);
	else if (err == 0 && conf->resolvconf)
		err = ub_ctx_resolvconf(d->ctx, NULL);
	if (err != 0) {
		rp_diag_set(diag, 0, 0, "libunbound: %s", ub_strerror(err));
		return rp_dnsbl_free(d);
	}
	return d;
}

/* rp_dnsbl_free - free the context; returns NULL. */
struct rp_dnsbl *rp_dnsbl_free(struct rp_dnsbl *d)
{
	if (d == NULL)
		return NULL;
	if (d->ctx != NULL)
		ub_ctx_delete(d->ctx);
	xfree(d);
	return NULL;
}

/* dnsbl_a_answer - read A records: the first listing code, or an error code of the list. */
static enum rp_dnsbl_status dnsbl_a_answer(const struct ub_result *r, uint8_t code[4])
{
	enum rp_dnsbl_status st = RP_DNSBL_CLEAN;

	for (int i = 0; r->data[i] != NULL; i++) {
		const uint8_t *a = (const uint8_t *)r->data[i];
		if (r->len[i] != 4 || a[0] != 127)
			continue;
		if (a[1] == 255 && a[2] == 255) {
			st = st == RP_DNSBL_LISTED ? st : RP_DNSBL_ERROR;
			continue;
		}
		if (a[1] == 0 && a[2] == 0 && a[3] == 1)
			continue;
		if (st != RP_DNSBL_LISTED)
			memcpy(code, a, 4);
		st = RP_DNSBL_LISTED;
	}
	return st;
}

/* dnsbl_txt_answer - the first TXT record's strings joined, control bytes made spaces. */
static void dnsbl_txt_answer(const struct ub_result *r, char *out, size_t size)
{
	size_t o = 0;

	if (r->data[0] == NULL)
		return;
	const uint8_t *p = (const uint8_t *)r->data[0];
	int len = r->len[0];
	for (int i = 0; i < len;) {
		int n = p[i++];
		for (int k = 0; k < n && i < len; k++, i++)
			if (o + 1 < size)
				out[o++] = (p[i] < 0x20 || p[i] == 0x7f) ? ' ' : (char)p[i];
	}
	out[o] = '\0';
}

/* dnsbl_callback - libunbound delivers one answer. */
static void dnsbl_callback(void *arg, int err, struct ub_result *r)
{
	struct dnsbl_query *q = arg;

	q->pending = false;
	if (err != 0 || r == NULL) {
		if (q->type == DNS_TYPE_A)
			q->hit->status = RP_DNSBL_ERROR;
	} else if (q->type == DNS_TYPE_A) {
		q->answered = true;
		if (r->rcode == DNS_RCODE_NXDOMAIN || !r->havedata)
			q->hit->status = r->rcode == 0 || r->rcode == DNS_RCODE_NXDOMAIN ? RP_DNSBL_CLEAN
											  : RP_DNSBL_ERROR;
		else
			q->hit->status = dnsbl_a_answer(r, q->hit->code);
		q->ttl = r->ttl;
	} else if (r->havedata) {
		dnsbl_txt_answer(r, q->hit->txt, sizeof(q->hit->txt));
	}
	if (r != NULL)
		ub_resolve_free(r);
}

/* dnsbl_ms_left - milliseconds until deadline (monotonic). */
static long dnsbl_ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* dnsbl_start - send one query; false when libunbound refused it. */
static bool dnsbl_start(struct rp_dnsbl *d, const char *qname, struct dnsbl_query *q)
{
	q->pending = ub_resolve_async(d->ctx, qname, q->type, DNS_CLASS_IN, q, dnsbl_callback,
				      &q->id) == 0;
	return q->pending;
}

/* dnsbl_wait - process answers until none is pending or the deadline passes. */
static void dnsbl_wait(struct rp_dnsbl *d, struct dnsbl_query *qs, size_t nq)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += d->conf->timeout_ms / 1000;
	deadline.tv_nsec += (d->conf->timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	for (;;) {
		size_t pending = 0;
		for (size_t i = 0; i < nq; i++)
			pending += qs[i].pending;
		long left = dnsbl_ms_left(&deadline);
		if (pending == 0 || left <= 0)
			break;
		struct pollfd pfd = { .fd = ub_fd(d->ctx), .events = POLLIN };
		if (poll(&pfd, 1, (int)left) > 0)
			ub_process(d->ctx);
	}
	for (size_t i = 0; i < nq; i++) {
		if (!qs[i].pending)
			continue;
		ub_cancel(d->ctx, qs[i].id);
		qs[i].pending = false;
		if (qs[i].type == DNS_TYPE_A)
			qs[i].hit->status = RP_DNSBL_TIMEOUT;
	}
}

/* dnsbl_tally - count the outcome of one zone. */
static void dnsbl_tally(struct rp_dnsbl_result *out, const struct rp_dnsbl_hit *h)
{
	if (h->status == RP_DNSBL_LISTED && h->zone->kind == RP_DNSBL_BLOCK)
		out->listed++;
	else if (h->status == RP_DNSBL_LISTED)
		out->allowed++;
	else if (h->status == RP_DNSBL_ERROR)
		out->errors++;
	else if (h->status == RP_DNSBL_TIMEOUT)
		out->timeouts++;
	out->cache_hits += h->cached;
}

/* rp_dnsbl_check - ask all zones about ip in parallel, within the timeout. */
int rp_dnsbl_check(struct rp_dnsbl *d, const struct rp_addr *ip, struct rp_dnsbl_result *out)
{
	struct dnsbl_query qs[2 * RP_DNSBL_MAX_ZONES];
	char qnames[RP_DNSBL_MAX_ZONES][300];
	size_t nq = 0;

	memset(out, 0, sizeof(*out));
	if (ip == NULL || (ip->family != 4 && ip->family != 6))
		return RP_EINVAL;
	memset(qs, 0, sizeof(qs));
	for (size_t i = 0; i < d->conf->n; i++) {
		struct rp_dnsbl_hit *h = &out->hits[out->n++];
		h->zone = &d->conf->zones[i];
		if (rp_dnsbl_query_name(ip, h->zone->zone, qnames[i], sizeof(qnames[i])) != 0) {
			h->status = RP_DNSBL_ERROR;
			continue;
		}
		if (d->cache != NULL && dnsbl_cache_get(d->cache, qnames[i], h)) {
			h->cached = true;
			continue;
		}
		qs[nq] = (struct dnsbl_query){ .hit = h, .type = DNS_TYPE_A };
		if (!dnsbl_start(d, qnames[i], &qs[nq])) {
			h->status = RP_DNSBL_ERROR;
			continue;
		}
		nq++;
		qs[nq] = (struct dnsbl_query){ .hit = h, .type = DNS_TYPE_TXT };
		nq += dnsbl_start(d, qnames[i], &qs[nq]);
	}
	dnsbl_wait(d, qs, nq);
	for (size_t i = 0; i < nq; i++) {
		struct dnsbl_query *q = &qs[i];
		if (q->type != DNS_TYPE_A || !q->answered || d->cache == NULL)
			continue;
		if (q->hit->status == RP_DNSBL_CLEAN)
			dnsbl_cache_put(d->cache, qnames[q->hit - out->hits], q->hit, d->conf->neg_ttl);
		else if (q->hit->status == RP_DNSBL_LISTED)
			dnsbl_cache_put(d->cache, qnames[q->hit - out->hits], q->hit,
					q->ttl < d->conf->max_ttl ? q->ttl : d->conf->max_ttl);
	}
	for (size_t i = 0; i < out->n; i++)
		dnsbl_tally(out, &out->hits[i]);
	return 0;
}
