/* rf_server.c - the policy service's network side: one listening TCP socket, one detached
 * thread per connection up to max_connections (more are refused and counted), each reading
 * requests through the incremental parser, answering each in order (pipelining works), and
 * closing after idle_timeout. A malformed request gets "action=DEFER_IF_PERMIT" with the
 * parser's reason and the connection goes on with the next request; "request=repute_stats"
 * gets the counters. On stop every connection is shut down and waited for. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/log.h"
#include "repute/policy.h"

#include "rf.h"

#define RF_MAX_CONN_SLOTS 10000

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static int conn_fds[RF_MAX_CONN_SLOTS];

struct rf_conn {
	struct rf_server *srv;
	int fd;
	int slot;
	char peer[64];
};

/* parse_listen - "ADDR:PORT" or "[V6]:PORT" into ss. */
static int parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[80];
	const char *colon = strrchr(text, ':');

	if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	long port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	size_t hl = strlen(host);
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons((uint16_t)port);
			*len = sizeof(*s6);
			return 0;
		}
	}
	return -1;
}

/* rf_server_listen - the listening socket; fatal on error. */
void rf_server_listen(struct rf_server *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *text = s->gen->cfg.listen;
	int on = 1;

	for (int i = 0; i < RF_MAX_CONN_SLOTS; i++)
		conn_fds[i] = -1;
	if (parse_listen(text, &ss, &len) != 0)
		log_fatalx("listen address \"%s\" is not ADDR:PORT", text);
	s->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		log_fatal("socket");
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(s->listen_fd, (struct sockaddr *)&ss, len) != 0)
		log_fatal("bind %s", text);
	if (listen(s->listen_fd, 128) != 0)
		log_fatal("listen %s", text);
	log_info("policy service listening on %s", text);
}

/* write_all - send every byte; false on error. */
static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* answer_error - a malformed or unknown request: the stats reply or a clear deferral. */
static void answer_error(struct rf_conn *c, struct rp_policy_parser *p, int rc,
			 const struct rp_diag *d, struct buf *out)
{
	const char *type = rc == RP_EUNSUPP ? rp_policy_get(&p->req, "request") : NULL;

	if (type != NULL && strcmp(type, "repute_stats") == 0) {
		RF_INC(c->srv->stats.stats_requests);
		rf_stats_format(c->srv, out);
		return;
	}
	RF_INC(c->srv->stats.malformed);
	log_warnx("peer=%s malformed policy request: %s", c->peer, d->reason);
	char *text = xasprintf("4.7.0 malformed policy request: %s", d->reason);
	rp_policy_format(out, "DEFER_IF_PERMIT", text);
	xfree(text);
}

/* serve_bytes - run every complete request in data; false when the peer must be dropped. */
static bool serve_bytes(struct rf_conn *c, struct rf_worker *w, struct rp_policy_parser *p,
			const char *data, size_t n, struct buf *out)
{
	size_t off = 0;

	while (off < n) {
		size_t used = 0;
		struct rp_diag d = { 0 };
		int rc = rp_policy_feed(p, data + off, n - off, &used, &d);
		off += used;
		if (rc == 0)
			break;
		buf_reset(out);
		if (rc == 1) {
			RF_INC(c->srv->stats.requests);
			rf_worker_sync(w);
			rf_decide(w, &p->req, out);
		} else {
			answer_error(c, p, rc, &d, out);
		}
		if (!write_all(c->fd, out->data, out->len))
			return false;
	}
	return true;
}

/* conn_thread - serve one connection until EOF, error, idle timeout or stop. */
static void *conn_thread(void *arg)
{
	struct rf_conn *c = arg;
	struct rf_worker w = { .srv = c->srv };
	struct rp_policy_parser *p = xmalloc(sizeof(*p));
	char data[4096];
	struct buf out;

	rf_worker_sync(&w);
	struct timeval tv = { .tv_sec = w.gen->cfg.idle_timeout };
	buf_init(&out);
	rp_policy_parser_init(p);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!atomic_load(&c->srv->stop)) {
		ssize_t n = recv(c->fd, data, sizeof(data), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || !serve_bytes(c, &w, p, data, (size_t)n, &out))
			break;
	}
	log_debug("peer=%s closed", c->peer);
	rf_worker_fini(&w);
	buf_fini(&out);
	xfree(p);
	pthread_mutex_lock(&conn_lock);
	conn_fds[c->slot] = -1;
	pthread_mutex_unlock(&conn_lock);
	close(c->fd);
	atomic_fetch_sub(&c->srv->nconn, 1);
	xfree(c);
	return NULL;
}

/* conn_slot - a free slot for fd, or -1. */
static int conn_slot(int fd)
{
	int slot = -1;

	pthread_mutex_lock(&conn_lock);
	for (int i = 0; i < RF_MAX_CONN_SLOTS && slot < 0; i++)
		if (conn_fds[i] < 0) {
			conn_fds[i] = fd;
			slot = i;
		}
	pthread_mutex_unlock(&conn_lock);
	return slot;
}

/* start_conn - a thread for fd, or refuse it when at the limit. */
static void start_conn(struct rf_server *s, int fd, const struct sockaddr_storage *ss)
{
	struct rf_conn *c = xcalloc(1, sizeof(*c));
	pthread_attr_t attr;
	pthread_t tid;
	struct rf_gen *g = rf_gen_acquire(s);
	long max = g->cfg.max_connections;

	rf_gen_release(g);
	c->srv = s;
	c->fd = fd;
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, c->peer, sizeof(c->peer));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, c->peer, sizeof(c->peer));
	if (atomic_load(&s->nconn) >= max || (c->slot = conn_slot(fd)) < 0) {
		RF_INC(s->stats.connections_refused);
		log_warnx("peer=%s refused: %ld connections open", c->peer, max);
		close(fd);
		xfree(c);
		return;
	}
	RF_INC(s->stats.connections);
	atomic_fetch_add(&s->nconn, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	if (pthread_create(&tid, &attr, conn_thread, c) != 0) {
		log_warn("peer=%s: pthread_create", c->peer);
		pthread_mutex_lock(&conn_lock);
		conn_fds[c->slot] = -1;
		pthread_mutex_unlock(&conn_lock);
		atomic_fetch_sub(&s->nconn, 1);
		close(fd);
		xfree(c);
	}
	pthread_attr_destroy(&attr);
}

/* drain - shut every connection down and wait (at most 5 s) for their threads. */
static void drain(struct rf_server *s)
{
	pthread_mutex_lock(&conn_lock);
	for (int i = 0; i < RF_MAX_CONN_SLOTS; i++)
		if (conn_fds[i] >= 0)
			shutdown(conn_fds[i], SHUT_RDWR);
	pthread_mutex_unlock(&conn_lock);
	for (int i = 0; i < 500 && atomic_load(&s->nconn) > 0; i++)
		usleep(10000);
}

/* rf_server_run - the accept loop. */
void rf_server_run(struct rf_server *s)
{
	while (!atomic_load(&s->stop)) {
		struct pollfd pfd = { .fd = s->listen_fd, .events = POLLIN };
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(s->listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
				log_warn("accept");
			if (errno == EMFILE || errno == ENFILE)
				usleep(100000);
			continue;
		}
		start_conn(s, fd, &ss);
	}
	close(s->listen_fd);
	drain(s);
}
