/* rf_milter.c - repute-filter's milter (libmilter): collects each message (envelope, headers, body up
 * to milter.max_size), scores it and acts, as docs/repute-filter.md "Milter" describes.
 *
 * Score = content score (the classifier's 0..1 as 0..100, when milter.tokens names a token database)
 * + milter.dnsbl_points per block list listing the client + milter.spf_points for SPF fail/softfail.
 * The thresholds give the action: reject (550 5.7.1 with the reasons), quarantine (SQLite, then the
 * message is discarded; or Postfix's hold queue), tag (X-Spam-Flag, subject tag) or accept; every
 * message gets X-Spam-Status. A DNSWL-listed client is never rejected or quarantined (only tagged).
 *
 * libmilter keeps global state and runs its own signal thread that takes SIGHUP/SIGTERM/SIGINT
 * (SIGHUP would stop it), so the milter runs in a child process forked before any thread exists:
 * the parent passes SIGHUP on as SIGUSR1 (the child loads the config file again before its next
 * message) and SIGTERM as SIGTERM (libmilter stops; the child exits). The child has its own DNS
 * answer cache; lookups reuse the per-thread resolvers of rf_policy.c (struct rf_worker) from a pool,
 * each with its own read-only classifier handle. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/classify.h"
#include "repute/dnsbl.h"
#include "repute/log.h"
#include "repute/message.h"
#include "repute/netaddr.h"
#include "repute/quarantine.h"
#include "repute/spf.h"

#include "rf.h"

/* A pooled worker: resolvers (rf_policy.c) plus a classifier handle. */
struct mworker {
	struct rf_worker w;
	struct rp_classifier *cls;
	unsigned long cls_gen; /* generation the classifier was opened for */
	struct rp_tokens toks;
	struct mworker *next;
};

/* One SMTP session as the milter sees it. */
struct msession {
	char ip[64];
	char *helo;
	char *sender;
	char **rcpts;
	size_t n_rcpts;
	char *subject;
	struct buf raw; /* headers + empty line + body, as received */
	size_t max_size; /* milter.max_size when the transaction began */
	bool too_big;
};

enum maction { M_ACCEPT, M_TAG, M_QUARANTINE, M_REJECT };
static const char *const maction_names[] = { "accept", "tag", "quarantine", "reject" };

struct mverdict {
	int content;    /* 0..100, -1 = not scored */
	int points;     /* from DNS lists and SPF */
	int total;
	int listings;
	bool dnswl;
	const char *spf; /* result name when it gave points, else NULL */
	enum maction action;
	char reason[300];
};

static struct rf_server msrv;
static const char *mconfig_path;
static volatile sig_atomic_t mreload;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mworker *pool;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rp_quarantine *mq;
static char *mq_path;

/* on_usr1 - the parent asks for a reload. */
static void on_usr1(int sig)
{
	(void)sig;
	mreload = 1;
}

/* maybe_reload - load the config file again after SIGUSR1; a bad file keeps the old one. */
static void maybe_reload(void)
{
	if (!mreload)
		return;
	pthread_mutex_lock(&pool_lock);
	if (mreload) {
		mreload = 0;
		struct rf_gen *g = rf_gen_load(mconfig_path, false), *old;
		if (g != NULL) {
			pthread_mutex_lock(&msrv.gen_lock);
			old = msrv.gen;
			msrv.gen = g;
			pthread_mutex_unlock(&msrv.gen_lock);
			rf_gen_release(old);
			log_info("milter: reloaded configuration %lu", g->id);
		} else {
			log_warnx("milter: reload failed; keeping the running configuration");
		}
	}
	pthread_mutex_unlock(&pool_lock);
}

/* worker_get - a pooled worker synced to the current generation. */
static struct mworker *worker_get(void)
{
	struct mworker *mw;

	maybe_reload();
	pthread_mutex_lock(&pool_lock);
	mw = pool;
	if (mw != NULL)
		pool = mw->next;
	pthread_mutex_unlock(&pool_lock);
	if (mw == NULL) {
		mw = xcalloc(1, sizeof(*mw));
		mw->w.srv = &msrv;
		rp_tokens_init(&mw->toks, 0, 0);
	}
	rf_worker_sync(&mw->w);
	if (mw->cls_gen != mw->w.gen->id) {
		struct rp_diag d = { 0 };
		const char *path = mw->w.gen->cfg.milter_tokens;
		mw->cls = rp_classifier_close(mw->cls);
		mw->cls_gen = mw->w.gen->id;
		if (path != NULL && *path != '\0' && rp_classifier_open(path, true, 0, &mw->cls, &d) != 0)
			log_warnx("milter: token database %s: %s: content scoring off", path, d.reason);
	}
	return mw;
}

/* worker_put - back to the pool. */
static void worker_put(struct mworker *mw)
{
	pthread_mutex_lock(&pool_lock);
	mw->next = pool;
	pool = mw;
	pthread_mutex_unlock(&pool_lock);
}

/* content_score - the classifier's score as 0..100, or -1. */
static int content_score(struct mworker *mw, const struct msession *s)
{
	struct rp_message *m = NULL;
	struct rp_classify_result r;
	struct rp_diag d = { 0 };

	if (mw->cls == NULL || s->too_big || s->raw.len == 0)
		return -1;
	if (rp_message_parse(s->raw.data, s->raw.len, NULL, &m, &d) != 0) {
		log_warnx("milter: client=%s message not parsed: %s", s->ip, d.reason);
		return -1;
	}
	rp_tokens_reset(&mw->toks);
	rp_tokens_from_message(&mw->toks, m);
	if (m->html_text != NULL && m->html_text[0] != '\0')
		rp_tokens_from_raw_html(&mw->toks, s->raw.data, s->raw.len);
	rp_message_free(m);
	int rc = rp_classifier_score(mw->cls, &mw->toks, NULL, &r, &d);
	rp_classifier_read_end(mw->cls); /* the next message sees new training */
	if (rc != 0) {
		log_warnx("milter: classifier: %s", d.reason);
		return -1;
	}
	return (int)(r.score * 100.0 + 0.5);
}

/* policy_points - DNS lists and SPF of the client and sender. */
static void policy_points(struct mworker *mw, const struct msession *s, struct mverdict *v)
{
	const struct rf_config *c = &mw->w.gen->cfg;
	struct rp_dnsbl_result r;
	struct rp_spf_answer a;
	struct rp_addr addr;

	if (rp_addr_parse(s->ip, &addr) != 0)
		return;
	if (mw->w.dnsbl != NULL && rp_dnsbl_check(mw->w.dnsbl, &addr, &r) == 0) {
		for (size_t i = 0; i < r.n; i++) {
			if (r.hits[i].status != RP_DNSBL_LISTED)
				continue;
			if (r.hits[i].zone->kind == RP_DNSBL_ALLOW)
				v->dnswl = true;
			else
				v->listings++;
		}
		v->points += v->listings * (int)c->milter_dnsbl_points;
	}
	if (mw->w.spf != NULL && rp_spf_check_mailfrom(mw->w.spf, &addr, s->helo ? s->helo : "", s->sender, &a) == 0 &&
	    (a.result == RP_SPF_FAIL || a.result == RP_SPF_SOFTFAIL)) {
		v->spf = rp_spf_result_name(a.result);
		v->points += (int)c->milter_spf_points;
	}
}

/* decide - combine the scores into an action (docs/repute-filter.md "Milter"); a message over
 * max_size was not kept whole, so it is tagged rather than quarantined. */
static void decide(const struct rf_config *c, bool too_big, struct mverdict *v)
{
	v->total = (v->content > 0 ? v->content : 0) + v->points;
	v->action = M_ACCEPT;
	if (c->milter_tag > 0 && v->total >= c->milter_tag)
		v->action = M_TAG;
	if (c->milter_quarantine > 0 && v->total >= c->milter_quarantine)
		v->action = M_QUARANTINE;
	if (c->milter_reject > 0 && v->total >= c->milter_reject)
		v->action = M_REJECT;
	if (v->dnswl && v->action > M_TAG)
		v->action = M_TAG; /* whitelisted senders skip content rejection */
	if (too_big && v->action == M_QUARANTINE)
		v->action = M_TAG;
	snprintf(v->reason, sizeof(v->reason), "score %d (content %d, dnsbl listings %d, spf %s%s)", v->total,
		 v->content, v->listings, v->spf ? v->spf : "ok", v->dnswl ? ", dnswl" : "");
}

/* session_reset_msg - forget the current transaction (keep connection data). */
static void session_reset_msg(struct msession *s)
{
	s->sender = xfree(s->sender);
	for (size_t i = 0; i < s->n_rcpts; i++)
		xfree(s->rcpts[i]);
	s->rcpts = xfree(s->rcpts);
	s->n_rcpts = 0;
	s->subject = xfree(s->subject);
	buf_reset(&s->raw);
	s->too_big = false;
}

/* strip_angle - "<a@b>" -> "a@b" (owned copy). */
static char *strip_angle(const char *a)
{
	size_t n = strlen(a);

	if (n >= 2 && a[0] == '<' && a[n - 1] == '>')
		return xstrndup(a + 1, n - 2);
	return xstrdup(a);
}

/* collect - append to the raw message, within max_size. */
static void collect(struct msession *s, const void *p, size_t n)
{
	if (s->too_big || s->raw.len + n > s->max_size) {
		s->too_big = true;
		return;
	}
	buf_append(&s->raw, p, n);
}

/* m_connect - a new SMTP session (also after XCLIENT). */
static sfsistat m_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	struct msession *s = smfi_getpriv(ctx);

	(void)host;
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		buf_init(&s->raw);
		smfi_setpriv(ctx, s);
	}
	snprintf(s->ip, sizeof(s->ip), "unknown");
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)sa)->sin_addr, s->ip, sizeof(s->ip));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, s->ip, sizeof(s->ip));
	return SMFIS_CONTINUE;
}

/* m_helo - remember the HELO name. */
static sfsistat m_helo(SMFICTX *ctx, char *helo)
{
	struct msession *s = smfi_getpriv(ctx);

	if (s != NULL) {
		xfree(s->helo);
		s->helo = xstrdup(helo ? helo : "");
	}
	return SMFIS_CONTINUE;
}

/* m_envfrom - a new transaction. */
static sfsistat m_envfrom(SMFICTX *ctx, char **argv)
{
	struct msession *s = smfi_getpriv(ctx);

	if (s == NULL)
		return SMFIS_ACCEPT;
	session_reset_msg(s);
	s->sender = strip_angle(argv[0] ? argv[0] : "");
	struct rf_gen *g = rf_gen_acquire(&msrv); /* a reload may free the current one meanwhile */
	s->max_size = (size_t)g->cfg.milter_max_size;
	rf_gen_release(g);
	return SMFIS_CONTINUE;
}

/* m_envrcpt - one more recipient. */
static sfsistat m_envrcpt(SMFICTX *ctx, char **argv)
{
	struct msession *s = smfi_getpriv(ctx);

	if (s == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;
	s->rcpts = xreallocarray(s->rcpts, s->n_rcpts + 1, sizeof(char *));
	s->rcpts[s->n_rcpts++] = strip_angle(argv[0]);
	return SMFIS_CONTINUE;
}

/* m_header - one header field. */
static sfsistat m_header(SMFICTX *ctx, char *name, char *value)
{
	struct msession *s = smfi_getpriv(ctx);

	if (s == NULL)
		return SMFIS_CONTINUE;
	if (strcasecmp(name, "Subject") == 0 && s->subject == NULL)
		s->subject = xstrdup(value);
	collect(s, name, strlen(name));
	collect(s, ": ", 2);
	collect(s, value, strlen(value));
	collect(s, "\r\n", 2);
	return SMFIS_CONTINUE;
}

/* m_eoh - end of headers. */
static sfsistat m_eoh(SMFICTX *ctx)
{
	struct msession *s = smfi_getpriv(ctx);

	if (s != NULL)
		collect(s, "\r\n", 2);
	return SMFIS_CONTINUE;
}

/* m_body - a body chunk. */
static sfsistat m_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	struct msession *s = smfi_getpriv(ctx);

	if (s != NULL)
		collect(s, p, n);
	return SMFIS_CONTINUE;
}

/* quarantine_store - into SQLite; false on failure (logged). */
static bool quarantine_store(const struct rf_config *c, const struct msession *s, const struct mverdict *v,
			     int64_t *id)
{
	struct rp_quarantine_entry e = { .received = time(NULL), .sender = s->sender, .client = s->ip,
					 .subject = s->subject ? s->subject : "", .reason = v->reason,
					 .score = v->total, .rcpts = (const char *const *)s->rcpts,
					 .n_rcpts = s->n_rcpts };
	struct rp_diag d = { 0 };
	int rc = 0;

	pthread_mutex_lock(&q_lock);
	if (mq != NULL && strcmp(mq_path, c->quarantine_path) != 0) {
		mq = rp_quarantine_close(mq);
		mq_path = xfree(mq_path);
	}
	if (mq == NULL) {
		rc = rp_quarantine_open(c->quarantine_path, 5000, &mq, &d);
		if (rc == 0)
			mq_path = xstrdup(c->quarantine_path);
	}
	if (rc == 0)
		rc = rp_quarantine_add(mq, &e, s->raw.data, s->raw.len, &d);
	pthread_mutex_unlock(&q_lock);
	if (rc != 0)
		log_warnx("milter: quarantine %s: %s", c->quarantine_path, d.reason);
	*id = e.id;
	return rc == 0;
}

/* add_headers - X-Spam-Status always, X-Spam-Flag and the subject tag when tagged. */
static void add_headers(SMFICTX *ctx, const struct rf_config *c, const struct msession *s, const struct mverdict *v)
{
	char status[400];

	snprintf(status, sizeof(status), "%s, score=%d content=%d dnsbl=%d spf=%s dnswl=%s action=%s",
		 v->action >= M_TAG ? "Yes" : "No", v->total, v->content, v->listings, v->spf ? v->spf : "ok",
		 v->dnswl ? "yes" : "no", maction_names[v->action]);
	smfi_addheader(ctx, "X-Spam-Status", status);
	if (v->action < M_TAG)
		return;
	smfi_addheader(ctx, "X-Spam-Flag", "YES");
	if (c->milter_subject_tag != NULL && *c->milter_subject_tag != '\0') {
		char *subj = xasprintf("%s %s", c->milter_subject_tag, s->subject ? s->subject : "");
		if (s->subject != NULL)
			smfi_chgheader(ctx, "Subject", 1, subj);
		else
			smfi_addheader(ctx, "Subject", subj);
		xfree(subj);
	}
}

/* act - carry out the verdict; returns the milter status. */
static sfsistat act(SMFICTX *ctx, const struct rf_config *c, const struct msession *s, struct mverdict *v)
{
	int64_t id = 0;

	if (v->action == M_REJECT) {
		char text[400];
		snprintf(text, sizeof(text), "Message rejected as spam: %s", v->reason);
		smfi_setreply(ctx, "550", "5.7.1", text);
		return SMFIS_REJECT;
	}
	add_headers(ctx, c, s, v);
	if (v->action != M_QUARANTINE)
		return SMFIS_CONTINUE;
	if (c->quarantine_path == NULL || *c->quarantine_path == '\0') {
		smfi_quarantine(ctx, v->reason); /* Postfix: the hold queue */
		return SMFIS_CONTINUE;
	}
	if (!quarantine_store(c, s, v, &id)) {
		smfi_setreply(ctx, "451", "4.3.0", "Temporary failure storing the message; try again later");
		return SMFIS_TEMPFAIL;
	}
	snprintf(v->reason + strlen(v->reason), sizeof(v->reason) - strlen(v->reason), " quarantine_id=%lld",
		 (long long)id);
	return SMFIS_DISCARD;
}

/* m_eom - the whole message: judge and act. */
static sfsistat m_eom(SMFICTX *ctx)
{
	struct msession *s = smfi_getpriv(ctx);
	struct mverdict v = { .content = -1 };

	if (s == NULL)
		return SMFIS_CONTINUE;
	struct mworker *mw = worker_get();
	const struct rf_config *c = &mw->w.gen->cfg;
	v.content = content_score(mw, s);
	policy_points(mw, s, &v);
	decide(c, s->too_big, &v);
	sfsistat st = act(ctx, c, s, &v);
	const char *qid = smfi_getsymval(ctx, "i");
	log_info("milter: queue_id=%s client=%s sender=<%.200s> rcpts=%zu size=%zu action=%s %s", qid ? qid : "-",
		 s->ip, s->sender ? s->sender : "", s->n_rcpts, s->raw.len, maction_names[v.action], v.reason);
	worker_put(mw);
	session_reset_msg(s);
	return st;
}

/* m_abort - the transaction was aborted. */
static sfsistat m_abort(SMFICTX *ctx)
{
	struct msession *s = smfi_getpriv(ctx);

	if (s != NULL)
		session_reset_msg(s);
	return SMFIS_CONTINUE;
}

/* m_close - the session ended. */
static sfsistat m_close(SMFICTX *ctx)
{
	struct msession *s = smfi_getpriv(ctx);

	if (s != NULL) {
		session_reset_msg(s);
		buf_fini(&s->raw);
		xfree(s->helo);
		xfree(s);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

/* nodelay_listener - libmilter does not expose its socket, so find the child's listening TCP socket
 * and set TCP_NODELAY, which Linux passes on to accepted connections: libmilter writes the end of
 * message answer in pieces (each added header, then the verdict), and Nagle's algorithm against the
 * MTA's delayed ACK held each message about 40 ms (measured: 87 messages/s through Postfix, see
 * docs/repute-filter.md). A unix: socket has no such delay. */
static void nodelay_listener(void)
{
	for (int fd = 3; fd < 1024; fd++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss), l = sizeof(int);
		int acc = 0, on = 1;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) != 0 || !acc ||
		    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	}
}

/* unix_socket_mode - a unix: or local: socket is made connectable for Postfix's smtpd (user postfix):
 * mode 0666; restrict who may connect with the permissions of its directory. */
static void unix_socket_mode(const char *conn)
{
	const char *path = strncmp(conn, "unix:", 5) == 0 ? conn + 5 : strncmp(conn, "local:", 6) == 0 ? conn + 6 : NULL;

	if (path != NULL && chmod(path, 0666) != 0)
		log_warn("milter: chmod %s", path);
}

/* milter_main - the child: register, serve until SIGTERM, exit. */
static void milter_main(struct rf_server *parent)
{
	struct smfiDesc desc = {
		.xxfi_name = "repute-filter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
		.xxfi_connect = m_connect, .xxfi_helo = m_helo, .xxfi_envfrom = m_envfrom,
		.xxfi_envrcpt = m_envrcpt, .xxfi_header = m_header, .xxfi_eoh = m_eoh, .xxfi_body = m_body,
		.xxfi_eom = m_eom, .xxfi_abort = m_abort, .xxfi_close = m_close,
	};
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t set;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	pthread_mutex_init(&msrv.gen_lock, NULL);
	msrv.gen = parent->gen;
	mconfig_path = parent->config_path;
	msrv.cache = rp_dnsbl_cache_new((size_t)msrv.gen->cfg.cache_size);
	msrv.started = time(NULL);
	char *conn = xstrdup(msrv.gen->cfg.milter_listen);
	if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(conn) != MI_SUCCESS || smfi_opensocket(true) != MI_SUCCESS) {
		log_warnx("milter: cannot listen on %s", conn);
		_exit(1);
	}
	nodelay_listener();
	unix_socket_mode(conn);
	log_info("milter: listening on %s", conn);
	int rc = smfi_main();
	log_info("milter: stopped (%d)", rc);
	xfree(conn);
	exit(rc == MI_SUCCESS ? 0 : 1);
}

/* rf_milter_start - fork the milter process (call before any thread is started). */
pid_t rf_milter_start(struct rf_server *s)
{
	const char *l = s->gen->cfg.milter_listen;

	if (l == NULL || *l == '\0')
		return 0;
	pid_t pid = fork();
	if (pid < 0)
		log_fatal("fork (milter)");
	if (pid == 0)
		milter_main(s);
	return pid;
}

/* rf_milter_signal - SIGHUP becomes SIGUSR1 (reload); SIGTERM stops and waits up to 10 s. */
void rf_milter_signal(pid_t pid, int sig)
{
	int status;

	if (pid <= 0)
		return;
	if (sig == SIGHUP) {
		kill(pid, SIGUSR1);
		return;
	}
	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		usleep(100000);
	}
	log_warnx("milter: process %ld did not stop; killing it", (long)pid);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* rf_milter_reap - after SIGCHLD: true (logged) when the milter process has ended. */
bool rf_milter_reap(pid_t pid)
{
	int status;

	if (pid <= 0 || waitpid(pid, &status, WNOHANG) != pid)
		return false;
	if (WIFSIGNALED(status))
		log_warnx("milter: process %ld killed by signal %d; no milter until repute-filter is restarted "
			  "(Postfix applies milter_default_action)", (long)pid, WTERMSIG(status));
	else
		log_warnx("milter: process %ld exited with status %d; no milter until repute-filter is restarted "
			  "(Postfix applies milter_default_action)", (long)pid, WEXITSTATUS(status));
	return true;
}
