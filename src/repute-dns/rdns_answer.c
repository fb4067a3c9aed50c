/* rdns_answer.c - one DNS query in, one response out: RFC 5782 DNSBL answers (A 127.0.0.x and
 * TXT with '$' replaced by the subject), SOA and NS at the apex, NXDOMAIN/NODATA with the SOA
 * in the authority section, REFUSED outside our zones and for other classes, FORMERR, NOTIMP
 * and BADVERS, EDNS0 and truncation (TC) when a UDP answer does not fit.
 *
 * The question is copied from the query byte for byte (keeping 0x20 case), so every owner
 * name is a compression pointer into it: the qname at offset 12 and the apex at 12 + the
 * prefix length. No allocation, no locks: buffers belong to the calling thread. */
#include <string.h>

#include "repute/dns.h"
#include "repute/zone.h"

#include "rdns.h"

#define OPT_LEN 11

/* finish_error - a header-only (or question-echoing) error response. */
static size_t finish_error(const struct dns_query *q, const uint8_t *pkt, uint8_t *out, size_t cap,
			   unsigned rcode, bool echo_question, struct rdns_stats *st)
{
	struct dns_writer w;
	size_t qlen = echo_question && q->question_end > DNS_HDRLEN ? q->question_end - DNS_HDRLEN : 0;
	struct dns_header h = { .id = q->hdr.id, .qdcount = qlen ? 1 : 0,
				.flags = (uint16_t)(DNS_F_QR | (q->hdr.flags & (DNS_F_RD | 0x7800)) | (rcode & 0xf)) };
	bool opt = q->edns && rcode != DNS_R_FORMERR;

	dns_wr_init(&w, out, cap);
	h.arcount = opt ? 1 : 0;
	if (dns_wr_header(&w, &h) || (qlen && dns_wr_bytes(&w, pkt + DNS_HDRLEN, qlen)) ||
	    (opt && dns_wr_opt(&w, 1232, rcode, false)))
		return 0;
	STAT_INC(st->rcode[rcode < 24 ? rcode : 23]);
	return w.len;
}

/* rr_head - owner as a pointer to offset ptr, type, class IN, ttl, rdlength; returns the
 * rdlength offset or -1. */
static long rr_head(struct dns_writer *w, size_t ptr, uint16_t type, uint32_t ttl)
{
	uint8_t b[12] = { (uint8_t)(0xc0 | ptr >> 8), (uint8_t)ptr, (uint8_t)(type >> 8), (uint8_t)type, 0, DNS_C_IN,
			  (uint8_t)(ttl >> 24), (uint8_t)(ttl >> 16), (uint8_t)(ttl >> 8), (uint8_t)ttl, 0, 0 };
	if (dns_wr_bytes(w, b, sizeof(b)))
		return -1;
	return (long)(w->len - 2);
}

/* put_a - an A record for the qname. */
static bool put_a(struct dns_writer *w, const struct zone_value *v)
{
	long off = rr_head(w, DNS_HDRLEN, DNS_T_A, v->ttl);
	return off >= 0 && dns_wr_bytes(w, v->a, 4) == 0 && dns_wr_rr_end(w, off) == 0;
}

/* put_txt_bytes - text as TXT character-strings of at most 255 bytes. */
static bool put_txt_bytes(struct dns_writer *w, const char *t, size_t n)
{
	do {
		size_t k = n > 255 ? 255 : n;
		if (dns_wr_u8(w, (uint8_t)k) || dns_wr_bytes(w, t, k))
			return false;
		t += k;
		n -= k;
	} while (n > 0);
	return true;
}

/* put_txt - a TXT record for the qname, substituting '$' with the subject. */
static bool put_txt(struct dns_writer *w, const struct zone *z, const struct zone_value *v,
		    const struct zone_result *res, const uint8_t *prefix, size_t plen)
{
	const char *t = zone_txt(z, v);
	long off = rr_head(w, DNS_HDRLEN, DNS_T_TXT, v->ttl);

	if (off < 0)
		return false;
	if (!(v->flags & ZV_SUBST))
		return put_txt_bytes(w, t, v->txt_len) && dns_wr_rr_end(w, off) == 0;
	char subj[1024], text[8192];
	size_t sl = zone_subject_text(res, prefix, plen, subj, sizeof(subj)), n = 0;
	for (size_t i = 0; i < v->txt_len; i++) {
		if (t[i] == '$' && n + sl < sizeof(text)) {
			memcpy(text + n, subj, sl);
			n += sl;
		} else if (n < sizeof(text))
			text[n++] = t[i];
	}
	return put_txt_bytes(w, text, n) && dns_wr_rr_end(w, off) == 0;
}

/* put_soa - the zone's SOA, owner the apex at offset ptr; negative uses the negative TTL. */
static bool put_soa(struct dns_writer *w, const struct rdns_zone *rz, size_t ptr, bool negative)
{
	long off = rr_head(w, ptr, DNS_T_SOA, negative ? rz->neg_ttl : rz->soa_ttl);
	return off >= 0 && dns_wr_bytes(w, rz->soa_rdata, rz->soa_rdlen) == 0 && dns_wr_rr_end(w, off) == 0;
}

/* put_ns - every NS of the zone, owner the apex at offset ptr; returns records written. */
static int put_ns(struct dns_writer *w, const struct rdns_zone *rz, size_t ptr)
{
	unsigned n = zone_ns_count(rz->z);
	int written = 0;

	for (unsigned i = 0; i < n; i++) {
		size_t len;
		uint32_t ttl;
		const uint8_t *ns = zone_get_ns(rz->z, i, &len, &ttl);
		long off = rr_head(w, ptr, DNS_T_NS, ttl);
		if (off < 0 || dns_wr_bytes(w, ns, len) || dns_wr_rr_end(w, off))
			return -1;
		written++;
	}
	return written;
}

/* put_values - A and/or TXT for each matching dataset; returns records written or -1. */
static int put_values(struct dns_writer *w, const struct rdns_zone *rz, const struct dns_query *q,
		      const struct zone_result *res, size_t plen)
{
	bool any = q->qtype == DNS_T_ANY;
	int n = 0;

	for (unsigned i = 0; i < res->n; i++) {
		const struct zone_value *v = res->v[i];
		if ((any || q->qtype == DNS_T_A) && (v->flags & ZV_A)) {
			if (!put_a(w, v))
				return -1;
			n++;
		}
		if ((any || q->qtype == DNS_T_TXT) && (v->flags & ZV_TXT)) {
			if (!put_txt(w, rz->z, v, res, q->qname, plen))
				return -1;
			n++;
		}
	}
	return n;
}

/* answer_zone - the sections for a question inside rz; sets *rcode. Returns false on overflow. */
static bool answer_zone(struct dns_writer *w, const struct rdns_zone *rz, const struct dns_query *q, size_t plen,
			struct zone_result *res, unsigned *rcode, uint16_t *an, uint16_t *ns)
{
	size_t apex_ptr = DNS_HDRLEN + plen;
	int n;

	zone_lookup_parsed(rz->z, q->qname, plen, res);
	*rcode = DNS_R_NOERROR;
	*an = *ns = 0;
	if (plen == 0) {
		if ((q->qtype == DNS_T_SOA || q->qtype == DNS_T_ANY) && rz->has_soa) {
			if (!put_soa(w, rz, apex_ptr, false))
				return false;
			(*an)++;
		}
		if (q->qtype == DNS_T_NS || q->qtype == DNS_T_ANY) {
			if ((n = put_ns(w, rz, apex_ptr)) < 0)
				return false;
			*an = (uint16_t)(*an + n);
		}
	} else if (res->n == 0)
		*rcode = DNS_R_NXDOMAIN;
	if ((n = put_values(w, rz, q, res, plen)) < 0)
		return false;
	*an = (uint16_t)(*an + n);
	if (*an == 0 && rz->has_soa) {
		if (!put_soa(w, rz, apex_ptr, true))
			return false;
		*ns = 1;
	}
	return true;
}

/* rdns_prepare - parse, find the zone, prefetch (stage 0). */
void rdns_prepare(const struct rdns_zoneset *zs, const uint8_t *pkt, size_t len, struct rdns_pending *p)
{
	p->pr = dns_query_parse(pkt, len, &p->q);
	p->rz = NULL;
	if (p->pr == DNS_PARSE_OK && zs)
		p->rz = rdns_zoneset_find(zs, p->q.qname, p->q.qname_len, &p->plen);
	if (p->rz) {
		zone_parse_name(p->q.qname, p->plen, &p->res);
		zone_prefetch_parsed(p->rz->z, &p->res, 0);
	}
}

/* rdns_prefetch - prefetch stage 1. */
void rdns_prefetch(const struct rdns_pending *p)
{
	if (p->rz)
		zone_prefetch_parsed(p->rz->z, &p->res, 1);
}

/* rdns_answer - build the response to one query. */
size_t rdns_answer(const struct rdns_zoneset *zs, const uint8_t *pkt, size_t len, uint8_t *out, size_t cap,
		   bool tcp, unsigned max_udp, struct rdns_stats *st)
{
	struct rdns_pending p;

	rdns_prepare(zs, pkt, len, &p);
	return rdns_respond(&p, pkt, out, cap, tcp, max_udp, st);
}

/* rdns_respond - the response for a prepared query. */
size_t rdns_respond(struct rdns_pending *p, const uint8_t *pkt, uint8_t *out, size_t cap, bool tcp,
		    unsigned max_udp, struct rdns_stats *st)
{
	const struct dns_query *qp = &p->q; /* parsed by rdns_prepare */
	const struct rdns_zone *rz = p->rz;
	size_t plen = p->plen;

	STAT_INC(st->queries);
	switch (p->pr) {
	case DNS_PARSE_DROP:
		STAT_INC(st->dropped);
		return 0;
	case DNS_PARSE_FORMERR:
		return finish_error(qp, pkt, out, cap, DNS_R_FORMERR, qp->question_end > 0, st);
	case DNS_PARSE_NOTIMP:
		return finish_error(qp, pkt, out, cap, DNS_R_NOTIMP, false, st);
	case DNS_PARSE_BADVERS:
		return finish_error(qp, pkt, out, cap, DNS_R_BADVERS, true, st);
	case DNS_PARSE_OK:
		break;
	}
	const struct dns_query *q = qp;
	if (rz == NULL || (q->qclass != DNS_C_IN && q->qclass != DNS_C_ANY) || q->qtype == DNS_T_AXFR ||
	    q->qtype == DNS_T_IXFR)
		return finish_error(q, pkt, out, cap, DNS_R_REFUSED, true, st);
	size_t limit = tcp ? cap : q->edns ? (q->edns_udp < max_udp ? q->edns_udp : max_udp) : 512;
	if (limit > cap)
		limit = cap;
	struct dns_writer w;
	struct dns_header h = { .id = q->hdr.id, .qdcount = 1,
				.flags = (uint16_t)(DNS_F_QR | DNS_F_AA | (q->hdr.flags & DNS_F_RD)) };
	dns_wr_init(&w, out, limit - (q->edns ? OPT_LEN : 0));
	dns_wr_header(&w, &h);
	if (dns_wr_bytes(&w, pkt + DNS_HDRLEN, q->question_end - DNS_HDRLEN))
		return 0;
	size_t qend = w.len;
	unsigned rcode;
	uint16_t an = 0, ns = 0;
	if (!answer_zone(&w, rz, q, plen, &p->res, &rcode, &an, &ns)) {
		/* RFC 2181 9: drop the partial sections and set TC; the client retries over TCP */
		w.len = qend;
		w.overflow = false;
		an = ns = 0;
		out[2] |= DNS_F_TC >> 8;
		STAT_INC(st->truncated);
	}
	out[3] = (uint8_t)((out[3] & 0xf0) | rcode);
	dns_wr_set_count(&w, 1, an);
	dns_wr_set_count(&w, 2, ns);
	if (q->edns) {
		w.cap = limit;
		dns_wr_opt(&w, (uint16_t)max_udp, 0, false);
		dns_wr_set_count(&w, 3, 1);
	}
	STAT_INC(st->rcode[rcode]);
	return w.len;
}
