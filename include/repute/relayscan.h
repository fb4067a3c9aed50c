/* relayscan.h - the open-relay scanner: a small SMTP client (blocking socket, poll timeouts,
 * bounded reads, optional STARTTLS through OpenSSL) and the classic relay tests run with it.
 *
 * A scan connects to one SMTP server, says EHLO and, for each test, sends MAIL FROM and RCPT TO
 * and records the server's answer to RCPT; RSET separates tests and QUIT ends each session. It
 * never sends DATA: there is no code path that could. A test whose recipient routes to the
 * outside domain and whose RCPT is accepted (2xx) is RP_RELAY_RELAYED. Targets in private,
 * loopback, link-local, CGNAT or reserved ranges are refused unless allow_private is set, and
 * connections are spaced to at most `rate` per second.
 *
 * Ownership: rp_relay_report owns every string it holds; rp_relay_report_fini frees them.
 * rp_smtp owns its socket and TLS state; rp_smtp_fini closes them. Nothing here keeps global
 * state (OpenSSL's own library initialisation aside). */
#ifndef REPUTE_RELAYSCAN_H
#define REPUTE_RELAYSCAN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repute/error.h"
#include "repute/netaddr.h"

#define RP_SMTP_LINE_MAX 1000   /* longest reply line accepted (RFC 5321 says 512) */
#define RP_SMTP_REPLY_LINES 64  /* most lines in one multi-line reply */
#define RP_SMTP_TEXT_MAX 2048   /* reply text kept (lines joined by '\n', truncated) */

/* One SMTP reply: the three-digit code and its text lines ("250-PIPELINING" gives "PIPELINING"). */
struct rp_smtp_reply {
	int code;
	size_t nlines;
	char text[RP_SMTP_TEXT_MAX];
};

struct ssl_ctx_st;
struct ssl_st;

/* rp_smtp: one client connection. The transcript ("C: ..." / "S: ..." lines) grows until taken. */
struct rp_smtp {
	int fd;
	int timeout_ms;
	uint64_t deadline_ns; /* CLOCK_MONOTONIC end of the current read or write (0: none) */
	struct ssl_ctx_st *ctx;
	struct ssl_st *ssl;
	char in[4096];
	size_t in_len;
	char *log;
	size_t log_len, log_cap;
};

/* rp_smtp_init - wrap a connected socket (owned from now on); timeout_ms bounds each whole
 * reply and each command write (a server trickling bytes cannot stretch it). */
void rp_smtp_init(struct rp_smtp *s, int fd, int timeout_ms);
/* rp_smtp_fini - close TLS and the socket, free the transcript; s may be NULL. */
void rp_smtp_fini(struct rp_smtp *s);
/* rp_smtp_connect - TCP connect to addr:port within timeout_ms; returns the socket or -1 (errno). */
int rp_smtp_connect(const struct rp_addr *addr, unsigned port, int timeout_ms);
/* rp_smtp_read_reply - read one (multi-line) reply. RP_EIO: timeout, EOF or read error;
 * RP_EPARSE: not "DDD[ -]text" or codes differ between lines; RP_ETOOBIG: a line over
 * RP_SMTP_LINE_MAX or more than RP_SMTP_REPLY_LINES lines. diag says which. */
int rp_smtp_read_reply(struct rp_smtp *s, struct rp_smtp_reply *r, struct rp_diag *diag);
/* rp_smtp_command - send one command line (printf-style, no CRLF; CR/LF in it is RP_EINVAL)
 * and read the reply. */
int rp_smtp_command(struct rp_smtp *s, struct rp_smtp_reply *r, struct rp_diag *diag, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* rp_smtp_starttls - send STARTTLS and do the TLS handshake (certificates are not verified:
 * the scanner tests, it does not trust). RP_EUNSUPP when the server refuses STARTTLS. */
int rp_smtp_starttls(struct rp_smtp *s, struct rp_diag *diag);
/* rp_smtp_reply_has - the reply has a line whose first word is kw (case-insensitive): EHLO keywords. */
bool rp_smtp_reply_has(const struct rp_smtp_reply *r, const char *kw);
/* rp_smtp_take_transcript - the transcript so far as a heap string (caller frees); starts a new one. */
char *rp_smtp_take_transcript(struct rp_smtp *s);

/* ---- rate limit: at most per_sec connections per second (spacing, not bursts) ---- */
struct rp_relay_rate {
	uint64_t interval_ns;
	uint64_t next_ns;
};
/* rp_relay_rate_init - per_sec must be > 0 (values below 0.001 count as 0.001). */
void rp_relay_rate_init(struct rp_relay_rate *r, double per_sec);
/* rp_relay_rate_reserve - take the next slot at or after now_ns; returns how long to wait (ns). */
uint64_t rp_relay_rate_reserve(struct rp_relay_rate *r, uint64_t now_ns);
/* rp_relay_rate_wait - reserve a slot against CLOCK_MONOTONIC and sleep until it. */
void rp_relay_rate_wait(struct rp_relay_rate *r);

/* rp_relay_check_target - RP_OK for a public address, or for any when allow_private; otherwise
 * RP_EINVAL with the scope in diag. */
int rp_relay_check_target(const struct rp_addr *a, bool allow_private, struct rp_diag *diag);

/* ---- the tests ---- */
enum rp_relay_verdict {
	RP_RELAY_REFUSED = 0, /* the server refused RCPT (or MAIL) for this test */
	RP_RELAY_RELAYED,     /* RCPT accepted for an address that routes outside: an open relay */
	RP_RELAY_ACCEPTED,    /* control test: a local recipient was accepted (expected) */
	RP_RELAY_ERROR,       /* no answer: connection, timeout or protocol error */
};
const char *rp_relay_verdict_name(enum rp_relay_verdict v);
/* rp_relay_verdict_of - the verdict for the server's RCPT reply code (0 = no reply). */
enum rp_relay_verdict rp_relay_verdict_of(int rcpt_code, bool outside);

/* One test case: envelope sender and recipient, and whether the recipient routes outside. */
struct rp_relay_case {
	char name[32];
	char mail_from[320];
	char rcpt_to[320];
	bool outside;
};
/* rp_relay_cases - fill out[] (room for max) with the tests for these domains; ip is the
 * server's address as text. Returns the number filled. */
size_t rp_relay_cases(const char *outside, const char *local, const char *ip, struct rp_relay_case *out, size_t max);
#define RP_RELAY_MAX_CASES 32

struct rp_relay_test {
	char *name;         /* e.g. "percent-hack" */
	char *phase;        /* "smtp", "starttls" or "submission" */
	char *mail_from, *rcpt_to;
	bool outside;
	enum rp_relay_verdict verdict;
	int code;           /* the RCPT (or refusing MAIL) reply code; 0 if none */
	char *transcript;
};

struct rp_relay_report {
	struct rp_relay_test *tests;
	size_t n, cap;
	char banner[256];   /* the first greeting line seen */
	bool tls_offered;   /* STARTTLS was in the EHLO reply (plain phase) */
	bool tls_done;      /* the STARTTLS phase ran */
	size_t relayed, refused, errors, connections;
};

struct rp_relay_config {
	struct rp_addr addr;       /* target (already resolved by the caller) */
	unsigned port;             /* 25 if 0 */
	const char *helo;          /* our EHLO name */
	const char *outside;       /* a domain the server must not relay to */
	const char *local;         /* a domain the server accepts mail for (the control test) */
	bool starttls;             /* run the tests again after STARTTLS when offered */
	bool submission;           /* run the tests on submission_port without AUTH */
	unsigned submission_port;  /* 587 if 0 */
	bool allow_private;
	double rate;               /* connections per second; 1 if 0 */
	int timeout_ms;            /* per read/write/connect; 10000 if 0 */
	unsigned per_session;      /* tests per connection; 6 if 0 (servers drop clients after many errors) */
};

/* rp_relay_scan - run all tests; fills report (init it to zeros; fini it after, also on error).
 * Returns RP_OK when at least one test got an answer, RP_EINVAL for a refused target or a bad
 * config, RP_EIO when the server could not be reached or greeted. */
int rp_relay_scan(const struct rp_relay_config *cfg, struct rp_relay_report *report, struct rp_diag *diag);
/* rp_relay_report_fini - free every test. */
void rp_relay_report_fini(struct rp_relay_report *report);

#endif
