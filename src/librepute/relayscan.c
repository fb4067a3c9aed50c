/* relayscan.c - the open-relay tests: the table of envelope variations that fooled real
 * servers, the verdict for each RCPT answer, the private-range refusal, the connection rate
 * limit, and rp_relay_scan(), which runs the tests in short sessions (a few tests per
 * connection, because servers such as Postfix slow down and drop clients after repeated
 * errors) over plain SMTP, after STARTTLS and on the submission port. Nothing here sends DATA.
 * The SMTP client itself is in relayscan_smtp.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/relayscan.h"

#define LOCALPART "relaytest"

/* rp_relay_verdict_name - short text for a verdict. */
const char *rp_relay_verdict_name(enum rp_relay_verdict v)
{
	switch (v) {
	case RP_RELAY_REFUSED: return "refused";
	case RP_RELAY_RELAYED: return "relayed";
	case RP_RELAY_ACCEPTED: return "accepted";
	case RP_RELAY_ERROR: return "error";
	}
	return "error";
}

/* rp_relay_verdict_of - 2xx to an outside recipient is a relay; 4xx/5xx a refusal. */
enum rp_relay_verdict rp_relay_verdict_of(int rcpt_code, bool outside)
{
	if (rcpt_code >= 200 && rcpt_code < 300)
		return outside ? RP_RELAY_RELAYED : RP_RELAY_ACCEPTED;
	if (rcpt_code >= 400 && rcpt_code < 600)
		return RP_RELAY_REFUSED;
	return RP_RELAY_ERROR;
}

/* rp_relay_check_target - refuse non-public targets unless allowed. */
int rp_relay_check_target(const struct rp_addr *a, bool allow_private, struct rp_diag *diag)
{
	char buf[RP_ADDR_STRLEN];
	enum rp_addr_scope sc;

	if (a->family != 4 && a->family != 6) {
		rp_diag_set(diag, 0, 0, "no target address");
		return RP_EINVAL;
	}
	sc = rp_addr_scope(a);
	if (sc == RP_SCOPE_PUBLIC || allow_private)
		return RP_OK;
	rp_diag_set(diag, 0, 0, "target %s is in a %s range (use --allow-private)", rp_addr_format(a, buf),
		    rp_addr_scope_name(sc));
	return RP_EINVAL;
}

/* rp_relay_rate_init - spacing of 1/per_sec seconds between connections. */
void rp_relay_rate_init(struct rp_relay_rate *r, double per_sec)
{
	if (!(per_sec >= 0.001))
		per_sec = 0.001;
	r->interval_ns = (uint64_t)(1e9 / per_sec);
	r->next_ns = 0;
}

/* rp_relay_rate_reserve - the slot at max(now, next); the following one an interval later. */
uint64_t rp_relay_rate_reserve(struct rp_relay_rate *r, uint64_t now_ns)
{
	uint64_t at = r->next_ns > now_ns ? r->next_ns : now_ns;

	r->next_ns = at + r->interval_ns;
	return at - now_ns;
}

/* now_ns - CLOCK_MONOTONIC in nanoseconds. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* rp_relay_rate_wait - reserve and sleep until the slot. */
void rp_relay_rate_wait(struct rp_relay_rate *r)
{
	uint64_t wait = rp_relay_rate_reserve(r, now_ns());
	struct timespec ts = { .tv_sec = (time_t)(wait / 1000000000u), .tv_nsec = (long)(wait % 1000000000u) };

	while (wait > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* add_case - one case into out[*n] when there is room. */
static void add_case(struct rp_relay_case *out, size_t max, size_t *n, const char *name, bool outside, const char *from,
		     const char *to)
{
	if (*n >= max)
		return;
	snprintf(out[*n].name, sizeof(out[*n].name), "%s", name);
	snprintf(out[*n].mail_from, sizeof(out[*n].mail_from), "%s", from);
	snprintf(out[*n].rcpt_to, sizeof(out[*n].rcpt_to), "%s", to);
	out[*n].outside = outside;
	(*n)++;
}

/* upper - an upper-case copy of s into buf. */
static const char *upper(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 'a' + 'A') : s[i];
	buf[i] = '\0';
	return buf;
}

/* rp_relay_cases - the classic relay tests (after the lists of relay testers of the 1990s-2000s). */
size_t rp_relay_cases(const char *outside, const char *local, const char *ip, struct rp_relay_case *out, size_t max)
{
	char o[256], l[256], lit[64], f[320], t[320], uo[256], ul[256];
	size_t n = 0;

	snprintf(o, sizeof(o), LOCALPART "@%s", outside);
	snprintf(l, sizeof(l), "postmaster@%s", local);
	snprintf(lit, sizeof(lit), "[%s]", ip);
	upper(outside, uo, sizeof(uo));
	upper(local, ul, sizeof(ul));
#define T(...) (snprintf(t, sizeof(t), __VA_ARGS__), t)
#define F(...) (snprintf(f, sizeof(f), __VA_ARGS__), f)
	add_case(out, max, &n, "control-local", false, o, l);
	add_case(out, max, &n, "plain", true, o, o);
	add_case(out, max, &n, "null-sender", true, "", o);
	add_case(out, max, &n, "local-sender", true, l, o);
	add_case(out, max, &n, "literal-sender", true, F("postmaster@%s", lit), o);
	add_case(out, max, &n, "uppercase", true, o, T(LOCALPART "@%s", uo));
	add_case(out, max, &n, "percent-hack", true, l, T(LOCALPART "%%%s@%s", outside, local));
	add_case(out, max, &n, "percent-hack-upper", true, l, T(LOCALPART "%%%s@%s", uo, ul));
	add_case(out, max, &n, "percent-literal", true, l, T(LOCALPART "%%%s@%s", outside, lit));
	add_case(out, max, &n, "double-at", true, l, T(LOCALPART "@%s@%s", outside, local));
	add_case(out, max, &n, "quoted", true, l, T("\"" LOCALPART "@%s\"@%s", outside, local));
	add_case(out, max, &n, "quoted-bare", true, l, T("\"" LOCALPART "@%s\"", outside));
	add_case(out, max, &n, "quoted-percent", true, l, T("\"" LOCALPART "%%%s\"@%s", outside, local));
	add_case(out, max, &n, "source-route", true, l, T("@%s:" LOCALPART "@%s", local, outside));
	add_case(out, max, &n, "source-route-literal", true, l, T("@%s:" LOCALPART "@%s", lit, outside));
	add_case(out, max, &n, "bang-path", true, l, T("%s!" LOCALPART, outside));
	add_case(out, max, &n, "bang-path-local", true, l, T("%s!" LOCALPART "@%s", outside, local));
	add_case(out, max, &n, "bang-path-literal", true, l, T("%s!" LOCALPART "@%s", outside, lit));
	add_case(out, max, &n, "literal-percent-upper", true, l, T(LOCALPART "%%%s@%s", uo, lit));
#undef T
#undef F
	return n;
}

/* push_test - append a finished test to the report (takes the transcript). */
static void push_test(struct rp_relay_report *rep, const char *phase, const struct rp_relay_case *c,
		      enum rp_relay_verdict v, int code, char *transcript)
{
	struct rp_relay_test *t;

	if (rep->n == rep->cap) {
		rep->cap = rep->cap ? rep->cap * 2 : 32;
		rep->tests = xreallocarray(rep->tests, rep->cap, sizeof(*rep->tests));
	}
	t = &rep->tests[rep->n++];
	t->name = xstrdup(c->name);
	t->phase = xstrdup(phase);
	t->mail_from = xstrdup(c->mail_from);
	t->rcpt_to = xstrdup(c->rcpt_to);
	t->outside = c->outside;
	t->verdict = v;
	t->code = code;
	t->transcript = transcript;
	if (v == RP_RELAY_RELAYED)
		rep->relayed++;
	else if (v == RP_RELAY_REFUSED)
		rep->refused++;
	else if (v == RP_RELAY_ERROR)
		rep->errors++;
}

/* One phase of the scan: where to connect and whether to STARTTLS first. */
struct phase {
	const char *name;
	unsigned port;
	bool tls;
};

/* greet - banner, EHLO (HELO fallback) and, for a TLS phase, STARTTLS and EHLO again. */
static int greet(struct rp_smtp *s, const struct rp_relay_config *cfg, const struct phase *ph,
		 struct rp_relay_report *rep, struct rp_diag *diag)
{
	struct rp_smtp_reply r;
	int rc;

	if ((rc = rp_smtp_read_reply(s, &r, diag)) != RP_OK)
		return rc;
	if (rep->banner[0] == '\0')
		snprintf(rep->banner, sizeof(rep->banner), "%d %.*s", r.code, (int)strcspn(r.text, "\n"), r.text);
	if (r.code != 220) {
		rp_diag_set(diag, 0, 0, "greeting %d: %.100s", r.code, r.text);
		return RP_EIO;
	}
	if ((rc = rp_smtp_command(s, &r, diag, "EHLO %s", cfg->helo)) != RP_OK)
		return rc;
	if (r.code / 100 != 2 && ((rc = rp_smtp_command(s, &r, diag, "HELO %s", cfg->helo)) != RP_OK || r.code / 100 != 2)) {
		rp_diag_set(diag, 0, 0, "EHLO/HELO refused: %d", r.code);
		return rc != RP_OK ? rc : RP_EIO;
	}
	if (!ph->tls) {
		if (strcmp(ph->name, "smtp") == 0 && rp_smtp_reply_has(&r, "STARTTLS"))
			rep->tls_offered = true;
		return RP_OK;
	}
	if (!rp_smtp_reply_has(&r, "STARTTLS")) {
		rp_diag_set(diag, 0, 0, "STARTTLS not offered");
		return RP_EUNSUPP;
	}
	if ((rc = rp_smtp_starttls(s, diag)) != RP_OK)
		return rc;
	if ((rc = rp_smtp_command(s, &r, diag, "EHLO %s", cfg->helo)) != RP_OK)
		return rc;
	return r.code / 100 == 2 ? RP_OK : RP_EIO;
}

/* run_case - MAIL, RCPT, RSET for one case; RP_EIO when the session is no longer usable. */
static int run_case(struct rp_smtp *s, const struct rp_relay_case *c, const char *phase, struct rp_relay_report *rep,
		    struct rp_diag *diag)
{
	struct rp_smtp_reply r;
	int rc, code = 0;
	enum rp_relay_verdict v = RP_RELAY_ERROR;

	rc = rp_smtp_command(s, &r, diag, "MAIL FROM:<%s>", c->mail_from);
	if (rc == RP_OK && r.code / 100 != 2) {
		code = r.code;
		v = r.code >= 400 && r.code < 600 ? RP_RELAY_REFUSED : RP_RELAY_ERROR;
	} else if (rc == RP_OK) {
		rc = rp_smtp_command(s, &r, diag, "RCPT TO:<%s>", c->rcpt_to);
		if (rc == RP_OK) {
			code = r.code;
			v = rp_relay_verdict_of(r.code, c->outside);
		}
	}
	if (rc == RP_OK)
		rc = rp_smtp_command(s, &r, diag, "RSET");
	if (rc == RP_OK && code == 421)
		rc = RP_EIO;
	if (rc != RP_OK && v == RP_RELAY_ERROR) {
		char *t = rp_smtp_take_transcript(s);
		char *t2 = xasprintf("%s-: %s\n", t, diag->reason);
		xfree(t);
		push_test(rep, phase, c, v, code, t2);
		return RP_EIO;
	}
	push_test(rep, phase, c, v, code, rp_smtp_take_transcript(s));
	return rc == RP_OK ? RP_OK : RP_EIO;
}

/* session - one connection running cases [from, to); returns the index reached. */
static size_t session(const struct rp_relay_config *cfg, const struct phase *ph, struct rp_relay_rate *rate,
		      const struct rp_relay_case *cases, size_t from, size_t to, struct rp_relay_report *rep,
		      int *err, struct rp_diag *diag)
{
	struct rp_smtp s;
	struct rp_smtp_reply r;
	int fd;
	size_t i = from;

	rp_relay_rate_wait(rate);
	rep->connections++;
	fd = rp_smtp_connect(&cfg->addr, ph->port, cfg->timeout_ms);
	if (fd < 0) {
		rp_diag_set(diag, 0, 0, "connect to port %u: %s", ph->port, strerror(errno));
		*err = RP_EIO;
		return from;
	}
	rp_smtp_init(&s, fd, cfg->timeout_ms);
	*err = greet(&s, cfg, ph, rep, diag);
	if (*err != RP_OK) {
		rp_smtp_fini(&s);
		return from;
	}
	for (; i < to; i++)
		if (run_case(&s, &cases[i], ph->name, rep, diag) != RP_OK) {
			i++;
			break;
		}
	if (i == to) /* a clean end; after an error the server may already be gone */
		(void)rp_smtp_command(&s, &r, diag, "QUIT");
	rp_smtp_fini(&s);
	return i;
}

/* run_phase - all cases in sessions of per_session tests; RP_OK if any test was answered. */
static int run_phase(const struct rp_relay_config *cfg, const struct phase *ph, struct rp_relay_rate *rate,
		     const struct rp_relay_case *cases, size_t ncases, struct rp_relay_report *rep, struct rp_diag *diag)
{
	size_t i = 0, per = cfg->per_session ? cfg->per_session : 6;
	int err = RP_OK, failures = 0;

	while (i < ncases) {
		size_t end = i + per < ncases ? i + per : ncases;
		size_t got = session(cfg, ph, rate, cases, i, end, rep, &err, diag);
		if (got == i) { /* could not even greet: give up the phase after two tries */
			if (err == RP_EUNSUPP || ++failures >= 2)
				return err;
			continue;
		}
		i = got;
	}
	return RP_OK;
}

/* valid_name - a domain or HELO name: letters, digits, dots, hyphens (and [] : for literals). */
static bool valid_name(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '-' || *s == '[' || *s == ']' || *s == ':'))
			return false;
	return true;
}

/* rp_relay_scan - check the target and config, then run the phases. */
int rp_relay_scan(const struct rp_relay_config *cfg, struct rp_relay_report *rep, struct rp_diag *diag)
{
	struct rp_relay_case cases[RP_RELAY_MAX_CASES];
	struct rp_relay_config c = *cfg;
	struct rp_relay_rate rate;
	struct rp_diag local = { 0 };
	char ip[RP_ADDR_STRLEN];
	size_t n;
	int rc;

	if (diag == NULL)
		diag = &local;
	if (rp_relay_check_target(&c.addr, c.allow_private, diag) != RP_OK)
		return RP_EINVAL;
	if (!valid_name(c.helo) || !valid_name(c.outside) || !valid_name(c.local)) {
		rp_diag_set(diag, 0, 0, "HELO name and domains must be plain host names");
		return RP_EINVAL;
	}
	c.port = c.port ? c.port : 25;
	c.submission_port = c.submission_port ? c.submission_port : 587;
	c.timeout_ms = c.timeout_ms > 0 ? c.timeout_ms : 10000;
	rp_relay_rate_init(&rate, c.rate > 0 ? c.rate : 1.0);
	rp_addr_format(&c.addr, ip);
	if (c.addr.family == 6) {
		char v6[RP_ADDR_STRLEN + 6];
		snprintf(v6, sizeof(v6), "IPv6:%s", ip);
		n = rp_relay_cases(c.outside, c.local, v6, cases, RP_RELAY_MAX_CASES);
	} else {
		n = rp_relay_cases(c.outside, c.local, ip, cases, RP_RELAY_MAX_CASES);
	}
	rc = run_phase(&c, &(struct phase){ "smtp", c.port, false }, &rate, cases, n, rep, diag);
	if (rc != RP_OK)
		return rc;
	if (c.starttls && rep->tls_offered) {
		struct rp_diag d2 = { 0 };
		if (run_phase(&c, &(struct phase){ "starttls", c.port, true }, &rate, cases, n, rep, &d2) == RP_OK)
			rep->tls_done = true;
		else
			rp_diag_set(diag, 0, 0, "STARTTLS phase: %s", d2.reason);
	}	else if (c.starttls)
		rp_diag_set(diag, 0, 0, "STARTTLS not offered: TLS phase skipped");
	if (c.submission) {
		struct rp_diag d2 = { 0 };
		if (run_phase(&c, &(struct phase){ "submission", c.submission_port, false }, &rate, cases, n, rep, &d2) != RP_OK)
			rp_diag_set(diag, 0, 0, "submission phase: %s", d2.reason);
	}
	return RP_OK;
}

/* rp_relay_report_fini - free all tests. */
void rp_relay_report_fini(struct rp_relay_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		xfree(rep->tests[i].name);
		xfree(rep->tests[i].phase);
		xfree(rep->tests[i].mail_from);
		xfree(rep->tests[i].rcpt_to);
		xfree(rep->tests[i].transcript);
	}
	xfree(rep->tests);
	memset(rep, 0, sizeof(*rep));
}
