/* rdns_xfr.c - zone transfers out and NOTIFY, so standard secondaries (Knot, NSD, BIND) can
 * mirror the lists.
 *
 * AXFR (RFC 5936) over TCP: SOA, NS, every record of the zone (zone_iter: intervals as names and
 * label-aligned wildcards), SOA again, in messages of at most ~16 KB, generated one message at a
 * time as the connection drains, so a large zone never sits in memory twice. The zone set is
 * held by reference for the whole transfer, so a reload meanwhile neither waits nor frees it.
 * IXFR (RFC 1995): a client already at our serial gets the single SOA; a client at the serial
 * before the last reload (kept when secondaries are notified) gets the difference, computed by
 * merging the two versions' sorted record streams (zone_rr_cmp); any other client gets the whole
 * zone in AXFR form, which RFC 1995 section 4 allows. Transfers are allowed to [xfr] allow networks.
 * NOTIFY (RFC 1996) goes to [xfr] notify targets after start-up and every reload. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repute/alloc.h"
#include "repute/log.h"
#include "repute/netaddr.h"

#include "rdns.h"

#define XFR_MSG 16000

enum xfr_phase { XP_SOA, XP_NS, XP_RECORDS, XP_OLD_SOA, XP_DELETES, XP_MID_SOA, XP_ADDS, XP_LAST_SOA, XP_DONE };

struct rdns_xfr {
	struct rdns_zoneset *zs;
	const struct rdns_zone *rz;
	uint16_t id;
	uint8_t question[DNS_MAXNAME + 4];
	size_t qlen;
	enum xfr_phase phase;
	unsigned ns_i;
	struct zone_iter it;
	struct zone_rr rr;
	const struct zone *rr_zone; /* the version rr comes from */
	bool have_rr;           /* rr did not fit in the last message: write it first */
	bool soa_only;          /* IXFR from a client at our serial */
	unsigned long records;
	/* incremental IXFR: the client's version, kept from before the last reload */
	struct rdns_zoneset *old_zs;
	const struct rdns_zone *old_rz;
	struct zone_iter oi, ni;
	struct zone_rr orr, nrr;
	bool have_o, have_n, o_done, n_done;
};

/* peer_allowed - whether the peer address is in [xfr] allow. */
static bool peer_allowed(const struct rdns_server *s, const struct sockaddr_storage *peer)
{
	struct rp_addr a = { 0 };
	struct rp_cidrset set;
	bool ok;

	if (peer->ss_family == AF_INET) {
		a.family = 4;
		memcpy(a.b, &((const struct sockaddr_in *)peer)->sin_addr, 4);
	} else if (peer->ss_family == AF_INET6) {
		a.family = 6;
		memcpy(a.b, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
	} else
		return false;
	rp_cidrset_init(&set);
	for (size_t i = 0; i < s->cfg.xfr_allow.n; i++)
		rp_cidrset_add_text(&set, s->cfg.xfr_allow.items[i]);
	ok = rp_cidrset_contains(&set, &a);
	rp_cidrset_fini(&set);
	return ok;
}

/* client_serial - the serial in an IXFR query's authority SOA; false if absent. */
static bool client_serial(const uint8_t *pkt, size_t len, const struct dns_query *q, uint32_t *serial)
{
	struct dns_reader r;
	uint8_t name[DNS_MAXNAME];
	size_t nl;
	uint16_t type, klass, rdlen;
	uint32_t ttl;

	if (q->hdr.nscount < 1)
		return false;
	dns_rd_init(&r, pkt, len);
	r.pos = q->question_end;
	for (unsigned i = 0; i < q->hdr.ancount; i++)
		if (dns_rd_name(&r, name, &nl) || dns_rd_skip(&r, 8) || dns_rd_u16(&r, &rdlen) || dns_rd_skip(&r, rdlen))
			return false;
	return dns_rd_name(&r, name, &nl) == 0 && dns_rd_u16(&r, &type) == 0 && dns_rd_u16(&r, &klass) == 0 &&
	       dns_rd_u32(&r, &ttl) == 0 && dns_rd_u16(&r, &rdlen) == 0 && type == DNS_T_SOA &&
	       dns_rd_name(&r, name, &nl) == 0 && dns_rd_name(&r, name, &nl) == 0 && dns_rd_u32(&r, serial) == 0;
}

/* find_old - the client's version of the zone among the sets kept for IXFR. */
static void find_old(struct rdns_server *s, struct rdns_xfr *x, uint32_t serial)
{
	struct rdns_zoneset *prev = atomic_load(&s->prev); /* the caller holds the TCP epoch */
	size_t plen;

	if (prev == NULL)
		return;
	const struct rdns_zone *orz = rdns_zoneset_find(prev, x->rz->apex, x->rz->apex_len, &plen);
	if (orz == NULL || plen != 0 || !orz->has_soa || zone_serial(orz->z) != serial)
		return;
	rdns_zoneset_ref(prev);
	x->old_zs = prev;
	x->old_rz = orz;
	x->phase = XP_SOA;
}

/* rdns_xfr_start - a transfer for an allowed AXFR/IXFR query at one of our apexes. */
struct rdns_xfr *rdns_xfr_start(struct rdns_server *s, const struct rdns_zoneset *zs, const uint8_t *pkt,
				size_t len, const struct sockaddr_storage *peer)
{
	struct dns_query q;
	size_t plen;

	if (zs == NULL || dns_query_parse(pkt, len, &q) != DNS_PARSE_OK ||
	    (q.qtype != DNS_T_AXFR && q.qtype != DNS_T_IXFR) || q.qclass != DNS_C_IN)
		return NULL;
	const struct rdns_zone *rz = rdns_zoneset_find(zs, q.qname, q.qname_len, &plen);
	char ip[RP_ADDR_STRLEN + 8] = "?";
	if (peer->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, ip, sizeof(ip));
	else if (peer->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, ip, sizeof(ip));
	if (rz == NULL || plen != 0 || !rz->has_soa || !peer_allowed(s, peer)) {
		log_warnx("action=xfr_refused peer=%s", ip);
		return NULL;
	}
	struct rdns_xfr *x = xcalloc(1, sizeof(*x));
	x->zs = (struct rdns_zoneset *)zs;
	rdns_zoneset_ref(x->zs);
	x->rz = rz;
	x->id = q.hdr.id;
	x->qlen = q.question_end - DNS_HDRLEN;
	memcpy(x->question, pkt + DNS_HDRLEN, x->qlen);
	zone_iter_init(&x->it, rz->z);
	uint32_t serial = 0;
	bool ixfr = q.qtype == DNS_T_IXFR && client_serial(pkt, len, &q, &serial);
	x->soa_only = ixfr && serial == zone_serial(rz->z);
	if (ixfr && !x->soa_only)
		find_old(s, x, serial);
	log_info("action=xfr_start peer=%s type=%s serial=%u%s", ip, q.qtype == DNS_T_AXFR ? "AXFR" : "IXFR",
		 zone_serial(rz->z), x->soa_only ? " up_to_date=yes" : x->old_rz ? " incremental=yes" :
		 ixfr ? " incremental=no(full zone)" : "");
	return x;
}

/* rdns_xfr_free - end a transfer, releasing its zone set. */
void rdns_xfr_free(struct rdns_xfr *x)
{
	if (x == NULL)
		return;
	log_info("action=xfr_done records=%lu", x->records);
	rdns_zoneset_unref(x->zs);
	rdns_zoneset_unref(x->old_zs);
	xfree(x);
}

/* head - owner (relative labels + pointer to the apex in the question), type, class, ttl, rdlen. */
static long head(struct dns_writer *w, const uint8_t *rel, size_t rlen, uint16_t type, uint32_t ttl)
{
	if (rlen && dns_wr_bytes(w, rel, rlen))
		return -1;
	if (dns_wr_u16(w, 0xc000 | DNS_HDRLEN) || dns_wr_u16(w, type) || dns_wr_u16(w, DNS_C_IN) ||
	    dns_wr_u32(w, ttl) || dns_wr_u16(w, 0))
		return -1;
	return (long)(w->len - 2);
}

/* put_soa - the apex SOA. */
static bool put_soa(struct dns_writer *w, const struct rdns_zone *rz)
{
	long off = head(w, NULL, 0, DNS_T_SOA, rz->soa_ttl);
	return off >= 0 && dns_wr_bytes(w, rz->soa_rdata, rz->soa_rdlen) == 0 && dns_wr_rr_end(w, off) == 0;
}

/* diff_next - the next record only in the old version (deletes) or only in the new one (adds),
 * merging the two sorted record streams; false when the pass is over. */
static bool diff_next(struct rdns_xfr *x, bool deletes)
{
	for (;;) {
		if (!x->have_o && !x->o_done)
			x->o_done = !(x->have_o = zone_iter_next(&x->oi, &x->orr));
		if (!x->have_n && !x->n_done)
			x->n_done = !(x->have_n = zone_iter_next(&x->ni, &x->nrr));
		if (!x->have_o && !x->have_n)
			return false;
		int c = !x->have_o ? 1 : !x->have_n ? -1 : zone_rr_cmp(&x->orr, &x->nrr);
		bool same = c == 0 && zone_rr_same(x->old_rz->z, &x->orr, x->rz->z, &x->nrr);
		bool old_only = c < 0 || (c == 0 && !same), new_only = c > 0 || (c == 0 && !same);
		if (c <= 0)
			x->have_o = false;
		if (c >= 0)
			x->have_n = false;
		if (deletes && old_only) {
			x->rr = x->orr, x->rr_zone = x->old_rz->z;
			return true;
		}
		if (!deletes && new_only) {
			x->rr = x->nrr, x->rr_zone = x->rz->z;
			return true;
		}
	}
}

/* diff_reset - restart both record streams for the next pass. */
static void diff_reset(struct rdns_xfr *x)
{
	zone_iter_init(&x->oi, x->old_rz->z);
	zone_iter_init(&x->ni, x->rz->z);
	x->have_o = x->have_n = x->o_done = x->n_done = false;
}

/* put_rr - one zone record (A or TXT). */
static bool put_rr(struct dns_writer *w, const struct zone *z, const struct zone_rr *rr)
{
	long off = head(w, rr->owner, rr->owner_len, rr->type, rr->ttl);
	if (off < 0)
		return false;
	if (rr->type == DNS_T_A)
		return dns_wr_bytes(w, rr->v->a, 4) == 0 && dns_wr_rr_end(w, off) == 0;
	char text[4096];
	size_t n = zone_txt_expand(z, rr->v, rr->subject, text, sizeof(text)), i = 0;
	do {
		size_t k = n - i > 255 ? 255 : n - i;
		if (dns_wr_u8(w, (uint8_t)k) || dns_wr_bytes(w, text + i, k))
			return false;
		i += k;
	} while (i < n);
	return dns_wr_rr_end(w, off) == 0;
}

/* put_next - the next record of the transfer; false when it did not fit (state unchanged). */
static bool put_next(struct rdns_xfr *x, struct dns_writer *w)
{
	size_t mark = w->len;
	bool ok = true;

	switch (x->phase) {
	case XP_SOA:
		if ((ok = put_soa(w, x->rz)))
			x->phase = x->soa_only ? XP_DONE : x->old_rz ? XP_OLD_SOA : XP_NS;
		if (ok && x->old_rz)
			diff_reset(x);
		break;
	case XP_NS: {
		if (x->ns_i >= zone_ns_count(x->rz->z)) {
			x->phase = XP_RECORDS;
			return put_next(x, w);
		}
		size_t len;
		uint32_t ttl;
		const uint8_t *ns = zone_get_ns(x->rz->z, x->ns_i, &len, &ttl);
		long off = head(w, NULL, 0, DNS_T_NS, ttl);
		if ((ok = off >= 0 && dns_wr_bytes(w, ns, len) == 0 && dns_wr_rr_end(w, off) == 0))
			x->ns_i++;
		break;
	}
	case XP_RECORDS:
		if (!x->have_rr && !zone_iter_next(&x->it, &x->rr)) {
			x->phase = XP_LAST_SOA;
			return put_next(x, w);
		}
		x->have_rr = true;
		if ((ok = put_rr(w, x->rz->z, &x->rr)))
			x->have_rr = false;
		break;
	case XP_OLD_SOA: /* RFC 1995: new SOA, old SOA, deletions, new SOA, additions, new SOA */
		if ((ok = put_soa(w, x->old_rz)))
			x->phase = XP_DELETES;
		break;
	case XP_DELETES:
	case XP_ADDS:
		if (!x->have_rr && !diff_next(x, x->phase == XP_DELETES)) {
			x->phase = x->phase == XP_DELETES ? XP_MID_SOA : XP_LAST_SOA;
			return put_next(x, w);
		}
		x->have_rr = true;
		if ((ok = put_rr(w, x->rr_zone, &x->rr)))
			x->have_rr = false;
		break;
	case XP_MID_SOA:
		if ((ok = put_soa(w, x->rz))) {
			x->phase = XP_ADDS;
			diff_reset(x);
		}
		break;
	case XP_LAST_SOA:
		if ((ok = put_soa(w, x->rz)))
			x->phase = XP_DONE;
		break;
	case XP_DONE:
		return false;
	}
	if (!ok) {
		w->len = mark;
		w->overflow = false;
		return false;
	}
	x->records++;
	return true;
}

/* rdns_xfr_next - one message of the transfer; 0 when finished. */
size_t rdns_xfr_next(struct rdns_xfr *x, uint8_t *out, size_t cap)
{
	struct dns_writer w;
	struct dns_header h = { .id = x->id, .flags = DNS_F_QR | DNS_F_AA, .qdcount = 1 };
	unsigned n = 0;

	if (x->phase == XP_DONE)
		return 0;
	dns_wr_init(&w, out, cap < XFR_MSG ? cap : XFR_MSG);
	dns_wr_header(&w, &h);
	dns_wr_bytes(&w, x->question, x->qlen);
	while (x->phase != XP_DONE && put_next(x, &w))
		n++;
	if (n == 0) {
		log_warnx("action=xfr_abort reason=\"record larger than a message\"");
		return 0;
	}
	dns_wr_set_count(&w, 1, (uint16_t)n);
	return w.len;
}

/* notify_one - send NOTIFY for one zone to one target, up to three tries; true on an answer. */
static bool notify_one(const struct rdns_zone *rz, const char *target)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t pkt[DNS_MAXNAME + 64], resp[512];
	struct dns_writer w;
	uint16_t id = (uint16_t)arc4random_uniform(65536);
	struct dns_header h = { .id = id, .flags = (uint16_t)(4 << 11 | DNS_F_AA), .qdcount = 1 };

	if (rdns_parse_hostport(target, 53, &ss, &sl) != RP_OK) {
		log_warnx("notify=%s action=skipped reason=\"not ADDR/PORT\"", target);
		return false;
	}
	dns_wr_init(&w, pkt, sizeof(pkt));
	dns_wr_header(&w, &h);
	dns_wr_bytes(&w, rz->apex, rz->apex_len);
	dns_wr_u16(&w, DNS_T_SOA);
	dns_wr_u16(&w, DNS_C_IN);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	for (int attempt = 0; attempt < 3; attempt++) {
		sendto(fd, pkt, w.len, 0, (struct sockaddr *)&ss, sl);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		while (poll(&p, 1, 1000) > 0) {
			ssize_t n = recv(fd, resp, sizeof(resp), 0);
			if (n >= DNS_HDRLEN && resp[0] == (id >> 8) && resp[1] == (id & 0xff) && (resp[2] & 0x80)) {
				close(fd);
				return true;
			}
		}
	}
	close(fd);
	return false;
}

/* rdns_notify_all - NOTIFY every target about every zone. */
void rdns_notify_all(struct rdns_server *s)
{
	if (s->cfg.notify.n == 0)
		return;
	/* only the main thread publishes and frees sets, and it is the one calling: no epoch needed */
	struct rdns_zoneset *held = atomic_load(&s->zones);
	rdns_zoneset_ref(held);
	for (unsigned i = 0; i < held->n; i++)
		for (size_t t = 0; t < s->cfg.notify.n; t++) {
			char name[1010];
			dns_name_to_text(held->zones[i].apex, held->zones[i].apex_len, name, sizeof(name));
			bool ok = notify_one(&held->zones[i], s->cfg.notify.items[t]);
			log_info("action=notify zone=%s serial=%u target=%s result=%s", name, zone_serial(held->zones[i].z),
				 s->cfg.notify.items[t], ok ? "acknowledged" : "no answer");
		}
	rdns_zoneset_unref(held);
}
