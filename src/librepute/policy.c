/* policy.c - incremental, bounded parser for Postfix policy delegation requests
 * (rp_policy_feed, rp_policy_parse) and the answer writer (rp_policy_format). Every byte is
 * copied at most once into the parser's fixed store; nothing is allocated. See policy.h for
 * the limits and what makes a request malformed. */
#include <stdbool.h>
#include <string.h>

#include "repute/buf.h"
#include "repute/error.h"
#include "repute/policy.h"

#define POLICY_REQUEST_TYPE "smtpd_access_policy"

/* policy_reset - forget the previous request. */
static void policy_reset(struct rp_policy_parser *p)
{
	p->req.n = 0;
	p->used = 0;
	p->line_start = 0;
	p->line_len = 0;
	p->req_bytes = 0;
	p->line = 1;
	p->error = 0;
	p->diag = (struct rp_diag){ 0 };
}

/* rp_policy_parser_init - ready the parser for the first request. */
void rp_policy_parser_init(struct rp_policy_parser *p)
{
	memset(&p->req, 0, sizeof(p->req));
	policy_reset(p);
}

/* policy_fail - record the first error of this request. */
#define policy_fail(p, code, ...)                                                       \
	do {                                                                            \
		if ((p)->error == 0) {                                                  \
			(p)->error = (code);                                            \
			rp_diag_set(&(p)->diag, (p)->line, (p)->req_bytes, __VA_ARGS__); \
		}                                                                       \
	} while (0)

/* policy_name_ok - an attribute name: 1..RP_POLICY_MAX_NAME of [a-z0-9_]. */
static bool policy_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > RP_POLICY_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* rp_policy_get - the value of an attribute, NULL when absent. */
const char *rp_policy_get(const struct rp_policy_req *req, const char *name)
{
	for (size_t i = 0; i < req->n; i++)
		if (strcmp(req->attrs[i].name, name) == 0)
			return req->attrs[i].value;
	return NULL;
}

/* policy_line - split the stored line into name and value and add the attribute. */
static void policy_line(struct rp_policy_parser *p)
{
	char *line = p->store + p->line_start;
	size_t len = p->line_len;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	char *eq = memchr(line, '=', len);
	if (eq == NULL) {
		policy_fail(p, RP_EPARSE, "line %lu: no '=' (expected name=value)", p->line);
		return;
	}
	if (!policy_name_ok(line, (size_t)(eq - line))) {
		policy_fail(p, RP_EPARSE, "line %lu: bad attribute name", p->line);
		return;
	}
	if (p->req.n >= RP_POLICY_MAX_ATTRS) {
		policy_fail(p, RP_ETOOBIG, "more than %d attributes", RP_POLICY_MAX_ATTRS);
		return;
	}
	*eq = '\0';
	line[len] = '\0';
	if (rp_policy_get(&p->req, line) != NULL) {
		policy_fail(p, RP_EPARSE, "line %lu: attribute %s repeated", p->line, line);
		return;
	}
	p->req.attrs[p->req.n].name = line;
	p->req.attrs[p->req.n].value = eq + 1;
	p->req.n++;
	p->used = p->line_start + len + 1;
}

/* policy_end - the empty line: check the request as a whole; returns 1 or an error code. */
static int policy_end(struct rp_policy_parser *p, struct rp_diag *diag)
{
	const char *type = rp_policy_get(&p->req, "request");

	if (p->error == 0 && type == NULL)
		policy_fail(p, RP_EPARSE, "missing request= attribute");
	else if (p->error == 0 && strcmp(type, POLICY_REQUEST_TYPE) != 0)
		policy_fail(p, RP_EUNSUPP, "request=%.40s is not %s", type, POLICY_REQUEST_TYPE);
	if (p->error != 0) {
		if (diag != NULL)
			*diag = p->diag;
		if (p->error != RP_EUNSUPP)
			p->req.n = 0; /* an unknown request type keeps its attributes */
		return p->error;
	}
	return 1;
}

/* policy_byte - store one byte of the current line, or note why not. */
static void policy_byte(struct rp_policy_parser *p, char c)
{
	if (p->line_len == 0)
		p->line_first = c;
	if (p->line_len >= RP_POLICY_MAX_LINE)
		policy_fail(p, RP_ETOOBIG, "line %lu longer than %d bytes", p->line, RP_POLICY_MAX_LINE);
	else if (c == '\0')
		policy_fail(p, RP_EPARSE, "line %lu: NUL byte", p->line);
	if (p->error != 0)
		return;
	if (p->line_start + p->line_len + 1 >= sizeof(p->store)) {
		policy_fail(p, RP_ETOOBIG, "request longer than %d bytes", RP_POLICY_MAX_REQUEST);
		return;
	}
	p->store[p->line_start + p->line_len] = c;
}

/* rp_policy_feed - consume bytes until a request ends or the input runs out. */
int rp_policy_feed(struct rp_policy_parser *p, const char *data, size_t len, size_t *consumed,
		   struct rp_diag *diag)
{
	if (p->line == 0)
		policy_reset(p); /* the previous call ended a request */
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (++p->req_bytes > RP_POLICY_MAX_REQUEST)
			policy_fail(p, RP_ETOOBIG, "request longer than %d bytes", RP_POLICY_MAX_REQUEST);
		if (c != '\n') {
			policy_byte(p, c);
			p->line_len++;
			continue;
		}
		bool empty = p->line_len == 0 ||
			     (p->line_len == 1 && p->line_first == '\r');
		if (empty) {
			*consumed = i + 1;
			int rc = policy_end(p, diag);
			p->line = 0; /* reset on the next call, keeping req valid until then */
			return rc;
		}
		if (p->error == 0)
			policy_line(p);
		p->line_start = p->used;
		p->line_len = 0;
		p->line++;
	}
	*consumed = len;
	return 0;
}

/* rp_policy_parse - one complete request and nothing after it. */
int rp_policy_parse(struct rp_policy_parser *p, const char *data, size_t len, struct rp_diag *diag)
{
	size_t used = 0;
	int rc;

	rp_policy_parser_init(p);
	rc = rp_policy_feed(p, data, len, &used, diag);
	if (rc == 0) {
		rp_diag_set(diag, p->line, len, "request not terminated by an empty line");
		return RP_EPARSE;
	}
	if (rc < 0)
		return rc;
	if (used != len) {
		rp_diag_set(diag, 0, used, "%zu bytes after the request", len - used);
		return RP_EPARSE;
	}
	return 0;
}

/* rp_policy_format - append one answer: "action=ACTION text" and the empty line. */
void rp_policy_format(struct buf *out, const char *action, const char *text)
{
	size_t room = RP_POLICY_MAX_LINE - 8 - strlen(action);

	buf_puts(out, "action=");
	buf_puts(out, action);
	if (text != NULL && *text != '\0' && strlen(action) < RP_POLICY_MAX_LINE - 16) {
		buf_putc(out, ' ');
		for (size_t i = 0; text[i] != '\0' && i < room; i++) {
			unsigned char c = (unsigned char)text[i];
			buf_putc(out, c < 0x20 || c == 0x7f ? ' ' : (char)c);
		}
	}
	buf_puts(out, "\n\n");
}
