/* rdns_tcp.c - DNS over TCP (RFC 7766): one thread, one epoll set holding the listening
 * sockets and every connection, including zone transfers (rdns_xfr.c) fed as the socket drains. Connections are bounded (tcp_max; extra ones are closed at
 * once) and closed after tcp_idle seconds without a complete query; pipelined queries are
 * answered in order; a response that cannot be written at once waits for EPOLLOUT. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "repute/alloc.h"
#include "repute/log.h"

#include "rdns.h"

#define TCP_INMAX (2 + 65535)
#define TCP_OUTMAX (2 + 65535)

struct tcp_conn {
	int fd;
	time_t last;
	uint8_t *in;   /* TCP_INMAX */
	size_t inlen;
	uint8_t *out;  /* pending output */
	size_t outlen, outoff;
	struct sockaddr_storage peer;
	struct rdns_xfr *xfr; /* a zone transfer in progress: its messages come before more answers */
	struct tcp_conn *next;
};

struct tcp_state {
	struct rdns_server *s;
	unsigned reader;
	int ep;
	struct tcp_conn *conns;
	long nconns;
	uint8_t resp[TCP_OUTMAX];
};

/* conn_close - unlink and free one connection. */
static void conn_close(struct tcp_state *t, struct tcp_conn *c)
{
	for (struct tcp_conn **p = &t->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	close(c->fd);
	rdns_xfr_free(c->xfr);
	xfree(c->in);
	xfree(c->out);
	xfree(c);
	t->nconns--;
}

/* accept_all - accept pending connections on a listening socket. */
static void accept_all(struct tcp_state *t, int lfd)
{
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		STAT_INC(t->s->stats[t->reader].tcp_conns);
		if (t->nconns >= t->s->cfg.tcp_max) {
			STAT_INC(t->s->stats[t->reader].tcp_refused);
			close(fd);
			continue;
		}
		struct tcp_conn *c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->peer = peer;
		c->last = time(NULL);
		c->in = xmalloc(TCP_INMAX);
		c->next = t->conns;
		t->conns = c;
		t->nconns++;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

static void queue_out(struct tcp_conn *c, const uint8_t *p, size_t n);
static void conn_process(struct tcp_state *t, struct tcp_conn *c);

/* conn_flush - write pending output, then the next messages of a zone transfer; false when the
 * connection failed. */
static bool conn_flush(struct tcp_state *t, struct tcp_conn *c)
{
	unsigned budget = 16; /* transfer messages per turn, so other connections are not starved */

	for (;;) {
		while (c->outoff < c->outlen) {
			ssize_t n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
				epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev);
				return true;
			}
			if (n <= 0)
				return false;
			c->outoff += (size_t)n;
			c->last = time(NULL);
		}
		c->outlen = c->outoff = 0;
		if (c->xfr == NULL)
			break;
		if (budget-- == 0) {
			struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
			epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev);
			return true;
		}
		size_t n = rdns_xfr_next(c->xfr, t->resp, sizeof(t->resp) - 2);
		if (n > 0) {
			queue_out(c, t->resp, n);
			continue;
		}
		rdns_xfr_free(c->xfr);
		c->xfr = NULL;
		conn_process(t, c); /* queries that arrived during the transfer */
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev);
	return true;
}

/* queue_out - append a length-prefixed response to the connection's output. */
static void queue_out(struct tcp_conn *c, const uint8_t *p, size_t n)
{
	c->out = xrealloc(c->out, c->outlen + n + 2);
	c->out[c->outlen] = (uint8_t)(n >> 8);
	c->out[c->outlen + 1] = (uint8_t)n;
	memcpy(c->out + c->outlen + 2, p, n);
	c->outlen += n + 2;
}

/* conn_process - answer every complete query in the input buffer. */
static void conn_process(struct tcp_state *t, struct tcp_conn *c)
{
	struct rdns_stats *st = &t->s->stats[t->reader];
	size_t off = 0;
	const struct rdns_zoneset *zs = rdns_enter(t->s, t->reader);

	while (c->xfr == NULL && c->inlen - off >= 2) {
		size_t len = (size_t)c->in[off] << 8 | c->in[off + 1];
		if (c->inlen - off - 2 < len)
			break;
		c->xfr = rdns_xfr_start(t->s, zs, c->in + off + 2, len, &c->peer);
		if (c->xfr) {
			STAT_INC(st->tcp);
			STAT_INC(st->rcode[DNS_R_NOERROR]);
			off += 2 + len;
			break;
		}
		size_t r = rdns_answer(zs, c->in + off + 2, len, t->resp, sizeof(t->resp) - 2, true,
				       (unsigned)t->s->cfg.udp_size, st);
		STAT_INC(st->tcp);
		if (r > 0)
			queue_out(c, t->resp, r);
		off += 2 + len;
		c->last = time(NULL);
	}
	rdns_leave(t->s, t->reader);
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
}

/* conn_read - read what is available; false when the connection should close. */
static bool conn_read(struct tcp_state *t, struct tcp_conn *c)
{
	for (;;) {
		if (c->inlen == TCP_INMAX)
			return false;
		ssize_t n = read(c->fd, c->in + c->inlen, TCP_INMAX - c->inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return false;
		c->inlen += (size_t)n;
	}
	conn_process(t, c);
	return conn_flush(t, c);
}

/* sweep_idle - close connections idle for longer than tcp_idle. */
static void sweep_idle(struct tcp_state *t)
{
	time_t now = time(NULL);

	for (struct tcp_conn *c = t->conns, *next; c; c = next) {
		next = c->next;
		if (now - c->last > t->s->cfg.tcp_idle)
			conn_close(t, c);
	}
}

/* rdns_tcp_thread - thread body: serve every TCP listener until stop. */
void *rdns_tcp_thread(void *arg)
{
	struct rdns_thread_arg *a = arg;
	struct tcp_state *t = xcalloc(1, sizeof(*t));
	struct epoll_event evs[64];

	t->s = a->s;
	t->reader = a->reader;
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	for (unsigned i = 0; i < t->s->nlisten; i++) {
		/* listening sockets are marked by a pointer into the listen table */
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &t->s->listen[i] };
		epoll_ctl(t->ep, EPOLL_CTL_ADD, t->s->listen[i].tcp_fd, &ev);
	}
	while (!atomic_load(&t->s->stop)) {
		int n = epoll_wait(t->ep, evs, 64, 1000);
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p >= (void *)t->s->listen && p < (void *)(t->s->listen + RDNS_MAXLISTEN)) {
				accept_all(t, ((struct rdns_listen *)p)->tcp_fd);
				continue;
			}
			struct tcp_conn *c = p;
			bool ok = (evs[i].events & EPOLLOUT) ? conn_flush(t, c) : true;
			if (ok && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				ok = conn_read(t, c);
			if (!ok)
				conn_close(t, c);
		}
		sweep_idle(t);
	}
	while (t->conns)
		conn_close(t, t->conns);
	close(t->ep);
	xfree(t);
	return NULL;
}
