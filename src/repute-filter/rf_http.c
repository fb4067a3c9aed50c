/* rf_http.c - repute-filter's optional feedback listener for webmail (libmicrohttpd).
 *
 * With feedback.listen set (ADDR:PORT; keep it on loopback or behind the webmail's own
 * authentication: it trusts the user address it is given), two endpoints take a raw message as
 * the body and the reporting user as ?user=ADDR (or an X-Repute-User header):
 *   POST /v1/feedback/spam  ARF report to the centre, trained as spam
 *   POST /v1/feedback/ham   "not spam" on a tagged message, trained as ham
 * Answers are JSON: 200 {"ok":true,"result":"..."}; 400 refused (no user, not tagged, ...);
 * 502 the report could not be delivered; 404/405/413 as usual. Each request uses the current
 * configuration generation, so SIGHUP changes the centre or key without a restart. */
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/log.h"

#include "rf.h"

#define RF_HTTP_MAX_BODY (32u << 20)

/* One feedback action at a time: the token database (LMDB) must not be opened twice at once in
 * one process, and reports are rare enough that queueing them costs nothing. */
static pthread_mutex_t rf_http_lock = PTHREAD_MUTEX_INITIALIZER;

struct rf_http_req {
	struct buf body;
	bool too_big;
};

/* json_escape - append s as a JSON string body (no quotes) to out. */
static void json_escape(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			buf_printf(out, "\\%c", c);
		else if (c < 0x20)
			buf_printf(out, "\\u%04x", c);
		else
			buf_putc(out, (char)c);
	}
}

/* reply - queue a JSON answer. */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, bool ok, const char *text, size_t n)
{
	struct buf out;

	buf_init(&out);
	buf_printf(&out, ok ? "{\"ok\":true,\"result\":\"" : "{\"ok\":false,\"error\":\"");
	json_escape(&out, text, n);
	buf_puts(&out, "\"}\n");
	struct MHD_Response *r = MHD_create_response_from_buffer(out.len, out.data, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result rc = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	buf_fini(&out);
	return rc;
}

/* handle - one complete request. */
static enum MHD_Result handle(struct rf_server *s, struct MHD_Connection *conn, const char *url,
			      struct rf_http_req *rq)
{
	bool spam = strcmp(url, "/v1/feedback/spam") == 0;
	const char *user = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "user");

	if (rq->too_big)
		return reply(conn, 413, false, "message larger than 32 MiB", 26);
	if (user == NULL)
		user = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Repute-User");
	if (rq->body.len == 0)
		return reply(conn, 400, false, "empty body: send the raw message", 32);
	struct rf_gen *g = rf_gen_acquire(s);
	struct buf result;
	buf_init(&result);
	pthread_mutex_lock(&rf_http_lock);
	int st = rf_feedback(&g->cfg, rq->body.data, rq->body.len, user, spam, &result);
	pthread_mutex_unlock(&rf_http_lock);
	rf_gen_release(g);
	enum MHD_Result rc = reply(conn, st == 0 ? 200 : st == 1 ? 400 : 502, st == 0,
				   result.data ? result.data : "", result.len);
	buf_fini(&result);
	return rc;
}

/* access_cb - libmicrohttpd's request callback: route, collect the body, answer. */
static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				 const char *version, const char *data, size_t *data_size, void **con_cls)
{
	struct rf_http_req *rq = *con_cls;

	(void)version;
	if (strcmp(url, "/v1/feedback/spam") != 0 && strcmp(url, "/v1/feedback/ham") != 0)
		return reply(conn, 404, false, "no such path", 12);
	if (strcmp(method, "POST") != 0)
		return reply(conn, 405, false, "use POST", 8);
	if (rq == NULL) {
		rq = xcalloc(1, sizeof(*rq));
		buf_init(&rq->body);
		*con_cls = rq;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (rq->body.len + *data_size > RF_HTTP_MAX_BODY)
			rq->too_big = true;
		else
			buf_append(&rq->body, data, *data_size);
		*data_size = 0;
		return MHD_YES;
	}
	return handle(cls, conn, url, rq);
}

/* done_cb - free a request's state. */
static void done_cb(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct rf_http_req *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq != NULL) {
		buf_fini(&rq->body);
		xfree(rq);
		*con_cls = NULL;
	}
}

/* parse_listen - "ADDR:PORT" or "[V6]:PORT" into an addrinfo (caller frees), or NULL. */
static struct addrinfo *parse_listen(const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_PASSIVE }, *res = NULL;
	const char *colon = strrchr(spec, ':');
	char *host;

	if (colon == NULL || colon == spec)
		return NULL;
	if (spec[0] == '[' && colon[-1] == ']')
		host = xstrndup(spec + 1, (size_t)(colon - spec - 2));
	else
		host = xstrndup(spec, (size_t)(colon - spec));
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		res = NULL;
	xfree(host);
	return res;
}

/* rf_http_start - see rf.h. */
void *rf_http_start(struct rf_server *s)
{
	const char *spec = s->gen->cfg.fb_listen;

	if (spec == NULL || *spec == '\0')
		return NULL;
	struct addrinfo *ai = parse_listen(spec);
	if (ai == NULL)
		log_fatalx("feedback.listen \"%s\" is not ADDR:PORT", spec);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, s,
						MHD_OPTION_SOCK_ADDR, ai->ai_addr,
						MHD_OPTION_NOTIFY_COMPLETED, done_cb, NULL,
						MHD_OPTION_CONNECTION_LIMIT, 64u,
						MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (d == NULL)
		log_fatalx("feedback.listen %s: cannot listen", spec);
	log_info("feedback listener on %s", spec);
	return d;
}

/* rf_http_stop - stop the listener; accepts NULL. */
void rf_http_stop(void *h)
{
	if (h != NULL)
		MHD_stop_daemon(h);
}
