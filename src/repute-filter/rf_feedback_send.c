/* rf_feedback_send.c - how repute-filter's reports and digests leave the machine.
 *
 * rf_feedback_send delivers an ARF report by feedback.transport: "http" POSTs it to the
 * centre (reputed's /v1/reports, Content-Type message/rfc822, Authorization: Bearer with the
 * provider's key) with a small blocking HTTP/1.1 client (plain http only, one request per
 * connection, bounded by feedback.timeout); "smtp" hands it to the sendmail command, which
 * submits it through the configured relay to feedback.report_to. rf_run_sendmail is shared with
 * the digest (rf_digest.c). */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/log.h"

#include "rf.h"

#define RF_HTTP_MAX_ANSWER (1 << 20)

/* rf_run_sendmail - see rf.h. */
int rf_run_sendmail(const char *command, const char *from, const char *rcpt, const char *data, size_t len)
{
	char *cmd = xstrdup(command), *save = NULL;
	char **argv = NULL;
	size_t n = 0;
	int fds[2], status;

	for (char *w = strtok_r(cmd, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		argv = xreallocarray(argv, n + 1, sizeof(char *));
		argv[n++] = w;
	}
	argv = xreallocarray(argv, n + 5, sizeof(char *));
	argv[n++] = "-f";
	argv[n++] = (char *)from;
	argv[n++] = "--";
	argv[n++] = (char *)rcpt;
	argv[n] = NULL;
	if (n < 5 || pipe(fds) != 0) {
		xfree(argv);
		xfree(cmd);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[0]);
	for (size_t off = 0; pid > 0 && off < len;) {
		ssize_t w = write(fds[1], data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fds[1]);
	int rc = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
	xfree(argv);
	xfree(cmd);
	return rc;
}

/* url_split - "http://HOST[:PORT]/PATH" into parts (caller frees host and path); false if not. */
static bool url_split(const char *url, char **host, char **port, char **path)
{
	const char *p = url, *slash, *colon;

	if (strncmp(p, "http://", 7) != 0)
		return false;
	p += 7;
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	colon = memchr(p, ':', (size_t)(slash - p));
	if (slash == p || colon == p)
		return false;
	*host = xstrndup(p, (size_t)((colon ? colon : slash) - p));
	*port = colon ? xstrndup(colon + 1, (size_t)(slash - colon - 1)) : xstrdup("80");
	*path = xstrdup(*slash ? slash : "/");
	return true;
}

/* dial - a connected TCP socket to host:port, or -1. */
static int dial(const char *host, const char *port, int timeout_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	int fd = -1;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

/* write_all - the whole buffer or false. */
static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* http_post - POST body to url; the status code (and the body into answer) or -1 with err. */
static int http_post(const struct rf_config *cfg, const struct buf *body, struct buf *answer, struct buf *err)
{
	char *host = NULL, *port = NULL, *path = NULL;
	struct buf rq, in;
	int status = -1;

	if (!url_split(cfg->fb_centre_url, &host, &port, &path)) {
		buf_printf(err, "feedback.centre_url \"%s\" is not http://HOST[:PORT]/PATH", cfg->fb_centre_url);
		return -1;
	}
	int fd = dial(host, port, (int)cfg->fb_timeout * 1000);
	if (fd < 0) {
		buf_printf(err, "cannot connect to %s:%s: %s", host, port, strerror(errno));
		goto out;
	}
	buf_init(&rq);
	buf_init(&in);
	buf_printf(&rq, "POST %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: repute-filter\r\n"
			"Content-Type: message/rfc822\r\nContent-Length: %zu\r\nConnection: close\r\n",
		   path, host, port, body->len);
	if (cfg->fb_api_key != NULL && *cfg->fb_api_key != '\0')
		buf_printf(&rq, "Authorization: Bearer %s\r\n", cfg->fb_api_key);
	buf_puts(&rq, "\r\n");
	if (!write_all(fd, rq.data, rq.len) || !write_all(fd, body->data, body->len)) {
		buf_printf(err, "sending to %s: %s", cfg->fb_centre_url, strerror(errno));
	} else {
		char chunk[4096];
		ssize_t r;
		while (in.len < RF_HTTP_MAX_ANSWER && (r = read(fd, chunk, sizeof(chunk))) > 0)
			buf_append(&in, chunk, (size_t)r);
		buf_putc(&in, '\0');
		int code = 0;
		char *hend = strstr(in.data, "\r\n\r\n");
		if (sscanf(in.data, "HTTP/1.%*d %d", &code) == 1 && hend != NULL) {
			status = code;
			buf_puts(answer, hend + 4);
		} else {
			buf_printf(err, "no HTTP answer from %s", cfg->fb_centre_url);
		}
	}
	close(fd);
	buf_fini(&rq);
	buf_fini(&in);
out:
	xfree(host);
	xfree(port);
	xfree(path);
	return status;
}

/* rf_feedback_send - see rf.h. */
int rf_feedback_send(const struct rf_config *cfg, const struct buf *report, struct buf *answer, struct buf *err)
{
	if (strcmp(cfg->fb_transport, "smtp") == 0) {
		if (rf_run_sendmail(cfg->fb_sendmail, cfg->fb_report_from, cfg->fb_report_to, report->data,
				    report->len) != 0) {
			buf_printf(err, "%s failed for %s", cfg->fb_sendmail, cfg->fb_report_to);
			return -1;
		}
		buf_printf(answer, "submitted to %s", cfg->fb_report_to);
		return 0;
	}
	int code = http_post(cfg, report, answer, err);
	if (code < 0)
		return -1;
	if (code != 200 && code != 201 && code != 202) {
		size_t n = answer->len > 200 ? 200 : answer->len;
		buf_printf(err, "centre answered HTTP %d: %.*s", code, (int)n, answer->data ? answer->data : "");
		return -1;
	}
	return 0;
}
