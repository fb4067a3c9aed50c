/* test_relayscan.c - the relay scanner: SMTP reply parsing over a socketpair (multi-line,
 * malformed, code changes, timeout, trickle, EOF, oversize lines, too many lines, CR/LF
 * injection, STARTTLS refused or followed by injected plaintext),
 * the verdict table and test cases, the private-range refusal, the rate limit arithmetic, and
 * whole scans against a scripted fake SMTP server (a loopback listener thread) behaving as an
 * open relay, a closed server, a server that drops the connection and one that answers 421;
 * the fake server also checks that DATA never arrives and that connections are spaced. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "repute/error.h"
#include "repute/netaddr.h"
#include "repute/relayscan.h"

/* ---- reply parsing over a socketpair ---- */

struct pair {
	struct rp_smtp s;
	int peer;
};

/* pair_open - an rp_smtp on one end of a socketpair, the test writes to the other. */
static void pair_open(struct pair *p, int timeout_ms)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	rp_smtp_init(&p->s, sv[0], timeout_ms);
	p->peer = sv[1];
}

/* pair_close - both ends. */
static void pair_close(struct pair *p)
{
	rp_smtp_fini(&p->s);
	if (p->peer >= 0)
		close(p->peer);
}

/* feed - the peer writes text. */
static void feed(struct pair *p, const char *text, size_t n)
{
	assert_int_equal(write(p->peer, text, n), (ssize_t)n);
}

static void test_reply_multiline(void **state)
{
	struct pair p;
	struct rp_smtp_reply r;
	struct rp_diag d = { 0 };
	static const char text[] = "250-mx.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 SIZE 100\r\n354 go\n";
	char *t;

	(void)state;
	pair_open(&p, 1000);
	feed(&p, text, sizeof(text) - 1);
	assert_int_equal(rp_smtp_read_reply(&p.s, &r, &d), RP_OK);
	assert_int_equal(r.code, 250);
	assert_int_equal(r.nlines, 4);
	assert_string_equal(r.text, "mx.example\nPIPELINING\nSTARTTLS\nSIZE 100");
	assert_true(rp_smtp_reply_has(&r, "starttls"));
	assert_true(rp_smtp_reply_has(&r, "SIZE"));
	assert_false(rp_smtp_reply_has(&r, "AUTH"));
	assert_false(rp_smtp_reply_has(&r, "START"));
	/* bare LF accepted; the second reply was already buffered */
	assert_int_equal(rp_smtp_read_reply(&p.s, &r, &d), RP_OK);
	assert_int_equal(r.code, 354);
	assert_string_equal(r.text, "go");
	t = rp_smtp_take_transcript(&p.s);
	assert_string_equal(t, "S: 250-mx.example\nS: 250-PIPELINING\nS: 250-STARTTLS\nS: 250 SIZE 100\nS: 354 go\n");
	free(t);
	pair_close(&p);
}

static void test_reply_bad(void **state)
{
	static const struct { const char *name, *input; int rc; } cases[] = {
		{ "not a reply", "hello world\r\n", RP_EPARSE },
		{ "letters in code", "2x0 ok\r\n", RP_EPARSE },
		{ "code 600", "600 odd\r\n", RP_EPARSE },
		{ "no separator", "250ok\r\n", RP_EPARSE },
		{ "code changes", "250-a\r\n251 b\r\n", RP_EPARSE },
		{ "short", "25\r\n", RP_EPARSE },
		{ "eof mid-reply", "250-a\r\n", RP_EIO },
		{ "eof", "", RP_EIO },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pair p;
		struct rp_smtp_reply r;
		struct rp_diag d = { 0 };
		pair_open(&p, 2000);
		feed(&p, cases[i].input, strlen(cases[i].input));
		shutdown(p.peer, SHUT_WR);
		int rc = rp_smtp_read_reply(&p.s, &r, &d);
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d, want %d (%s)", cases[i].name, rc, cases[i].rc, d.reason);
		assert_true(d.reason[0] != '\0');
		pair_close(&p);
	}
}

static void test_reply_bare_code(void **state)
{
	struct pair p;
	struct rp_smtp_reply r;

	(void)state;
	pair_open(&p, 1000);
	feed(&p, "250\r\n", 5);
	assert_int_equal(rp_smtp_read_reply(&p.s, &r, NULL), RP_OK);
	assert_int_equal(r.code, 250);
	assert_string_equal(r.text, "");
	pair_close(&p);
}

static void test_reply_timeout(void **state)
{
	struct pair p;
	struct rp_smtp_reply r;
	struct rp_diag d = { 0 };
	struct timespec a, b;
	long ms;

	(void)state;
	pair_open(&p, 150);
	feed(&p, "250-part", 8); /* an unfinished line, then silence */
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(rp_smtp_read_reply(&p.s, &r, &d), RP_EIO);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms >= 140 && ms < 2000);
	assert_non_null(strstr(d.reason, "timeout"));
	pair_close(&p);
}

/* trickle - write "250-" one byte every 40 ms for 2 s (a server stretching the timeout). */
static void *trickle(void *arg)
{
	int fd = *(int *)arg;
	struct timespec ts = { 0, 40000000 };

	for (int i = 0; i < 50; i++) {
		if (send(fd, &"250-"[i % 4], 1, MSG_NOSIGNAL) != 1)
			break;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void test_reply_trickle(void **state)
{
	struct pair p;
	struct rp_smtp_reply r;
	struct rp_diag d = { 0 };
	struct timespec a, b;
	pthread_t thr;
	long ms;

	(void)state;
	pair_open(&p, 200);
	assert_int_equal(pthread_create(&thr, NULL, trickle, &p.peer), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(rp_smtp_read_reply(&p.s, &r, &d), RP_EIO);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms >= 190 && ms < 1500); /* the whole reply is bounded, not each byte (2 s of bytes) */
	rp_smtp_fini(&p.s);                 /* the writer then fails with EPIPE and stops */
	pthread_join(thr, NULL);
	close(p.peer);
}

static void test_reply_oversize(void **state)
{
	char big[3000];
	struct pair p;
	struct rp_smtp_reply r;
	struct rp_diag d = { 0 };

	(void)state;
	/* a line over the limit with its newline */
	memset(big, 'a', sizeof(big));
	memcpy(big, "250 ", 4);
	big[RP_SMTP_LINE_MAX + 10] = '\n';
	pair_open(&p, 1000);
	feed(&p, big, RP_SMTP_LINE_MAX + 11);
	assert_int_equal(rp_smtp_read_reply(&p.s, &r, &d), RP_ETOOBIG);
	pair_close(&p);
	/* an endless line without newline: stops at the limit, not at EOF or timeout */
	pair_open(&p, 5000);
	feed(&p, big, sizeof(big));
	assert_int_equal(rp_smtp_read_reply(&p.s, &r, &d), RP_ETOOBIG);
	pair_close(&p);
	/* a line of exactly the limit is fine */
	pair_open(&p, 1000);
	big[RP_SMTP_LINE_MAX] = '\n';
	feed(&p, big, RP_SMTP_LINE_MAX + 1);
	assert_int_equal(rp_smtp_read_reply(&p.s, &r, &d), RP_OK);
	assert_int_equal(strlen(r.text), RP_SMTP_LINE_MAX - 4);
	pair_close(&p);
}

static void test_reply_too_many_lines(void **state)
{
	struct pair p;
	struct rp_smtp_reply r;
	struct rp_diag d = { 0 };

	(void)state;
	pair_open(&p, 1000);
	for (int i = 0; i < RP_SMTP_REPLY_LINES + 5; i++)
		feed(&p, "250-x\r\n", 7);
	assert_int_equal(rp_smtp_read_reply(&p.s, &r, &d), RP_ETOOBIG);
	pair_close(&p);
}

static void test_command_injection(void **state)
{
	struct pair p;
	struct rp_smtp_reply r;
	struct rp_diag d = { 0 };
	char buf[64];

	(void)state;
	pair_open(&p, 1000);
	assert_int_equal(rp_smtp_command(&p.s, &r, &d, "RCPT TO:<%s>", "a@b>\r\nDATA"), RP_EINVAL);
	feed(&p, "250 ok\r\n", 8);
	assert_int_equal(rp_smtp_command(&p.s, &r, &d, "NOOP"), RP_OK);
	assert_int_equal(read(p.peer, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "NOOP\r\n", 6);
	pair_close(&p);
}

static void test_starttls_refused_and_injection(void **state)
{
	struct pair p;
	struct rp_diag d = { 0 };

	(void)state;
	pair_open(&p, 1000);
	feed(&p, "454 4.7.0 TLS not available\r\n", 30);
	assert_int_equal(rp_smtp_starttls(&p.s, &d), RP_EUNSUPP);
	pair_close(&p);
	/* plaintext pipelined after "220" would be read as if it came inside TLS: refused */
	pair_open(&p, 1000);
	feed(&p, "220 go ahead\r\n250 injected\r\n", 29);
	assert_int_equal(rp_smtp_starttls(&p.s, &d), RP_EPARSE);
	assert_non_null(strstr(d.reason, "after 220"));
	pair_close(&p);
	/* a peer that is not TLS at all: the handshake fails cleanly (EOF) */
	pair_open(&p, 1000);
	feed(&p, "220 go ahead\r\n", 14);
	shutdown(p.peer, SHUT_WR);
	assert_int_equal(rp_smtp_starttls(&p.s, &d), RP_EIO);
	assert_null(p.s.ssl);
	pair_close(&p);
}

/* ---- verdicts, cases, targets, rate ---- */

static void test_verdicts(void **state)
{
	(void)state;
	assert_int_equal(rp_relay_verdict_of(250, true), RP_RELAY_RELAYED);
	assert_int_equal(rp_relay_verdict_of(251, true), RP_RELAY_RELAYED);
	assert_int_equal(rp_relay_verdict_of(250, false), RP_RELAY_ACCEPTED);
	assert_int_equal(rp_relay_verdict_of(554, true), RP_RELAY_REFUSED);
	assert_int_equal(rp_relay_verdict_of(450, true), RP_RELAY_REFUSED);
	assert_int_equal(rp_relay_verdict_of(354, true), RP_RELAY_ERROR);
	assert_int_equal(rp_relay_verdict_of(0, true), RP_RELAY_ERROR);
	assert_string_equal(rp_relay_verdict_name(RP_RELAY_RELAYED), "relayed");
	assert_string_equal(rp_relay_verdict_name(RP_RELAY_REFUSED), "refused");
}

/* find_case - the case named name. */
static const struct rp_relay_case *find_case(const struct rp_relay_case *c, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return &c[i];
	fail_msg("no case %s", name);
	return NULL;
}

static void test_cases(void **state)
{
	struct rp_relay_case c[RP_RELAY_MAX_CASES];
	size_t n = rp_relay_cases("out.example", "local.test", "192.0.2.1", c, RP_RELAY_MAX_CASES);

	(void)state;
	assert_true(n >= 15);
	assert_false(c[0].outside); /* the control */
	assert_string_equal(find_case(c, n, "percent-hack")->rcpt_to, "relaytest%out.example@local.test");
	assert_string_equal(find_case(c, n, "bang-path")->rcpt_to, "out.example!relaytest");
	assert_string_equal(find_case(c, n, "double-at")->rcpt_to, "relaytest@out.example@local.test");
	assert_string_equal(find_case(c, n, "quoted")->rcpt_to, "\"relaytest@out.example\"@local.test");
	assert_string_equal(find_case(c, n, "source-route")->rcpt_to, "@local.test:relaytest@out.example");
	assert_string_equal(find_case(c, n, "percent-literal")->rcpt_to, "relaytest%out.example@[192.0.2.1]");
	assert_string_equal(find_case(c, n, "uppercase")->rcpt_to, "relaytest@OUT.EXAMPLE");
	assert_string_equal(find_case(c, n, "percent-hack-upper")->rcpt_to, "relaytest%OUT.EXAMPLE@LOCAL.TEST");
	assert_string_equal(find_case(c, n, "null-sender")->mail_from, "");
	for (size_t i = 0; i < n; i++) {
		assert_null(strpbrk(c[i].rcpt_to, "\r\n"));
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(c[i].name, c[j].name);
		if (i > 0)
			assert_true(c[i].outside);
	}
	assert_int_equal(rp_relay_cases("o", "l", "1.2.3.4", c, 3), 3);
}

static void test_private_targets(void **state)
{
	static const struct { const char *ip; bool ok; } cases[] = {
		{ "8.8.8.8", true },   { "2a00:1450::1", true }, { "127.0.0.1", false }, { "10.1.2.3", false },
		{ "192.168.0.1", false }, { "172.16.0.1", false }, { "169.254.1.1", false }, { "100.64.0.1", false },
		{ "::1", false },      { "fe80::1", false },     { "fd00::1", false },    { "0.0.0.0", false },
		{ "192.0.2.1", false },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rp_addr a;
		struct rp_diag d = { 0 };
		assert_int_equal(rp_addr_parse(cases[i].ip, &a), 0);
		int rc = rp_relay_check_target(&a, false, &d);
		if ((rc == RP_OK) != cases[i].ok)
			fail_msg("%s: rc %d", cases[i].ip, rc);
		if (!cases[i].ok)
			assert_non_null(strstr(d.reason, "--allow-private"));
		assert_int_equal(rp_relay_check_target(&a, true, NULL), RP_OK);
	}
	struct rp_addr none = { 0 };
	assert_int_equal(rp_relay_check_target(&none, true, NULL), RP_EINVAL);
}

static void test_rate_reserve(void **state)
{
	struct rp_relay_rate r;
	const uint64_t s = 1000000000u;

	(void)state;
	rp_relay_rate_init(&r, 2);
	assert_int_equal(rp_relay_rate_reserve(&r, 10 * s), 0);
	assert_int_equal(rp_relay_rate_reserve(&r, 10 * s), s / 2);
	assert_int_equal(rp_relay_rate_reserve(&r, 10 * s + s / 4), 3 * s / 4); /* slot at 11 s */
	assert_int_equal(rp_relay_rate_reserve(&r, 20 * s), 0);           /* idle: no debt */
	rp_relay_rate_init(&r, 0);                                        /* clamped, not a division by 0 */
	assert_int_equal(rp_relay_rate_reserve(&r, s), 0);
	assert_int_equal(rp_relay_rate_reserve(&r, s), 1000 * s);
}

/* ---- whole scans against a fake server ---- */

enum fake_mode { FAKE_OPEN, FAKE_CLOSED, FAKE_DROP, FAKE_421, FAKE_BAD_GREETING };

struct fake {
	int lfd;
	unsigned port;
	enum fake_mode mode;
	volatile int stop;
	int conns, data_seen, commands;
	uint64_t accepted_ns[64];
	pthread_t thr;
};

/* mono_ns - CLOCK_MONOTONIC in ns. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* say - write a reply. */
static void say(int fd, const char *s)
{
	(void)!send(fd, s, strlen(s), MSG_NOSIGNAL);
}

/* get_line - read one line byte by byte (the fake is slow and simple); false on EOF. */
static bool get_line(int fd, char *line, size_t size)
{
	size_t n = 0;
	char ch;

	while (read(fd, &ch, 1) == 1) {
		if (ch == '\n') {
			if (n > 0 && line[n - 1] == '\r')
				n--;
			line[n] = '\0';
			return true;
		}
		if (n + 1 < size)
			line[n++] = ch;
	}
	return false;
}

/* answer - the fake's reply to one command; false to hang up. */
static bool answer(struct fake *f, int fd, const char *line, int ncmd)
{
	f->commands++;
	if (f->mode == FAKE_DROP && ncmd == 5)
		return false;
	if (strncmp(line, "EHLO", 4) == 0)
		say(fd, "250-fake.local.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
	else if (strncmp(line, "MAIL", 4) == 0)
		say(fd, "250 2.1.0 ok\r\n");
	else if (strncmp(line, "RCPT", 4) == 0) {
		if (f->mode == FAKE_421) {
			say(fd, "421 4.7.0 go away\r\n");
			return false;
		}
		bool local = strcmp(line, "RCPT TO:<postmaster@local.test>") == 0;
		say(fd, f->mode == FAKE_CLOSED && !local ? "554 5.7.1 Relay access denied\r\n" : "250 2.1.5 ok\r\n");
	} else if (strncmp(line, "DATA", 4) == 0) {
		f->data_seen++;
		say(fd, "354 go\r\n");
	} else if (strncmp(line, "QUIT", 4) == 0) {
		say(fd, "221 bye\r\n");
		return false;
	} else
		say(fd, "250 ok\r\n");
	return true;
}

/* fake_main - accept connections until told to stop; one at a time. */
static void *fake_main(void *arg)
{
	struct fake *f = arg;
	char line[1100];

	while (!f->stop) {
		struct pollfd p = { .fd = f->lfd, .events = POLLIN };
		if (poll(&p, 1, 20) <= 0)
			continue;
		int fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		if (f->conns < 64)
			f->accepted_ns[f->conns] = mono_ns();
		f->conns++;
		say(fd, f->mode == FAKE_BAD_GREETING ? "554 no service\r\n" : "220 fake ESMTP\r\n");
		for (int n = 1; get_line(fd, line, sizeof(line)) && answer(f, fd, line, n); n++)
			;
		close(fd);
	}
	return NULL;
}

/* fake_start - listen on 127.0.0.1 (an ephemeral port) and start the thread. */
static void fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(f->lfd, 8), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sin, &len), 0);
	f->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&f->thr, NULL, fake_main, f), 0);
}

/* fake_stop - stop the thread and close the socket. */
static void fake_stop(struct fake *f)
{
	f->stop = 1;
	pthread_join(f->thr, NULL);
	close(f->lfd);
}

/* config_for - a scan of the fake. */
static struct rp_relay_config config_for(const struct fake *f)
{
	struct rp_relay_config c = { .port = f->port, .helo = "scanner.test", .outside = "out.example",
				     .local = "local.test", .allow_private = true, .rate = 200, .timeout_ms = 2000 };

	assert_int_equal(rp_addr_parse("127.0.0.1", &c.addr), 0);
	return c;
}

static void test_scan_open(void **state)
{
	struct fake f;
	struct rp_relay_report rep = { 0 };
	struct rp_diag d = { 0 };

	(void)state;
	fake_start(&f, FAKE_OPEN);
	struct rp_relay_config c = config_for(&f);
	assert_int_equal(rp_relay_scan(&c, &rep, &d), RP_OK);
	fake_stop(&f);
	assert_true(rep.n >= 15);
	assert_int_equal(rep.relayed, rep.n - 1);
	assert_int_equal(rep.tests[0].verdict, RP_RELAY_ACCEPTED);
	assert_int_equal(rep.errors, 0);
	assert_int_equal(f.data_seen, 0);
	assert_int_equal(rep.connections, (rep.n + 5) / 6);
	assert_int_equal(f.conns, (int)rep.connections);
	assert_false(rep.tls_offered);
	assert_string_equal(rep.banner, "220 fake ESMTP");
	assert_non_null(strstr(rep.tests[0].transcript, "S: 220 fake ESMTP\nC: EHLO scanner.test\n"));
	assert_non_null(strstr(rep.tests[1].transcript, "C: RCPT TO:<relaytest@out.example>\nS: 250 2.1.5 ok\nC: RSET\n"));
	rp_relay_report_fini(&rep);
}

static void test_scan_closed(void **state)
{
	struct fake f;
	struct rp_relay_report rep = { 0 };
	struct rp_diag d = { 0 };

	(void)state;
	fake_start(&f, FAKE_CLOSED);
	struct rp_relay_config c = config_for(&f);
	c.starttls = true; /* not offered: the phase is skipped */
	assert_int_equal(rp_relay_scan(&c, &rep, &d), RP_OK);
	fake_stop(&f);
	assert_int_equal(rep.relayed, 0);
	assert_int_equal(rep.refused, rep.n - 1);
	assert_int_equal(rep.tests[0].verdict, RP_RELAY_ACCEPTED);
	assert_false(rep.tls_done);
	assert_string_equal(d.reason, "STARTTLS not offered: TLS phase skipped");
	assert_int_equal(f.data_seen, 0);
	for (size_t i = 1; i < rep.n; i++)
		assert_int_equal(rep.tests[i].code, 554);
	rp_relay_report_fini(&rep);
}

static void test_scan_drop_and_421(void **state)
{
	struct fake f;
	struct rp_relay_report rep = { 0 };
	struct rp_diag d = { 0 };

	(void)state;
	/* the server hangs up on the 5th command (EHLO, MAIL, RCPT, RSET, then the 2nd test's MAIL):
	 * each session gets one test answered and one error, and the scan goes on in new sessions */
	fake_start(&f, FAKE_DROP);
	struct rp_relay_config c = config_for(&f);
	assert_int_equal(rp_relay_scan(&c, &rep, &d), RP_OK);
	fake_stop(&f);
	assert_true(rep.n >= 15);
	for (size_t i = 0; i < rep.n; i++)
		assert_int_equal(rep.tests[i].verdict, i % 2 ? RP_RELAY_ERROR : i ? RP_RELAY_RELAYED : RP_RELAY_ACCEPTED);
	assert_non_null(strstr(rep.tests[1].transcript, "C: MAIL FROM:<relaytest@out.example>\n-: connection closed by server"));
	assert_int_equal(rep.connections, (rep.n + 1) / 2);
	assert_int_equal(rep.relayed + rep.errors + 1, rep.n);
	assert_int_equal(f.data_seen, 0);
	rp_relay_report_fini(&rep);

	memset(&rep, 0, sizeof(rep));
	fake_start(&f, FAKE_421);
	c = config_for(&f);
	assert_int_equal(rp_relay_scan(&c, &rep, &d), RP_OK);
	fake_stop(&f);
	assert_int_equal(rep.relayed, 0);
	assert_int_equal(rep.tests[0].verdict, RP_RELAY_REFUSED);
	assert_int_equal(rep.tests[0].code, 421);
	assert_int_equal(f.conns, (int)rep.n); /* 421 ends the session: one connection per test */
	rp_relay_report_fini(&rep);
}

static void test_scan_refusals(void **state)
{
	struct fake f;
	struct rp_relay_report rep = { 0 };
	struct rp_diag d = { 0 };

	(void)state;
	fake_start(&f, FAKE_OPEN);
	struct rp_relay_config c = config_for(&f);
	c.allow_private = false;
	assert_int_equal(rp_relay_scan(&c, &rep, &d), RP_EINVAL);
	assert_non_null(strstr(d.reason, "loopback"));
	c.allow_private = true;
	c.outside = "out.example>\r\nDATA";
	assert_int_equal(rp_relay_scan(&c, &rep, &d), RP_EINVAL);
	fake_stop(&f);
	assert_int_equal(f.conns, 0); /* refused before any connection */
	assert_int_equal(rep.n, 0);
	rp_relay_report_fini(&rep);

	fake_start(&f, FAKE_BAD_GREETING);
	c = config_for(&f);
	assert_int_equal(rp_relay_scan(&c, &rep, &d), RP_EIO);
	fake_stop(&f);
	assert_int_equal(f.conns, 2); /* one retry, then the phase is given up */
	assert_string_equal(rep.banner, "554 no service");
	rp_relay_report_fini(&rep);
}

static void test_scan_rate(void **state)
{
	struct fake f;
	struct rp_relay_report rep = { 0 };
	struct rp_diag d = { 0 };

	(void)state;
	fake_start(&f, FAKE_CLOSED);
	struct rp_relay_config c = config_for(&f);
	c.rate = 20; /* 50 ms apart */
	c.per_session = 4;
	uint64_t t0 = mono_ns();
	assert_int_equal(rp_relay_scan(&c, &rep, &d), RP_OK);
	uint64_t elapsed = mono_ns() - t0;
	fake_stop(&f);
	assert_true(f.conns >= 4);
	/* measured around the scan: scheduling delays on a loaded machine only add time */
	if (elapsed < (uint64_t)(f.conns - 1) * 50000000u)
		fail_msg("%d connections in %llu ns", f.conns, (unsigned long long)elapsed);
	/* and the accept times cannot all be early: the last came >= (n-1) * 50 ms after the scan began */
	assert_true(f.accepted_ns[f.conns - 1] - t0 >= (uint64_t)(f.conns - 1) * 50000000u);
	rp_relay_report_fini(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_multiline),   cmocka_unit_test(test_reply_bad),
		cmocka_unit_test(test_reply_bare_code),   cmocka_unit_test(test_reply_timeout), cmocka_unit_test(test_reply_trickle),
		cmocka_unit_test(test_reply_oversize),    cmocka_unit_test(test_reply_too_many_lines),
		cmocka_unit_test(test_command_injection), cmocka_unit_test(test_starttls_refused_and_injection),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_cases),             cmocka_unit_test(test_private_targets),
		cmocka_unit_test(test_rate_reserve),      cmocka_unit_test(test_scan_open),
		cmocka_unit_test(test_scan_closed),       cmocka_unit_test(test_scan_drop_and_421),
		cmocka_unit_test(test_scan_refusals),     cmocka_unit_test(test_scan_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
