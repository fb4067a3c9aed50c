/* rdns_udp.c - a UDP worker thread: its own SO_REUSEPORT socket, batches of up to RDNS_BATCH
 * queries received with recvmmsg and answered with one sendmmsg, all buffers per thread and
 * allocated once. The zone set is entered once per batch (see rdns.h), and the socket's
 * receive timeout lets the thread notice shutdown while idle. Optional response-rate limiting
 * ([rrl]) counts responses per client network and second in a small per-thread table: over the
 * limit, responses are dropped, every slip-th one sent truncated so a real client can retry
 * over TCP (which cannot be spoofed), as BIND's RRL does. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/log.h"

#include "rdns.h"

#define RDNS_BATCH 64
#define RDNS_INLEN 1024
#define RDNS_INSTRIDE (RDNS_INLEN + 64) /* not a power of two: the slots' first lines spread over the cache sets */
#define RDNS_OUTLEN 4096
#define RRL_SLOTS 4096 /* per thread; a collision only resets a counter early */

/* Response-rate limiting against reflection: responses per client network per second. */
struct rrl_slot {
	uint64_t key;
	uint32_t second;
	uint32_t count;
};

struct udp_bufs {
	uint8_t in[RDNS_BATCH][RDNS_INSTRIDE];
	uint8_t out[RDNS_BATCH * RDNS_OUTLEN]; /* responses packed one after another in 64-byte steps */
	struct sockaddr_storage peer[RDNS_BATCH];
	struct iovec iov_in[RDNS_BATCH], iov_out[RDNS_BATCH];
	struct mmsghdr rx[RDNS_BATCH], tx[RDNS_BATCH];
	struct rdns_pending pend[RDNS_BATCH];
	struct rrl_slot rrl[RRL_SLOTS];
};

/* rrl_key - the client's network: /24 for IPv4, /56 for IPv6, hashed. */
static uint64_t rrl_key(const struct sockaddr_storage *ss)
{
	uint64_t k = 0xcbf29ce484222325ull;
	const uint8_t *p;
	size_t n;

	if (ss->ss_family == AF_INET)
		p = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr, n = 3;
	else
		p = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr, n = 7;
	for (size_t i = 0; i < n; i++)
		k = (k ^ p[i]) * 0x100000001b3ull;
	return k ^ ss->ss_family;
}

/* rrl_check - 0 to send, 1 to drop, 2 to send truncated (slip). */
static int rrl_check(struct rdns_server *s, struct udp_bufs *b, const struct sockaddr_storage *peer, uint32_t now)
{
	uint64_t key = rrl_key(peer);
	struct rrl_slot *slot = &b->rrl[key % RRL_SLOTS];

	if (slot->key != key || slot->second != now)
		*slot = (struct rrl_slot){ key, now, 0 };
	if (++slot->count <= (uint32_t)s->cfg.rrl_rate)
		return 0;
	return s->cfg.rrl_slip > 0 && slot->count % (uint32_t)s->cfg.rrl_slip == 0 ? 2 : 1;
}

/* slip - cut a response down to its header and question, with TC set and no records. */
static size_t slip(uint8_t *out, const struct rdns_pending *p)
{
	if (p->pr != DNS_PARSE_OK || p->q.question_end < DNS_HDRLEN)
		return 0;
	out[2] |= DNS_F_TC >> 8;
	memset(out + 6, 0, 6); /* an, ns, ar counts */
	return p->q.question_end;
}


/* answer_batch - answer n received datagrams; returns how many responses to send. */
static unsigned answer_batch(struct rdns_server *s, unsigned reader, struct udp_bufs *b, unsigned n)
{
	uint32_t now = s->cfg.rrl_rate > 0 ? (uint32_t)time(NULL) : 0;
	struct rdns_stats *st = &s->stats[reader];
	const struct rdns_zoneset *zs = rdns_enter(s, reader);
	unsigned out = 0;
	size_t used = 0; /* bytes of b->out taken; each response before had at most RDNS_OUTLEN */

	/* three passes so the batch's cache misses overlap: parse and prefetch the directory,
	 * prefetch the entries, then answer */
	for (unsigned i = 0; i < n; i++) {
		size_t len = b->rx[i].msg_len;
		if (b->rx[i].msg_hdr.msg_flags & MSG_TRUNC)
			len = 0; /* larger than any sane query: drop */
		rdns_prepare(zs, b->in[i], len, &b->pend[i]);
	}
	for (unsigned i = 0; i < n; i++)
		rdns_prefetch(&b->pend[i]);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *o = b->out + used;
		size_t r = rdns_respond(&b->pend[i], b->in[i], o, RDNS_OUTLEN, false, (unsigned)s->cfg.udp_size, st);
		if (r > 0 && s->cfg.rrl_rate > 0) {
			int v = rrl_check(s, b, &b->peer[i], now);
			if (v == 1) {
				STAT_INC(st->rrl_dropped);
				r = 0;
			} else if (v == 2) {
				STAT_INC(st->rrl_slipped);
				r = slip(o, &b->pend[i]);
			}
		}
		if (r == 0)
			continue;
		b->iov_out[out] = (struct iovec){ o, r };
		used += (r + 63) & ~(size_t)63;
		b->tx[out].msg_hdr = (struct msghdr){ .msg_name = &b->peer[i], .msg_namelen = b->rx[i].msg_hdr.msg_namelen,
						      .msg_iov = &b->iov_out[out], .msg_iovlen = 1 };
		out++;
	}
	rdns_leave(s, reader);
	STAT_ADD(st->udp, n);
	return out;
}

/* send_all - send the batch, retrying the rest after a partial sendmmsg. */
static void send_all(int fd, struct mmsghdr *tx, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		int k = sendmmsg(fd, tx + done, n - done, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			done++; /* skip the datagram the kernel refused (e.g. unreachable peer) */
			continue;
		}
		done += (unsigned)k;
	}
}

/* rdns_udp_worker - thread body: receive, answer, send until stop. */
void *rdns_udp_worker(void *arg)
{
	struct rdns_thread_arg *a = arg;
	struct rdns_server *s = a->s;
	struct udp_bufs *b = xcalloc(1, sizeof(*b));

	unsigned used = RDNS_BATCH;

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		for (unsigned i = 0; i < used; i++) { /* only the slots the last batch consumed */
			b->iov_in[i] = (struct iovec){ b->in[i], RDNS_INLEN };
			b->rx[i].msg_hdr = (struct msghdr){ .msg_name = &b->peer[i], .msg_namelen = sizeof(b->peer[i]),
							    .msg_iov = &b->iov_in[i], .msg_iovlen = 1 };
		}
		used = 0;
		int n = recvmmsg(a->fd, b->rx, RDNS_BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("udp: recvmmsg");
			continue;
		}
		used = (unsigned)n;
		unsigned out = answer_batch(s, a->reader, b, (unsigned)n);
		send_all(a->fd, b->tx, out);
	}
	xfree(b);
	return NULL;
}
