/* relayscan_smtp.c - the scanner's SMTP client: connect with a timeout, send command lines,
 * read (multi-line) replies through a bounded line reader, STARTTLS via OpenSSL, and keep a
 * transcript of both directions. Every read and write waits at most timeout_ms (poll), every
 * line is at most RP_SMTP_LINE_MAX bytes and every reply at most RP_SMTP_REPLY_LINES lines, so
 * a hostile or broken server can neither stall nor flood the scanner. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "repute/alloc.h"
#include "repute/relayscan.h"

/* log_add - append "P: line\n" to the transcript. */
static void log_add(struct rp_smtp *s, char who, const char *line, size_t n)
{
	size_t need = s->log_len + n + 5;

	if (need > s->log_cap) {
		s->log_cap = need * 2;
		s->log = xrealloc(s->log, s->log_cap);
	}
	s->log[s->log_len++] = who;
	s->log[s->log_len++] = ':';
	s->log[s->log_len++] = ' ';
	memcpy(s->log + s->log_len, line, n);
	s->log_len += n;
	s->log[s->log_len++] = '\n';
	s->log[s->log_len] = '\0';
}

/* rp_smtp_init - wrap a connected socket. */
void rp_smtp_init(struct rp_smtp *s, int fd, int timeout_ms)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
}

/* rp_smtp_fini - close TLS and the socket, free the transcript. */
void rp_smtp_fini(struct rp_smtp *s)
{
	if (s == NULL)
		return;
	if (s->ssl != NULL) {
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	if (s->ctx != NULL)
		SSL_CTX_free(s->ctx);
	if (s->fd >= 0)
		close(s->fd);
	xfree(s->log);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

/* rp_smtp_take_transcript - hand over the transcript and start a new one. */
char *rp_smtp_take_transcript(struct rp_smtp *s)
{
	char *t = s->log != NULL ? s->log : xstrdup("");

	s->log = NULL;
	s->log_len = s->log_cap = 0;
	return t;
}

/* rp_smtp_connect - non-blocking connect bounded by timeout_ms, then back to blocking. */
int rp_smtp_connect(const struct rp_addr *addr, unsigned port, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	memset(&ss, 0, sizeof(ss));
	if (addr->family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, addr->b, 4);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		memcpy(&sin6->sin6_addr, addr->b, 16);
		len = sizeof(*sin6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int rc;
		if (errno != EINPROGRESS)
			goto fail;
		rc = poll(&p, 1, timeout_ms);
		if (rc == 0)
			errno = ETIMEDOUT;
		if (rc <= 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* mono_ns - CLOCK_MONOTONIC in nanoseconds. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* start_deadline - the current operation must end within timeout_ms from now. */
static void start_deadline(struct rp_smtp *s)
{
	s->deadline_ns = mono_ns() + (uint64_t)s->timeout_ms * 1000000u;
}

/* wait_fd - poll for events until the deadline; RP_EIO with a reason otherwise. */
static int wait_fd(struct rp_smtp *s, short events, struct rp_diag *diag)
{
	struct pollfd p = { .fd = s->fd, .events = events };
	int rc;

	do {
		uint64_t now = mono_ns();
		int ms = s->timeout_ms;
		if (s->deadline_ns != 0)
			ms = now >= s->deadline_ns ? 0 : (int)((s->deadline_ns - now + 999999u) / 1000000u);
		rc = poll(&p, 1, ms);
	} while (rc < 0 && errno == EINTR);
	if (rc == 0) {
		rp_diag_set(diag, 0, 0, "timeout after %d ms", s->timeout_ms);
		errno = ETIMEDOUT;
		return RP_EIO;
	}
	if (rc < 0) {
		rp_diag_set(diag, 0, 0, "poll: %s", strerror(errno));
		return RP_EIO;
	}
	return RP_OK;
}

/* fill - read more bytes into s->in; RP_EIO on timeout, EOF or error. */
static int fill(struct rp_smtp *s, struct rp_diag *diag)
{
	size_t room = sizeof(s->in) - s->in_len;
	ssize_t n;
	int rc;

	if (s->ssl == NULL || SSL_pending(s->ssl) == 0)
		if ((rc = wait_fd(s, POLLIN, diag)) != RP_OK)
			return rc;
	if (s->ssl != NULL) {
		int k = SSL_read(s->ssl, s->in + s->in_len, (int)room);
		if (k <= 0) {
			int e = SSL_get_error(s->ssl, k);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return RP_OK;
			rp_diag_set(diag, 0, 0, "TLS read failed or connection closed");
			return RP_EIO;
		}
		n = k;
	} else {
		do
			n = read(s->fd, s->in + s->in_len, room);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			rp_diag_set(diag, 0, 0, n == 0 ? "connection closed by server" : "read: %s", strerror(errno));
			return RP_EIO;
		}
	}
	s->in_len += (size_t)n;
	return RP_OK;
}

/* read_line - one line without CR/LF into line (RP_SMTP_LINE_MAX + 1 bytes); sets *len. */
static int read_line(struct rp_smtp *s, char *line, size_t *len, struct rp_diag *diag)
{
	for (;;) {
		char *nl = memchr(s->in, '\n', s->in_len);
		if (nl != NULL) {
			size_t n = (size_t)(nl - s->in), used = n + 1;
			if (n > 0 && s->in[n - 1] == '\r')
				n--;
			if (n > RP_SMTP_LINE_MAX) {
				rp_diag_set(diag, 0, 0, "reply line of %zu bytes (limit %d)", n, RP_SMTP_LINE_MAX);
				return RP_ETOOBIG;
			}
			memcpy(line, s->in, n);
			line[n] = '\0';
			*len = n;
			memmove(s->in, s->in + used, s->in_len - used);
			s->in_len -= used;
			return RP_OK;
		}
		if (s->in_len > RP_SMTP_LINE_MAX + 1) {
			rp_diag_set(diag, 0, 0, "reply line over %d bytes", RP_SMTP_LINE_MAX);
			return RP_ETOOBIG;
		}
		int rc = fill(s, diag);
		if (rc != RP_OK)
			return rc;
	}
}

/* add_text - append one reply line's text to r->text (joined by '\n', truncated). */
static void add_text(struct rp_smtp_reply *r, const char *t)
{
	size_t have = strlen(r->text);

	if (have > 0 && have + 1 < sizeof(r->text))
		r->text[have++] = '\n';
	snprintf(r->text + have, sizeof(r->text) - have, "%s", t);
}

/* parse_line - check "DDD", "DDD text" or "DDD-text"; returns the code or -1; *more for '-'. */
static int parse_line(const char *line, size_t n, bool *more)
{
	if (n < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9')
		return -1;
	if (n > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	*more = n > 3 && line[3] == '-';
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/* rp_smtp_read_reply - read one reply, all its lines, checking format and limits. */
int rp_smtp_read_reply(struct rp_smtp *s, struct rp_smtp_reply *r, struct rp_diag *diag)
{
	char line[RP_SMTP_LINE_MAX + 1];
	bool more = true;
	size_t n;
	int rc, code;

	memset(r, 0, sizeof(*r));
	start_deadline(s);
	while (more) {
		if (r->nlines >= RP_SMTP_REPLY_LINES) {
			rp_diag_set(diag, 0, 0, "reply of more than %d lines", RP_SMTP_REPLY_LINES);
			return RP_ETOOBIG;
		}
		if ((rc = read_line(s, line, &n, diag)) != RP_OK)
			return rc;
		log_add(s, 'S', line, n);
		code = parse_line(line, n, &more);
		if (code < 0 || (r->nlines > 0 && code != r->code)) {
			rp_diag_set(diag, r->nlines + 1, 0, code < 0 ? "malformed reply line" : "reply code changed within a reply");
			return RP_EPARSE;
		}
		r->code = code;
		r->nlines++;
		add_text(r, n > 4 ? line + 4 : "");
	}
	return RP_OK;
}

/* write_all - send n bytes within the timeout. */
static int write_all(struct rp_smtp *s, const char *p, size_t n, struct rp_diag *diag)
{
	start_deadline(s);
	while (n > 0) {
		ssize_t k;
		int rc = wait_fd(s, POLLOUT, diag);
		if (rc != RP_OK)
			return rc;
		if (s->ssl != NULL) {
			int w = SSL_write(s->ssl, p, (int)n);
			k = w > 0 ? w : -1;
		} else {
			k = send(s->fd, p, n, MSG_NOSIGNAL);
		}
		if (k < 0 && errno == EINTR && s->ssl == NULL)
			continue;
		if (k <= 0) {
			rp_diag_set(diag, 0, 0, "write failed: %s", strerror(errno));
			return RP_EIO;
		}
		p += k;
		n -= (size_t)k;
	}
	return RP_OK;
}

/* rp_smtp_command - format, log and send one command line, then read the reply. */
int rp_smtp_command(struct rp_smtp *s, struct rp_smtp_reply *r, struct rp_diag *diag, const char *fmt, ...)
{
	char line[RP_SMTP_LINE_MAX + 3];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2 || strpbrk(line, "\r\n") != NULL) {
		rp_diag_set(diag, 0, 0, "command too long or contains CR/LF");
		return RP_EINVAL;
	}
	log_add(s, 'C', line, (size_t)n);
	memcpy(line + n, "\r\n", 2);
	if ((rc = write_all(s, line, (size_t)n + 2, diag)) != RP_OK)
		return rc;
	return rp_smtp_read_reply(s, r, diag);
}

/* handshake - the TLS client handshake on s->fd within the timeout. */
static int handshake(struct rp_smtp *s, struct rp_diag *diag)
{
	s->ctx = SSL_CTX_new(TLS_client_method());
	if (s->ctx == NULL)
		goto fail;
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_NONE, NULL);
	start_deadline(s);
	s->ssl = SSL_new(s->ctx);
	if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1)
		goto fail;
	for (;;) {
		int k = SSL_connect(s->ssl), e, rc;
		if (k == 1)
			break;
		e = SSL_get_error(s->ssl, k);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			goto fail;
		if ((rc = wait_fd(s, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, diag)) != RP_OK)
			return rc;
	}
	log_add(s, '-', "TLS established", 15);
	return RP_OK;
fail:;
	const char *why = ERR_reason_error_string(ERR_peek_last_error());
	rp_diag_set(diag, 0, 0, "TLS handshake failed: %s", why != NULL ? why : "unknown");
	ERR_clear_error();
	if (s->ssl != NULL)
		SSL_free(s->ssl);
	s->ssl = NULL;
	return RP_EIO;
}

/* rp_smtp_starttls - STARTTLS, then the handshake; buffered plaintext after 220 is an error. */
int rp_smtp_starttls(struct rp_smtp *s, struct rp_diag *diag)
{
	struct rp_smtp_reply r;
	int rc = rp_smtp_command(s, &r, diag, "STARTTLS");

	if (rc != RP_OK)
		return rc;
	if (r.code != 220) {
		rp_diag_set(diag, 0, 0, "STARTTLS refused: %d", r.code);
		return RP_EUNSUPP;
	}
	if (s->in_len > 0) { /* STARTTLS command injection defence (CVE-2011-0411 style) */
		rp_diag_set(diag, 0, 0, "server sent data after 220 to STARTTLS");
		return RP_EPARSE;
	}
	return handshake(s, diag);
}

/* rp_smtp_reply_has - a line whose first word is kw. */
bool rp_smtp_reply_has(const struct rp_smtp_reply *r, const char *kw)
{
	size_t k = strlen(kw);
	const char *p = r->text;

	while (*p != '\0') {
		if (strncasecmp(p, kw, k) == 0 && (p[k] == '\0' || p[k] == ' ' || p[k] == '\n'))
			return true;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return false;
}
