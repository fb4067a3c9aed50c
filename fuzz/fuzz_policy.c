/* fuzz_policy.c - libFuzzer target for the Postfix policy parser: the input (after its first
 * byte) is fed as a stream in chunks whose size comes from the first byte, answering each
 * request as the daemon would; then the whole input is parsed as one request. Invariants: the
 * parser never reads or writes out of bounds, every returned request has a request= attribute,
 * and consumed counts never exceed what was given. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "repute/buf.h"
#include "repute/error.h"
#include "repute/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rp_policy_parser parser;

/* feed_stream - feed in chunks of chunk bytes, answering requests. */
static void feed_stream(const char *in, size_t len, size_t chunk)
{
	struct buf out;
	size_t off = 0;

	buf_init(&out);
	rp_policy_parser_init(&parser);
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk, used = 0;
		struct rp_diag d = { 0 };
		int rc = rp_policy_feed(&parser, in + off, n, &used, &d);
		if (used > n || (rc == 0 && used != n))
			abort();
		if (rc == 1) {
			if (rp_policy_get(&parser.req, "request") == NULL)
				abort();
			rp_policy_format(&out, "DUNNO", rp_policy_get(&parser.req, "sender"));
		} else if (rc < 0) {
			rp_policy_format(&out, "DEFER_IF_PERMIT", d.reason);
		}
		off += used;
	}
	buf_fini(&out);
}

/* LLVMFuzzerTestOneInput - one input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_diag d = { 0 };

	if (size < 1)
		return 0;
	feed_stream((const char *)data + 1, size - 1, (size_t)data[0] + 1);
	(void)rp_policy_parse(&parser, (const char *)data + 1, size - 1, &d);
	return 0;
}
