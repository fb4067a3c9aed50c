/* dns_writer.c - bounded construction of DNS messages in caller memory: integers, names with
 * compression, the header, and the RR types a DNSBL serves (A, AAAA, TXT, NS, SOA, OPT).
 *
 * A write that does not fit sets w->overflow and writes nothing, so a server can stop at the
 * last complete record and set TC. No allocation. */
#include <string.h>

#include "repute/error.h"
#include "repute/dns.h"

/* dns_wr_init - write into cap bytes at data. */
void dns_wr_init(struct dns_writer *w, void *data, size_t cap)
{
	w->data = data;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
	w->ncomp = 0;
}

/* room - whether n more bytes fit; marks overflow when not. */
static bool room(struct dns_writer *w, size_t n)
{
	if (w->cap - w->len >= n)
		return true;
	w->overflow = true;
	return false;
}

/* dns_wr_u8 - one byte. */
int dns_wr_u8(struct dns_writer *w, uint8_t v)
{
	if (!room(w, 1))
		return RP_ETOOBIG;
	w->data[w->len++] = v;
	return RP_OK;
}

/* dns_wr_u16 - 16 bits in network order. */
int dns_wr_u16(struct dns_writer *w, uint16_t v)
{
	if (!room(w, 2))
		return RP_ETOOBIG;
	w->data[w->len++] = (uint8_t)(v >> 8);
	w->data[w->len++] = (uint8_t)v;
	return RP_OK;
}

/* dns_wr_u32 - 32 bits in network order. */
int dns_wr_u32(struct dns_writer *w, uint32_t v)
{
	if (!room(w, 4))
		return RP_ETOOBIG;
	for (int s = 24; s >= 0; s -= 8)
		w->data[w->len++] = (uint8_t)(v >> s);
	return RP_OK;
}

/* dns_wr_bytes - n raw bytes. */
int dns_wr_bytes(struct dns_writer *w, const void *p, size_t n)
{
	if (!room(w, n))
		return RP_ETOOBIG;
	memcpy(w->data + w->len, p, n);
	w->len += n;
	return RP_OK;
}

/* find_comp - offset of a remembered name equal to the wire name at suffix, or -1. */
static long find_comp(const struct dns_writer *w, const uint8_t *suffix, size_t slen)
{
	uint8_t tmp[DNS_MAXNAME];
	size_t tlen;

	for (unsigned i = 0; i < w->ncomp; i++) {
		struct dns_reader r;
		dns_rd_init(&r, w->data, w->len);
		r.pos = w->comp[i];
		if (dns_rd_name(&r, tmp, &tlen) == RP_OK && dns_name_equal(tmp, tlen, suffix, slen))
			return w->comp[i];
	}
	return -1;
}

/* remember - note a name written at off for later compression. */
static void remember(struct dns_writer *w, size_t off)
{
	if (w->ncomp < DNS_MAXCOMP && off < 0x4000)
		w->comp[w->ncomp++] = (uint16_t)off;
}

/* dns_wr_name - a wire name, optionally compressed against earlier names. */
int dns_wr_name(struct dns_writer *w, const uint8_t *name, size_t len, bool compress)
{
	size_t start = w->len, i = 0;
	unsigned ncomp = w->ncomp;

	while (i < len && name[i] != 0) {
		long ptr = compress ? find_comp(w, name + i, len - i) : -1;
		if (ptr >= 0) {
			if (dns_wr_u16(w, (uint16_t)(0xc000 | ptr)))
				goto fail;
			return RP_OK;
		}
		size_t l = name[i];
		if (i + 1 + l > len)
			goto fail;
		remember(w, w->len);
		if (dns_wr_bytes(w, name + i, 1 + l))
			goto fail;
		i += 1 + l;
	}
	if (dns_wr_u8(w, 0) == RP_OK)
		return RP_OK;
fail:
	w->len = start;
	w->ncomp = ncomp;
	w->overflow = true;
	return RP_ETOOBIG;
}

/* dns_wr_header - the 12-byte header at the current position (normally 0). */
int dns_wr_header(struct dns_writer *w, const struct dns_header *h)
{
	if (!room(w, DNS_HDRLEN))
		return RP_ETOOBIG;
	dns_wr_u16(w, h->id);
	dns_wr_u16(w, h->flags);
	dns_wr_u16(w, h->qdcount);
	dns_wr_u16(w, h->ancount);
	dns_wr_u16(w, h->nscount);
	dns_wr_u16(w, h->arcount);
	return RP_OK;
}

/* dns_wr_set_count - patch a section count in an already written header. */
void dns_wr_set_count(struct dns_writer *w, int section, uint16_t n)
{
	if (w->cap < DNS_HDRLEN || section < 0 || section > 3)
		return;
	w->data[4 + 2 * section] = (uint8_t)(n >> 8);
	w->data[5 + 2 * section] = (uint8_t)n;
}

/* dns_wr_rr_begin - owner, type, class, ttl and a zero rdlength to patch later. */
long dns_wr_rr_begin(struct dns_writer *w, const uint8_t *owner, size_t owner_len, uint16_t type,
		     uint16_t klass, uint32_t ttl)
{
	size_t start = w->len;

	if (dns_wr_name(w, owner, owner_len, true) || dns_wr_u16(w, type) || dns_wr_u16(w, klass) ||
	    dns_wr_u32(w, ttl) || dns_wr_u16(w, 0)) {
		w->len = start;
		return -1;
	}
	return (long)(w->len - 2);
}

/* dns_wr_rr_end - set the rdlength of the record begun at rdlen_off. */
int dns_wr_rr_end(struct dns_writer *w, long rdlen_off)
{
	if (rdlen_off < 0 || w->overflow)
		return RP_ETOOBIG;
	size_t n = w->len - (size_t)rdlen_off - 2;
	w->data[rdlen_off] = (uint8_t)(n >> 8);
	w->data[rdlen_off + 1] = (uint8_t)n;
	return RP_OK;
}

/* finish - end a record, or roll back to start when anything overflowed. */
static int finish(struct dns_writer *w, size_t start, long off, bool ok)
{
	if (ok && off >= 0 && dns_wr_rr_end(w, off) == RP_OK)
		return RP_OK;
	w->len = start;
	w->overflow = true;
	return RP_ETOOBIG;
}

/* dns_wr_rr_a - an A record. */
int dns_wr_rr_a(struct dns_writer *w, const uint8_t *owner, size_t olen, uint32_t ttl,
		const uint8_t addr[4])
{
	size_t start = w->len;
	long off = dns_wr_rr_begin(w, owner, olen, DNS_T_A, DNS_C_IN, ttl);
	return finish(w, start, off, off >= 0 && dns_wr_bytes(w, addr, 4) == RP_OK);
}

/* dns_wr_rr_aaaa - an AAAA record. */
int dns_wr_rr_aaaa(struct dns_writer *w, const uint8_t *owner, size_t olen, uint32_t ttl,
		   const uint8_t addr[16])
{
	size_t start = w->len;
	long off = dns_wr_rr_begin(w, owner, olen, DNS_T_AAAA, DNS_C_IN, ttl);
	return finish(w, start, off, off >= 0 && dns_wr_bytes(w, addr, 16) == RP_OK);
}

/* dns_wr_rr_txt - a TXT record, splitting text into 255-byte strings. */
int dns_wr_rr_txt(struct dns_writer *w, const uint8_t *owner, size_t olen, uint32_t ttl,
		  const char *text, size_t tlen)
{
	size_t start = w->len;
	long off = dns_wr_rr_begin(w, owner, olen, DNS_T_TXT, DNS_C_IN, ttl);
	bool ok = off >= 0 && tlen <= 65000;

	do {
		size_t n = tlen > 255 ? 255 : tlen;
		ok = ok && dns_wr_u8(w, (uint8_t)n) == RP_OK && dns_wr_bytes(w, text, n) == RP_OK;
		text += n;
		tlen -= n;
	} while (ok && tlen > 0);
	return finish(w, start, off, ok);
}

/* dns_wr_rr_ns - an NS record. */
int dns_wr_rr_ns(struct dns_writer *w, const uint8_t *owner, size_t olen, uint32_t ttl,
		 const uint8_t *ns, size_t nslen)
{
	size_t start = w->len;
	long off = dns_wr_rr_begin(w, owner, olen, DNS_T_NS, DNS_C_IN, ttl);
	return finish(w, start, off, off >= 0 && dns_wr_name(w, ns, nslen, true) == RP_OK);
}

/* dns_wr_rr_soa - an SOA record. */
int dns_wr_rr_soa(struct dns_writer *w, const uint8_t *owner, size_t olen, uint32_t ttl,
		  const struct dns_soa *soa)
{
	size_t start = w->len;
	long off = dns_wr_rr_begin(w, owner, olen, DNS_T_SOA, DNS_C_IN, ttl);
	bool ok = off >= 0 && dns_wr_name(w, soa->mname, soa->mname_len, true) == RP_OK &&
		  dns_wr_name(w, soa->rname, soa->rname_len, true) == RP_OK &&
		  dns_wr_u32(w, soa->serial) == RP_OK && dns_wr_u32(w, soa->refresh) == RP_OK &&
		  dns_wr_u32(w, soa->retry) == RP_OK && dns_wr_u32(w, soa->expire) == RP_OK &&
		  dns_wr_u32(w, soa->minimum) == RP_OK;
	return finish(w, start, off, ok);
}

/* dns_wr_opt - the OPT pseudo-record of RFC 6891. */
int dns_wr_opt(struct dns_writer *w, uint16_t udp_size, unsigned rcode, bool do_bit)
{
	uint8_t rr[11] = { 0, 0, DNS_T_OPT, (uint8_t)(udp_size >> 8), (uint8_t)udp_size,
			   (uint8_t)(rcode >> 4), 0, do_bit ? 0x80 : 0, 0, 0, 0 };
	return dns_wr_bytes(w, rr, sizeof(rr));
}
