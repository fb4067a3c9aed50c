/* dns.h - DNS wire format: a bounds-checked reader (every read checks what is left, as NSD's
 * buffer.h), a bounded writer with name compression, query parsing with FORMERR detection,
 * and RR encoders (A, AAAA, TXT, SOA, NS, OPT).
 *
 * Nothing here allocates: readers and writers work on caller-provided memory, so a server can
 * keep one per thread. Names are handled in wire form (length-prefixed labels, ending with the
 * root label), at most DNS_MAXNAME bytes. A failed write sets w->overflow and leaves the
 * written length unchanged from before the failing call, so callers can truncate cleanly. */
#ifndef REPUTE_DNS_H
#define REPUTE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDRLEN 12
#define DNS_MAXNAME 255
#define DNS_MAXLABEL 63
#define DNS_MAXPTRS 32    /* compression pointers followed in one name before giving up */
#define DNS_MAXCOMP 32    /* names remembered by a writer for compression */

enum { DNS_T_A = 1, DNS_T_NS = 2, DNS_T_SOA = 6, DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28,
       DNS_T_OPT = 41, DNS_T_IXFR = 251, DNS_T_AXFR = 252, DNS_T_ANY = 255 };
enum { DNS_C_IN = 1, DNS_C_CH = 3, DNS_C_ANY = 255 };
enum { DNS_R_NOERROR = 0, DNS_R_FORMERR = 1, DNS_R_SERVFAIL = 2, DNS_R_NXDOMAIN = 3,
       DNS_R_NOTIMP = 4, DNS_R_REFUSED = 5, DNS_R_BADVERS = 16 };
/* header flag bits (second 16-bit word) */
enum { DNS_F_QR = 0x8000, DNS_F_AA = 0x0400, DNS_F_TC = 0x0200, DNS_F_RD = 0x0100,
       DNS_F_RA = 0x0080, DNS_F_AD = 0x0020, DNS_F_CD = 0x0010 };
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)

/* dns_reader: a cursor over received bytes; never reads past len. */
struct dns_reader {
	const uint8_t *data;
	size_t len;
	size_t pos;
};

void dns_rd_init(struct dns_reader *r, const void *data, size_t len);
/* dns_rd_u8/u16/u32 - read a network-order integer; RP_EPARSE when too few bytes remain. */
int dns_rd_u8(struct dns_reader *r, uint8_t *out);
int dns_rd_u16(struct dns_reader *r, uint16_t *out);
int dns_rd_u32(struct dns_reader *r, uint32_t *out);
int dns_rd_skip(struct dns_reader *r, size_t n);
/* dns_rd_name - read a possibly compressed name into out (wire form, lower-cased, at most
 * DNS_MAXNAME bytes), setting *outlen. Pointers must point backwards and at most DNS_MAXPTRS
 * are followed: loops, forward pointers, label types 0x40/0x80, labels past the packet and
 * names longer than 255 bytes are RP_EPARSE. */
int dns_rd_name(struct dns_reader *r, uint8_t *out, size_t *outlen);

struct dns_header {
	uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

/* dns_query: what a server needs from a query, filled by dns_query_parse. */
struct dns_query {
	struct dns_header hdr;
	uint8_t qname[DNS_MAXNAME]; /* wire form, lower-cased */
	size_t qname_len;
	uint16_t qtype, qclass;
	size_t question_end;        /* offset just past the question in the packet */
	bool edns;                  /* an OPT record was present */
	uint8_t edns_version;
	bool edns_do;               /* DNSSEC OK bit */
	uint16_t edns_udp;          /* requestor's UDP payload size (>= 512) */
};

/* Outcome of dns_query_parse: answer normally, answer with an error rcode, or drop. */
enum dns_parse_result {
	DNS_PARSE_OK = 0,
	DNS_PARSE_DROP,      /* too short for a header, or a response: never answer */
	DNS_PARSE_FORMERR,   /* malformed: answer FORMERR (question echoed only if it parsed) */
	DNS_PARSE_NOTIMP,    /* opcode other than QUERY */
	DNS_PARSE_BADVERS,   /* EDNS version other than 0 */
};

/* dns_query_parse - parse header, exactly one question, and an optional OPT in the additional
 * section. Wrong-class questions parse (the caller REFUSEs them); qdcount 0 or >1, trailing
 * garbage inside counted sections, a second OPT or a bad name are FORMERR. */
enum dns_parse_result dns_query_parse(const uint8_t *pkt, size_t len, struct dns_query *q);

/* dns_writer: builds a message in caller memory of cap bytes. */
struct dns_writer {
	uint8_t *data;
	size_t cap;
	size_t len;
	bool overflow;
	unsigned ncomp;
	uint16_t comp[DNS_MAXCOMP]; /* offsets of names written, for compression */
};

void dns_wr_init(struct dns_writer *w, void *data, size_t cap);
int dns_wr_u8(struct dns_writer *w, uint8_t v);
int dns_wr_u16(struct dns_writer *w, uint16_t v);
int dns_wr_u32(struct dns_writer *w, uint32_t v);
int dns_wr_bytes(struct dns_writer *w, const void *p, size_t n);
/* dns_wr_name - write a wire-form name, compressed against names written before when
 * compress is true (and remembered for later names either way). */
int dns_wr_name(struct dns_writer *w, const uint8_t *name, size_t len, bool compress);
int dns_wr_header(struct dns_writer *w, const struct dns_header *h);
/* dns_wr_set_count - overwrite one of the four section counts (0=qd .. 3=ar) in the header. */
void dns_wr_set_count(struct dns_writer *w, int section, uint16_t n);
/* dns_wr_rr_begin - owner, type, class, ttl and a placeholder rdlength; returns the offset
 * of the rdlength for dns_wr_rr_end, or -1 on overflow. */
long dns_wr_rr_begin(struct dns_writer *w, const uint8_t *owner, size_t owner_len, uint16_t type,
		     uint16_t klass, uint32_t ttl);
/* dns_wr_rr_end - patch the rdlength now that the rdata is written. */
int dns_wr_rr_end(struct dns_writer *w, long rdlen_off);
int dns_wr_rr_a(struct dns_writer *w, const uint8_t *owner, size_t olen, uint32_t ttl,
		const uint8_t addr[4]);
int dns_wr_rr_aaaa(struct dns_writer *w, const uint8_t *owner, size_t olen, uint32_t ttl,
		   const uint8_t addr[16]);
/* dns_wr_rr_txt - one TXT record; text longer than 255 bytes is split into strings. */
int dns_wr_rr_txt(struct dns_writer *w, const uint8_t *owner, size_t olen, uint32_t ttl,
		  const char *text, size_t tlen);
int dns_wr_rr_ns(struct dns_writer *w, const uint8_t *owner, size_t olen, uint32_t ttl,
		 const uint8_t *ns, size_t nslen);
struct dns_soa {
	const uint8_t *mname, *rname;
	size_t mname_len, rname_len;
	uint32_t serial, refresh, retry, expire, minimum;
};
int dns_wr_rr_soa(struct dns_writer *w, const uint8_t *owner, size_t olen, uint32_t ttl,
		  const struct dns_soa *soa);
/* dns_wr_opt - an OPT pseudo-RR advertising udp_size (extended rcode bits from rcode >> 4). */
int dns_wr_opt(struct dns_writer *w, uint16_t udp_size, unsigned rcode, bool do_bit);

/* dns_name_from_text - "mail.example.org" or "mail.example.org." to wire form (lower-cased);
 * "." or "" is the root. Returns the length or RP_EINVAL (empty label, label > 63, name > 255). */
int dns_name_from_text(const char *text, uint8_t *out);
/* dns_name_to_text - wire form to dotted text without the trailing dot ("." for the root)
 * into out of cap bytes (1010 is always enough: 255 bytes with every byte escaped \DDD).
 * Returns the text length or RP_ETOOBIG. */
int dns_name_to_text(const uint8_t *name, size_t len, char *out, size_t cap);
/* dns_name_is_subdomain - whether name equals zone or ends with it (labels compared
 * case-insensitively); sets *prefix_len to the bytes before the zone's labels. */
bool dns_name_is_subdomain(const uint8_t *name, size_t len, const uint8_t *zone, size_t zlen,
			   size_t *prefix_len);
/* dns_name_equal - case-insensitive comparison of two wire names. */
bool dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

#endif
