/* fuzz_dns_packet.c - libFuzzer target for the DNS wire reader: dns_query_parse on arbitrary
 * bytes, then (when it parses) the question re-encoded with the writer and read back, and
 * every name position read with dns_rd_name. Crashes, overreads and leaks are the findings. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "repute/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - one input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_query q;
	enum dns_parse_result r = dns_query_parse(data, size, &q);

	if (r == DNS_PARSE_OK) {
		uint8_t out[600], back[DNS_MAXNAME];
		size_t blen;
		struct dns_writer w;
		struct dns_reader rd;
		char text[1010];
		dns_wr_init(&w, out, sizeof(out));
		if (dns_wr_name(&w, q.qname, q.qname_len, true) == 0 &&
		    dns_wr_name(&w, q.qname, q.qname_len, true) == 0) {
			dns_rd_init(&rd, out, w.len);
			if (dns_rd_name(&rd, back, &blen) != 0 || !dns_name_equal(back, blen, q.qname, q.qname_len))
				__builtin_trap();
			if (dns_rd_name(&rd, back, &blen) != 0 || !dns_name_equal(back, blen, q.qname, q.qname_len))
				__builtin_trap();
		}
		dns_name_to_text(q.qname, q.qname_len, text, sizeof(text));
	}
	for (size_t pos = 0; pos < size && pos < 64; pos++) {
		struct dns_reader rd;
		uint8_t name[DNS_MAXNAME];
		size_t nlen;
		dns_rd_init(&rd, data, size);
		rd.pos = pos;
		if (dns_rd_name(&rd, name, &nlen) == 0 && (nlen == 0 || nlen > DNS_MAXNAME || name[nlen - 1] != 0))
			__builtin_trap();
	}
	return 0;
}
