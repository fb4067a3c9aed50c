/* dns_reader.c - bounds-checked reading of DNS messages and query parsing.
 *
 * Every read checks the bytes left first (NSD buffer.h style), so a truncated or hostile
 * packet can only produce RP_EPARSE, never a read past the end. dns_query_parse turns a
 * received packet into a struct dns_query or tells the server how to refuse it. */
#include <string.h>

#include "repute/error.h"
#include "repute/dns.h"

/* dns_rd_init - start reading len bytes at data. */
void dns_rd_init(struct dns_reader *r, const void *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
}

/* dns_rd_u8 - one byte. */
int dns_rd_u8(struct dns_reader *r, uint8_t *out)
{
	if (r->len - r->pos < 1)
		return RP_EPARSE;
	*out = r->data[r->pos++];
	return RP_OK;
}

/* dns_rd_u16 - a 16-bit network-order integer. */
int dns_rd_u16(struct dns_reader *r, uint16_t *out)
{
	if (r->len - r->pos < 2)
		return RP_EPARSE;
	*out = (uint16_t)(r->data[r->pos] << 8 | r->data[r->pos + 1]);
	r->pos += 2;
	return RP_OK;
}

/* dns_rd_u32 - a 32-bit network-order integer. */
int dns_rd_u32(struct dns_reader *r, uint32_t *out)
{
	if (r->len - r->pos < 4)
		return RP_EPARSE;
	const uint8_t *p = r->data + r->pos;
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	r->pos += 4;
	return RP_OK;
}

/* dns_rd_skip - advance n bytes. */
int dns_rd_skip(struct dns_reader *r, size_t n)
{
	if (r->len - r->pos < n)
		return RP_EPARSE;
	r->pos += n;
	return RP_OK;
}

/* lower - ASCII lower case of one byte. */
static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* dns_rd_name - read a possibly compressed name, lower-cased, into out. */
int dns_rd_name(struct dns_reader *r, uint8_t *out, size_t *outlen)
{
	size_t pos = r->pos, n = 0;
	unsigned ptrs = 0;
	bool jumped = false;

	for (;;) {
		if (pos >= r->len)
			return RP_EPARSE;
		uint8_t c = r->data[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= r->len || ++ptrs > DNS_MAXPTRS)
				return RP_EPARSE;
			size_t target = (size_t)(c & 0x3f) << 8 | r->data[pos + 1];
			if (target >= pos)
				return RP_EPARSE; /* forward or self pointer */
			if (!jumped)
				r->pos = pos + 2;
			jumped = true;
			pos = target;
			continue;
		}
		if (c & 0xc0)
			return RP_EPARSE; /* 0x40 and 0x80 label types are obsolete or undefined */
		if (c == 0)
			break;
		if (r->len - pos - 1 < c || n + 1 + c + 1 > DNS_MAXNAME)
			return RP_EPARSE;
		out[n++] = c;
		for (size_t i = 0; i < c; i++)
			out[n++] = lower(r->data[pos + 1 + i]);
		pos += 1 + (size_t)c;
	}
	out[n++] = 0;
	if (!jumped)
		r->pos = pos + 1;
	*outlen = n;
	return RP_OK;
}

/* read_header - the fixed 12-byte header. */
static int read_header(struct dns_reader *r, struct dns_header *h)
{
	if (dns_rd_u16(r, &h->id) || dns_rd_u16(r, &h->flags) || dns_rd_u16(r, &h->qdcount) ||
	    dns_rd_u16(r, &h->ancount) || dns_rd_u16(r, &h->nscount) || dns_rd_u16(r, &h->arcount))
		return RP_EPARSE;
	return RP_OK;
}

/* class_ok - classes a query may carry; other values are malformed. CH, HS and NONE parse
 * (the server REFUSEs them as it serves IN only). */
static bool class_ok(uint16_t c)
{
	return c == DNS_C_IN || c == DNS_C_CH || c == 4 || c == 254 || c == DNS_C_ANY;
}

/* read_rr - one resource record; notes an OPT record in q. */
static int read_rr(struct dns_reader *r, struct dns_query *q, bool additional, bool *seen_opt)
{
	uint8_t name[DNS_MAXNAME];
	size_t nlen;
	uint16_t type, klass, rdlen;
	uint32_t ttl;

	if (dns_rd_name(r, name, &nlen) || dns_rd_u16(r, &type) || dns_rd_u16(r, &klass) ||
	    dns_rd_u32(r, &ttl) || dns_rd_u16(r, &rdlen) || dns_rd_skip(r, rdlen))
		return RP_EPARSE;
	if (type != DNS_T_OPT)
		return RP_OK;
	if (!additional || *seen_opt || nlen != 1)
		return RP_EPARSE; /* RFC 6891 6.1.1: one OPT, root owner, additional section */
	*seen_opt = true;
	q->edns = true;
	q->edns_udp = klass < 512 ? 512 : klass;
	q->edns_version = (uint8_t)(ttl >> 16);
	q->edns_do = (ttl & 0x8000) != 0;
	return RP_OK;
}

/* dns_query_parse - header, one question and optional OPT, with FORMERR detection. */
enum dns_parse_result dns_query_parse(const uint8_t *pkt, size_t len, struct dns_query *q)
{
	struct dns_reader r;
	bool seen_opt = false;

	memset(q, 0, offsetof(struct dns_query, qname));
	q->qname_len = 0;
	q->qtype = q->qclass = 0;
	q->question_end = 0;
	q->edns = q->edns_do = false;
	q->edns_version = 0;
	q->edns_udp = 512;
	dns_rd_init(&r, pkt, len);
	if (read_header(&r, &q->hdr) || (q->hdr.flags & DNS_F_QR))
		return DNS_PARSE_DROP;
	if (DNS_OPCODE(q->hdr.flags) != 0)
		return DNS_PARSE_NOTIMP;
	if (q->hdr.qdcount != 1)
		return DNS_PARSE_FORMERR;
	if (dns_rd_name(&r, q->qname, &q->qname_len) || dns_rd_u16(&r, &q->qtype) ||
	    dns_rd_u16(&r, &q->qclass)) {
		q->qname_len = 0;
		return DNS_PARSE_FORMERR;
	}
	q->question_end = r.pos;
	if (!class_ok(q->qclass) || q->qtype == 0 || q->qtype == DNS_T_OPT)
		return DNS_PARSE_FORMERR;
	unsigned total = (unsigned)q->hdr.ancount + q->hdr.nscount + q->hdr.arcount;
	for (unsigned i = 0; i < total; i++)
		if (read_rr(&r, q, i >= (unsigned)q->hdr.ancount + q->hdr.nscount, &seen_opt))
			return DNS_PARSE_FORMERR;
	if (r.pos != r.len)
		return DNS_PARSE_FORMERR; /* bytes beyond the counted records */
	if (q->edns && q->edns_version != 0)
		return DNS_PARSE_BADVERS;
	return DNS_PARSE_OK;
}
