/* rd_smtp.c - the SMTP/LMTP intake for report@ addresses (libevent).
 *
 * One event thread speaks the protocol for every connection; finished messages go to a
 * small pool of worker threads that analyse and store them (rd_intake_mail) and wait for
 * the commit, so the event loop never blocks on a fsync and a slow client never holds a
 * worker. While its message is being stored a connection reads nothing; the worker wakes
 * the event loop with event_active() and the reply is sent: 250 with the report id only
 * after the commit, 5xx that says why for garbage, 4xx when the centre is busy.
 *
 * Bounds: command and text lines of at most smtp_line_max bytes (RFC 5321's 1,000 with
 * CRLF), message size (SIZE is advertised), recipients per transaction, idle time and the
 * time one line may take to arrive (a client trickling bytes is cut off), errors per
 * session, connections. PIPELINING is advertised, but text sent after DATA before the 354
 * reply is refused. A reporter is the envelope sender: "mail:<address>", created on first
 * use (reporter trust, issue 6, will weigh such unverified reporters). EHLO/HELO speak
 * SMTP; LHLO speaks LMTP (one reply per recipient after the data). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "repute/alloc.h"
#include "repute/log.h"

#include "rd.h"

#define SMTP_LINE_MAX 1000  /* bytes including CRLF (RFC 5321 4.5.3.1.6) */
#define SMTP_MAX_ERRORS 10
#define SMTP_MAX_CONNS 1000
#define SMTP_WORKERS 16 /* each sleeps while its report commits: more of them, fuller group commits */
#define SMTP_MAX_ORIGINALS 50 /* reports made from one forwarded message */

enum smtp_state { S_GREETED, S_HELO, S_MAIL, S_RCPT, S_DATA, S_BUSY };

struct conn {
	struct rd_smtp *sm;
	struct bufferevent *bev;
	struct event *done_ev;     /* activated by a worker when the message is stored */
	enum smtp_state state;
	bool lmtp;
	bool closing;              /* close once the output is written */
	int errors;
	char peer[64];
	char sender[256];
	size_t n_rcpt;
	struct buf msg;
	bool too_big, line_too_long;
	double line_started;       /* when the current partial line began, 0 if none */
	struct rd_outcome outcome; /* of the whole message, or the first refused original */
	bool split;                /* several attached originals: ids lists the stored ones */
	size_t n_stored, n_refused;
	struct buf ids;
	struct conn *next_job;
	struct conn *prev, *next;  /* all connections, for shutdown */
};

struct rd_smtp {
	struct rd *rd;
	struct event_base *base;
	struct evconnlistener *listener;
	pthread_t loop_thread;
	pthread_t workers[SMTP_WORKERS];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct conn *jobs_head, *jobs_tail;
	bool stopping;
	struct conn *conns;
	size_t n_conns;
};

static void on_read(struct bufferevent *bev, void *arg);

/* reply - queue one reply line. */
static void reply(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reply(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	struct evbuffer *out = bufferevent_get_output(c->bev);

	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\r\n", 2);
}

/* conn_free - release a connection (not while a worker holds it). */
static void conn_free(struct conn *c)
{
	struct rd_smtp *sm = c->sm;

	if (c->prev)
		c->prev->next = c->next;
	else
		sm->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	sm->n_conns--;
	event_free(c->done_ev);
	bufferevent_free(c->bev);
	buf_fini(&c->msg);
	buf_fini(&c->ids);
	xfree(c);
}

/* close_after_write - say the last words, then close when they are written. */
static void close_after_write(struct conn *c)
{
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 && c->state != S_BUSY)
		conn_free(c);
}

/* reset_txn - forget the envelope and message. */
static void reset_txn(struct conn *c)
{
	c->sender[0] = '\0';
	c->n_rcpt = 0;
	buf_reset(&c->msg);
	c->too_big = c->line_too_long = false;
	if (c->state > S_HELO)
		c->state = S_HELO;
}

/* bad_command - count an error; too many close the session. */
static void bad_command(struct conn *c, const char *fmt, const char *arg)
{
	reply(c, fmt, arg);
	if (++c->errors >= SMTP_MAX_ERRORS) {
		reply(c, "421 4.7.0 too many errors, closing");
		close_after_write(c);
	}
}

/* path_arg - the <address> after "FROM:" or "TO:" into out; false when malformed. */
static bool path_arg(const char *p, char *out, size_t len, const char **rest)
{
	while (*p == ' ')
		p++;
	if (*p != '<')
		return false;
	const char *end = strchr(p, '>');
	if (end == NULL || (size_t)(end - p - 1) >= len)
		return false;
	memcpy(out, p + 1, (size_t)(end - p - 1));
	out[end - p - 1] = '\0';
	for (char *q = out; *q; q++)
		if ((unsigned char)*q < 33 || *q == '<')
			return false;
	*rest = end + 1;
	return true;
}

/* is_report_address - local part "report" or "report+anything", any domain. */
static bool is_report_address(const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t n = at ? (size_t)(at - addr) : strlen(addr);

	return at != NULL && at[1] != '\0' && n >= 6 && strncasecmp(addr, "report", 6) == 0 && (n == 6 || addr[6] == '+');
}

/* cmd_mail - MAIL FROM:<addr> [SIZE=n]. */
static void cmd_mail(struct conn *c, const char *args)
{
	const char *rest;
	long max = c->sm->rd->cfg.smtp_max_size;

	if (c->state != S_HELO) {
		bad_command(c, "503 5.5.1 %s", c->state < S_HELO ? "say EHLO, HELO or LHLO first" : "nested MAIL");
		return;
	}
	if (strncasecmp(args, "FROM:", 5) != 0 || !path_arg(args + 5, c->sender, sizeof(c->sender), &rest)) {
		bad_command(c, "501 5.5.4 %s", "syntax: MAIL FROM:<address>");
		return;
	}
	if (c->sender[0] == '\0' || strchr(c->sender, '@') == NULL) {
		bad_command(c, "550 5.7.1 %s", "reports need a return address (no null sender)");
		return;
	}
	const char *size = strcasestr(rest, "SIZE=");
	if (size != NULL && strtol(size + 5, NULL, 10) > max) {
		reply(c, "552 5.3.4 message size exceeds the limit of %ld bytes", max);
		return;
	}
	c->state = S_MAIL;
	reply(c, "250 2.1.0 sender ok");
}

/* cmd_rcpt - RCPT TO:<report@...>. */
static void cmd_rcpt(struct conn *c, const char *args)
{
	char rcpt[256];
	const char *rest;

	if (c->state != S_MAIL && c->state != S_RCPT) {
		bad_command(c, "503 5.5.1 %s", "need MAIL before RCPT");
		return;
	}
	if (strncasecmp(args, "TO:", 3) != 0 || !path_arg(args + 3, rcpt, sizeof(rcpt), &rest)) {
		bad_command(c, "501 5.5.4 %s", "syntax: RCPT TO:<address>");
		return;
	}
	if (!is_report_address(rcpt)) {
		reply(c, "550 5.1.1 <%s>: only report@ addresses take reports here", rcpt);
		return;
	}
	if (c->n_rcpt >= (size_t)c->sm->rd->cfg.smtp_max_recipients) {
		reply(c, "452 4.5.3 too many recipients (at most %ld)", c->sm->rd->cfg.smtp_max_recipients);
		return;
	}
	c->n_rcpt++;
	c->state = S_RCPT;
	reply(c, "250 2.1.5 recipient ok");
}

/* cmd_data - DATA: refuse text sent before the 354 reply. */
static void cmd_data(struct conn *c)
{
	if (c->state != S_RCPT) {
		bad_command(c, "503 5.5.1 %s", c->state == S_MAIL ? "need RCPT before DATA" : "need MAIL first");
		return;
	}
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
		reply(c, "554 5.5.0 improper pipelining: message text sent before the 354 reply");
		close_after_write(c);
		return;
	}
	buf_reset(&c->msg);
	c->state = S_DATA;
	reply(c, "354 3.0.0 send the report, end with <CRLF>.<CRLF>");
}

/* command - one command line. */
static void command(struct conn *c, char *line)
{
	char *args = line;

	while (*args && *args != ' ')
		args++;
	if (*args)
		*args++ = '\0';
	if (strcasecmp(line, "EHLO") == 0 || strcasecmp(line, "LHLO") == 0 || strcasecmp(line, "HELO") == 0) {
		if (*args == '\0')
			{
		bad_command(c, "501 5.5.4 %s", "a domain is required");
		return;
	}
		c->lmtp = strcasecmp(line, "LHLO") == 0;
		reset_txn(c);
		c->state = S_HELO;
		if (strcasecmp(line, "HELO") == 0)
			reply(c, "250 repute");
		else
			reply(c, "250-repute\r\n250-PIPELINING\r\n250-SIZE %ld\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES",
			      c->sm->rd->cfg.smtp_max_size);
	} else if (strcasecmp(line, "MAIL") == 0) {
		cmd_mail(c, args);
	} else if (strcasecmp(line, "RCPT") == 0) {
		cmd_rcpt(c, args);
	} else if (strcasecmp(line, "DATA") == 0) {
		cmd_data(c);
	} else if (strcasecmp(line, "RSET") == 0) {
		reset_txn(c);
		reply(c, "250 2.0.0 reset");
	} else if (strcasecmp(line, "NOOP") == 0) {
		reply(c, "250 2.0.0 ok");
	} else if (strcasecmp(line, "QUIT") == 0) {
		reply(c, "221 2.0.0 bye");
		close_after_write(c);
	} else if (strcasecmp(line, "VRFY") == 0) {
		reply(c, "252 2.5.0 send to report@ and see");
	} else if (strcasecmp(line, "HELP") == 0) {
		reply(c, "214 2.0.0 send spam as an attachment or an ARF report to report@");
	} else {
		bad_command(c, "500 5.5.2 unknown command %.32s", line);
	}
}

/* queue_message - hand a complete message to the workers and stop reading. */
static void queue_message(struct conn *c)
{
	struct rd_smtp *sm = c->sm;

	c->state = S_BUSY;
	bufferevent_disable(c->bev, EV_READ);
	pthread_mutex_lock(&sm->lock);
	c->next_job = NULL;
	if (sm->jobs_tail)
		sm->jobs_tail->next_job = c;
	else
		sm->jobs_head = c;
	sm->jobs_tail = c;
	pthread_cond_signal(&sm->cond);
	pthread_mutex_unlock(&sm->lock);
}

/* end_of_data - the final "." line: refuse what broke a bound, else store. */
static void end_of_data(struct conn *c)
{
	if (c->too_big) {
		reply(c, "552 5.3.4 message exceeds the limit of %ld bytes", c->sm->rd->cfg.smtp_max_size);
		reset_txn(c);
	} else if (c->line_too_long) {
		reply(c, "554 5.6.0 message has a line longer than %d bytes", SMTP_LINE_MAX);
		reset_txn(c);
	} else {
		queue_message(c);
	}
}

/* data_line - one line of message text (dot-unstuffed, bounded). */
static void data_line(struct conn *c, const char *line, size_t n)
{
	if (n == 1 && line[0] == '.') {
		end_of_data(c);
		return;
	}
	if (line[0] == '.')
		line++, n--;
	if (n + 2 > SMTP_LINE_MAX)
		c->line_too_long = true;
	if (c->too_big || c->msg.len + n + 2 > (size_t)c->sm->rd->cfg.smtp_max_size) {
		c->too_big = true;
		return;
	}
	buf_append(&c->msg, line, n);
	buf_append(&c->msg, "\r\n", 2);
}

/* overlong_partial - a partial line already over the limit, or arriving too slowly. */
static bool overlong_partial(struct conn *c, struct evbuffer *in)
{
	size_t pending = evbuffer_get_length(in);
	double now = rd_now();

	if (pending == 0) {
		c->line_started = 0;
		return false;
	}
	if (c->line_started == 0)
		c->line_started = now;
	if (now - c->line_started > (double)c->sm->rd->cfg.smtp_idle_timeout) {
		reply(c, "421 4.4.2 line took too long to arrive, closing");
		close_after_write(c);
		return true;
	}
	if (pending < SMTP_LINE_MAX)
		return false;
	if (c->state == S_DATA) { /* keep reading to the end of the message, but refuse it */
		c->line_too_long = true;
		evbuffer_drain(in, pending);
		return false;
	}
	reply(c, "500 5.5.0 line longer than %d bytes, closing", SMTP_LINE_MAX);
	close_after_write(c);
	return true;
}

/* on_read - every complete line in the input, until busy or closing. */
static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (!c->closing && c->state != S_BUSY) {
		size_t n;
		char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
		if (line == NULL) {
			overlong_partial(c, in);
			return;
		}
		c->line_started = 0;
		if (c->state == S_DATA) {
			data_line(c, line, n);
		} else if (n + 2 > SMTP_LINE_MAX) {
			reply(c, "500 5.5.0 line longer than %d bytes, closing", SMTP_LINE_MAX);
			close_after_write(c);
		} else {
			command(c, line);
		}
		free(line);
	}
}

/* on_write - output drained: close if we were asked to. */
static void on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->closing && c->state != S_BUSY)
		conn_free(c);
}

/* on_event - EOF, error or idle timeout. */
static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if ((what & BEV_EVENT_TIMEOUT) && !c->closing) {
		bufferevent_enable(bev, EV_WRITE);
		reply(c, "421 4.4.2 idle for too long, closing");
		close_after_write(c);
		return;
	}
	c->closing = true;
	if (c->state != S_BUSY)
		conn_free(c);
}

/* on_done - back in the event thread after a worker stored (or refused) the message. */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	const struct rd_outcome *o = &c->outcome;
	size_t replies = c->lmtp ? c->n_rcpt : 1;

	c->state = S_HELO;
	if (c->closing) { /* the client left while we were storing */
		conn_free(c);
		return;
	}
	char msg[sizeof(o->message)];
	snprintf(msg, sizeof(msg), "%s", o->message);
	for (char *p = msg; *p; p++) /* a reason may quote the message: keep the reply one line */
		if ((unsigned char)*p < 32 || *p == 127)
			*p = ' ';
	for (size_t i = 0; i < replies; i++) {
		if (c->split && c->n_stored > 0)
			reply(c, "250 2.0.0 stored as reports %s (%zu attached originals, %zu refused)", c->ids.data,
			      c->n_stored + c->n_refused, c->n_refused);
		else if (o->code == NULL)
			reply(c, "250 2.0.0 %s report %s%s", o->res.duplicate ? "duplicate of" : "stored as", o->res.id,
			      o->res.duplicate ? "" : "");
		else if (o->status >= 500)
			reply(c, "451 4.3.0 %s", msg);
		else
			reply(c, "554 5.6.0 %s", msg);
	}
	reset_txn(c);
	bufferevent_enable(c->bev, EV_READ);
	on_read(c->bev, c); /* commands that arrived meanwhile */
}

/* store_message - one report, or one per attached original when it forwards several. */
static void store_message(struct rd_smtp *sm, struct conn *c, const char *reporter_name)
{
	struct buf parts[SMTP_MAX_ORIGINALS];
	const char *data = c->msg.data ? c->msg.data : "";
	size_t n = rd_split_originals(data, c->msg.len, parts, SMTP_MAX_ORIGINALS);

	c->split = n > 0;
	c->n_stored = c->n_refused = 0;
	buf_reset(&c->ids);
	if (n == 0) {
		rd_intake_mail_from(sm->rd, NULL, reporter_name, "smtp", data, c->msg.len, &c->outcome);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct rd_outcome o = { 0 };
		if (rd_intake_mail_from(sm->rd, NULL, reporter_name, "smtp", parts[i].data, parts[i].len, &o) == 0) {
			buf_printf(&c->ids, "%s%s", c->n_stored ? ", " : "", o.res.id);
			c->n_stored++;
		} else {
			if (c->n_refused++ == 0)
				c->outcome = o;
		}
		buf_fini(&parts[i]);
	}
}

/* worker_main - store queued messages until stopped and drained. */
static void *worker_main(void *arg)
{
	struct rd_smtp *sm = arg;

	for (;;) {
		pthread_mutex_lock(&sm->lock);
		while (sm->jobs_head == NULL && !sm->stopping)
			pthread_cond_wait(&sm->cond, &sm->lock);
		struct conn *c = sm->jobs_head;
		if (c == NULL) {
			pthread_mutex_unlock(&sm->lock);
			return NULL;
		}
		sm->jobs_head = c->next_job;
		if (sm->jobs_head == NULL)
			sm->jobs_tail = NULL;
		pthread_mutex_unlock(&sm->lock);

		char name[64];
		memset(&c->outcome, 0, sizeof(c->outcome));
		snprintf(name, sizeof(name), "mail:%.58s", c->sender);
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		store_message(sm, c, name);
		event_active(c->done_ev, EV_READ, 0);
	}
}

/* on_accept - a new client: greet it, or refuse when full. */
static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct rd_smtp *sm = arg;
	struct conn *c = xcalloc(1, sizeof(*c));
	struct timeval idle = { .tv_sec = sm->rd->cfg.smtp_idle_timeout };

	c->sm = sm;
	c->bev = bufferevent_socket_new(sm->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->done_ev = event_new(sm->base, -1, 0, on_done, c);
	buf_init(&c->msg);
	buf_init(&c->ids);
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)sa)->sin_addr, c->peer, sizeof(c->peer));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, c->peer, sizeof(c->peer));
	c->next = sm->conns;
	if (sm->conns)
		sm->conns->prev = c;
	sm->conns = c;
	sm->n_conns++;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (sm->n_conns > SMTP_MAX_CONNS) {
		reply(c, "421 4.3.2 too many connections, try again later");
		close_after_write(c);
		return;
	}
	reply(c, "220 repute report intake ESMTP/LMTP");
}

/* loop_main - the event thread. */
static void *loop_main(void *arg)
{
	struct rd_smtp *sm = arg;

	event_base_dispatch(sm->base);
	return NULL;
}

/* rd_smtp_start - listen on smtp.listen and start the event thread and workers. */
int rd_smtp_start(struct rd *rd)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (!rd_parse_hostport(rd->cfg.smtp_listen, &ss, &sl))
		return -1;
	evthread_use_pthreads();
	struct rd_smtp *sm = xcalloc(1, sizeof(*sm));
	sm->rd = rd;
	sm->base = event_base_new();
	pthread_mutex_init(&sm->lock, NULL);
	pthread_cond_init(&sm->cond, NULL);
	sm->listener = evconnlistener_new_bind(sm->base, on_accept, sm, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
					       (struct sockaddr *)&ss, (int)sl);
	if (sm->listener == NULL) {
		log_warn("smtp: cannot listen on %s", rd->cfg.smtp_listen);
		event_base_free(sm->base);
		xfree(sm);
		return -1;
	}
	for (int i = 0; i < SMTP_WORKERS; i++)
		pthread_create(&sm->workers[i], NULL, worker_main, sm);
	pthread_create(&sm->loop_thread, NULL, loop_main, sm);
	rd->smtp = sm;
	log_info("smtp: listening on %s", rd->cfg.smtp_listen);
	return 0;
}

/* rd_smtp_stop - stop the loop, let the workers finish their messages, free everything. */
void rd_smtp_stop(struct rd *rd)
{
	struct rd_smtp *sm = rd->smtp;
	struct timeval flush = { .tv_sec = 0, .tv_usec = 500000 };

	if (sm == NULL)
		return;
	evconnlistener_disable(sm->listener);
	pthread_mutex_lock(&sm->lock);
	sm->stopping = true;
	pthread_cond_broadcast(&sm->cond);
	pthread_mutex_unlock(&sm->lock);
	for (int i = 0; i < SMTP_WORKERS; i++)
		pthread_join(sm->workers[i], NULL);
	/* give the loop half a second to send the replies of the last stored messages */
	event_base_loopexit(sm->base, &flush);
	pthread_join(sm->loop_thread, NULL);
	while (sm->conns != NULL)
		conn_free(sm->conns);
	evconnlistener_free(sm->listener);
	event_base_free(sm->base);
	pthread_mutex_destroy(&sm->lock);
	pthread_cond_destroy(&sm->cond);
	xfree(sm);
	rd->smtp = NULL;
}
