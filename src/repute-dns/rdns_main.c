/* rdns_main.c - repute-dns: the authoritative DNSBL/DNSWL server's entry point.
 *
 * Accepts its own options and config file, and rbldnsd's command line so it can replace it
 * in place: -n (foreground), -b ADDR/PORT (repeatable), -t TTL, -w DIR, -p PIDFILE, -4/-6 and
 * zone:type:file[,file...] dataset arguments; rbldnsd options without meaning here are
 * accepted and ignored with a warning. Binds the sockets, loads the zones, starts one UDP
 * worker per thread and listen address (SO_REUSEPORT), one TCP thread and optionally the
 * metrics thread, then waits for signals: SIGHUP reloads every zone and swaps the set in
 * without dropping queries, SIGTERM/SIGINT stop cleanly. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "repute/alloc.h"
#include "repute/config.h"
#include "repute/log.h"

#include "rdns.h"

#define OFF(f) offsetof(struct rdns_config, f)
const struct cfg_opt rdns_config_table[] = {
	{ "server", "listen", CFG_LIST, "127.0.0.1/53", 0, 0, OFF(listen),
	  "addresses to serve, ADDR/PORT (IPv6 too: ::1/53), UDP and TCP" },
	{ "server", "threads", CFG_INT, "0", 0, RDNS_MAXTHREADS, OFF(threads), "UDP worker threads per address (0: one per CPU)" },
	{ "server", "udp_size", CFG_INT, "1232", 512, 4096, OFF(udp_size), "largest UDP response with EDNS0" },
	{ "server", "tcp_max", CFG_INT, "256", 1, 65536, OFF(tcp_max), "simultaneous TCP connections" },
	{ "server", "tcp_idle", CFG_SECONDS, "10s", 1, 3600, OFF(tcp_idle), "close TCP connections idle this long" },
	{ "server", "metrics", CFG_STR, NULL, 0, 0, OFF(metrics), "ADDR/PORT for HTTP /metrics (empty: off)" },
	{ "server", "pidfile", CFG_STR, NULL, 0, 0, OFF(pidfile), "write the process id here" },
	{ "server", "log_level", CFG_STR, "info", 0, 0, OFF(log_level), "error, warn, info or debug" },
	{ "zones", "snapshots", CFG_LIST, NULL, 0, 0, OFF(snapshots), "zone snapshot files (repute zone compile)" },
	{ "zones", "datasets", CFG_LIST, NULL, 0, 0, OFF(datasets),
	  "rbldnsd datasets, zone:type:file (use + between files of one dataset)" },
	{ "rrl", "rate", CFG_INT, "0", 0, 1000000, OFF(rrl_rate),
	  "UDP responses per second to one /24 (IPv4) or /56 (IPv6), per worker thread; 0: no limit" },
	{ "rrl", "slip", CFG_INT, "2", 0, 10, OFF(rrl_slip),
	  "every Nth response over the limit is sent truncated (TC, so a real client retries over TCP); 0: drop all" },
	{ "xfr", "allow", CFG_LIST, "127.0.0.1/32 ::1/128", 0, 0, OFF(xfr_allow), "networks allowed to AXFR/IXFR" },
	{ "xfr", "notify", CFG_LIST, NULL, 0, 0, OFF(notify), "secondaries to NOTIFY after a load, ADDR/PORT" },
	{ "zones", "ttl", CFG_SECONDS, "35m", 0, 0x7fffffff, OFF(ttl), "default TTL of dataset records" },
	CFG_END,
};

static struct rdns_server server;

/* usage - the synopsis on stderr; exits 2. */
static void usage(void)
{
	fprintf(stderr, "usage: repute-dns [--config FILE] [--snapshot FILE]... [--threads N] [--metrics ADDR/PORT]\n"
			"                  [--notify ADDR/PORT]... [--xfr-allow CIDR]...\n"
			"                  [-n] [-b ADDR/PORT]... [-t TTL] [-w DIR] [-p PIDFILE] [zone:type:file[,file...]]...\n"
			"       repute-dns --sample-config\n");
	exit(2);
}

/* rdns_parse_hostport - "ADDR/PORT", "ADDR", "[v6]:PORT" or "v4:PORT". */
int rdns_parse_hostport(const char *text, int dflt_port, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *port = NULL, *slash = strrchr(text, '/');
	size_t hl = strlen(text);

	if (slash)
		hl = (size_t)(slash - text), port = slash + 1;
	else if (text[0] == '[' && strstr(text, "]:"))
		port = strstr(text, "]:") + 2, hl = (size_t)(port - 1 - text);
	else if (strchr(text, ':') == strrchr(text, ':') && strchr(text, ':'))
		hl = (size_t)(strchr(text, ':') - text), port = strchr(text, ':') + 1;
	if (hl >= sizeof(host))
		return RP_EINVAL;
	memcpy(host, text, hl);
	host[hl] = 0;
	if (host[0] == '[' && hl > 1 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
	}
	long p = port ? strtol(port, NULL, 10) : dflt_port;
	if (p <= 0 || p > 65535)
		return RP_EINVAL;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET, s4->sin_port = htons((uint16_t)p), *len = sizeof(*s4);
		return RP_OK;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6, s6->sin6_port = htons((uint16_t)p), *len = sizeof(*s6);
		return RP_OK;
	}
	return RP_EINVAL;
}

/* open_socket - a bound socket of type for ss (SO_REUSEPORT for UDP workers); fatal on error. */
static int open_socket(const struct sockaddr_storage *ss, socklen_t len, int type, const char *what)
{
	int fd = socket(ss->ss_family, type | SOCK_CLOEXEC, 0), on = 1;
	bool stream = (type & 0xff) == SOCK_STREAM;

	if (fd < 0)
		log_fatal("%s: socket", what);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (!stream)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)ss, len) != 0)
		log_fatal("%s: bind", what);
	if (stream && listen(fd, 128) != 0)
		log_fatal("%s: listen", what);
	if (!stream) {
		struct timeval tv = { 0, 500000 }; /* lets idle workers notice shutdown */
		int rcvbuf = 4 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	}
	return fd;
}

/* open_listeners - UDP sockets (one per thread) and a TCP socket per listen address. */
static void open_listeners(struct rdns_server *s)
{
	for (size_t i = 0; i < s->cfg.listen.n && s->nlisten < RDNS_MAXLISTEN; i++) {
		struct rdns_listen *l = &s->listen[s->nlisten];
		const char *text = s->cfg.listen.items[i];
		if (rdns_parse_hostport(text, 53, &l->addr, &l->addrlen) != RP_OK)
			log_fatalx("listen address \"%s\" is not ADDR/PORT", text);
		for (long t = 0; t < s->cfg.threads; t++)
			l->udp_fd[t] = open_socket(&l->addr, l->addrlen, SOCK_DGRAM, text);
		l->tcp_fd = open_socket(&l->addr, l->addrlen, SOCK_STREAM | SOCK_NONBLOCK, text);
		s->nlisten++;
	}
}

/* add_item - append a copy of text to a config list. */
static void add_item(struct cfg_list *l, const char *text)
{
	l->items = xreallocarray(l->items, l->n + 1, sizeof(*l->items));
	l->items[l->n++] = xstrdup(text);
}

/* clear_list - empty a config list (the command line replaces the file's value). */
static void clear_list(struct cfg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		xfree(l->items[i]);
	l->n = 0;
}

enum { OPT_CONFIG = 256, OPT_SNAPSHOT, OPT_THREADS, OPT_METRICS, OPT_SAMPLE, OPT_DEBUG, OPT_NOTIFY, OPT_ALLOW };

/* parse_args - our long options and rbldnsd's short ones into s->cfg; returns foreground. */
static bool parse_args(struct rdns_server *s, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, OPT_CONFIG }, { "snapshot", required_argument, NULL, OPT_SNAPSHOT },
		{ "threads", required_argument, NULL, OPT_THREADS }, { "metrics", required_argument, NULL, OPT_METRICS },
		{ "sample-config", no_argument, NULL, OPT_SAMPLE }, { "debug", no_argument, NULL, OPT_DEBUG },
		{ "notify", required_argument, NULL, OPT_NOTIFY }, { "xfr-allow", required_argument, NULL, OPT_ALLOW },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	bool foreground = false, cleared_listen = false;
	struct rp_diag diag = { 0 };
	int c;
	char *tval = NULL;

	cfg_defaults(rdns_config_table, &s->cfg);
	/* first pass: the config file, so that command-line options override it */
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "--config") == 0 &&
		    cfg_load_file(rdns_config_table, &s->cfg, argv[i + 1], &diag) != RP_OK)
			log_fatalx("%s:%lu: %s", argv[i + 1], diag.line, diag.reason);
	while ((c = getopt_long(argc, argv, "nb:t:w:p:46qec:u:r:l:s:vaAfCdx:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': foreground = true; break;
		case 'b':
			if (!cleared_listen)
				clear_list(&s->cfg.listen), cleared_listen = true;
			add_item(&s->cfg.listen, optarg);
			break;
		case 't': tval = optarg; break;
		case 'w':
			if (chdir(optarg) != 0)
				log_fatal("-w %s", optarg);
			break;
		case 'p': xfree(s->cfg.pidfile); s->cfg.pidfile = xstrdup(optarg); break;
		case '4': case '6': case 'q': case 'e': case 'a': case 'A': case 'f': case 'C': break;
		case 'c': case 'u': case 'r': case 'l': case 's': case 'x': case 'v': case 'd':
			log_warnx("rbldnsd option -%c is not supported; ignored", c);
			break;
		case OPT_CONFIG: break;
		case OPT_SNAPSHOT: add_item(&s->cfg.snapshots, optarg); break;
		case OPT_THREADS: s->cfg.threads = strtol(optarg, NULL, 10); break;
		case OPT_METRICS: xfree(s->cfg.metrics); s->cfg.metrics = xstrdup(optarg); break;
		case OPT_SAMPLE: cfg_write_sample(rdns_config_table, stdout); exit(0);
		case OPT_DEBUG: log_set_level(LOGL_DEBUG); break;
		case OPT_NOTIFY: add_item(&s->cfg.notify, optarg); break;
		case OPT_ALLOW: add_item(&s->cfg.xfr_allow, optarg); break;
		default: usage();
		}
	}
	if (tval && cfg_set(rdns_config_table, &s->cfg, "zones.ttl", strtok(tval, ":"), &diag) != RP_OK)
		log_fatalx("-t %s: %s", tval, diag.reason);
	for (int i = optind; i < argc; i++)
		add_item(&s->cfg.datasets, argv[i]);
	if (s->cfg.threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		s->cfg.threads = n < 1 ? 1 : n > RDNS_MAXTHREADS ? RDNS_MAXTHREADS : n;
	}
	if (s->cfg.threads > RDNS_MAXTHREADS)
		s->cfg.threads = RDNS_MAXTHREADS;
	if (s->cfg.snapshots.n + s->cfg.datasets.n == 0)
		usage();
	return foreground;
}

/* now_seconds - monotonic time. */
static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* reload - load everything again and publish it; keeps the old set on failure. */
static void reload(struct rdns_server *s)
{
	double t0 = now_seconds();
	struct rdns_zoneset *zs = rdns_zoneset_load(&s->cfg);

	if (zs == NULL) {
		log_warnx("action=reload result=failed reason=\"keeping the zones in service\"");
		return;
	}
	struct rdns_zoneset *old = atomic_load(&s->zones), *older = NULL;
	if (s->cfg.notify.n > 0) {
		/* keep the outgoing set for IXFR; the one kept before it goes once no reader holds it */
		rdns_zoneset_ref(old);
		older = atomic_exchange(&s->prev, old);
	}
	rdns_publish(s, zs); /* its grace period also covers readers of the previous prev */
	rdns_zoneset_unref(older);
	malloc_trim(0); /* hand the builder's scratch memory back to the kernel */
	rdns_notify_all(s);
	double took = now_seconds() - t0;
	atomic_fetch_add(&s->reloads, 1);
	atomic_store(&s->last_reload_seconds, took);
	log_info("action=reload result=ok zones=%u seconds=%.3f", zs->n, took);
}

/* start_thread - a thread with its own argument block (freed at exit by main). */
static pthread_t start_thread(void *(*fn)(void *), struct rdns_server *s, unsigned reader, int fd,
			      struct rdns_thread_arg **argp)
{
	pthread_t th;
	struct rdns_thread_arg *a = xcalloc(1, sizeof(*a));

	a->s = s, a->reader = reader, a->fd = fd;
	if (pthread_create(&th, NULL, fn, a) != 0)
		log_fatalx("cannot start a thread");
	*argp = a;
	return th;
}

/* write_pidfile - the process id, if configured. */
static void write_pidfile(const char *path)
{
	FILE *f;

	if (path == NULL || path[0] == 0)
		return;
	if ((f = fopen(path, "w")) == NULL)
		log_fatal("pidfile %s", path);
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

/* run - start the threads and handle signals until told to stop. */
static void run(struct rdns_server *s, sigset_t *set)
{
	pthread_t th[RDNS_MAXREADERS];
	struct rdns_thread_arg *args[RDNS_MAXREADERS];
	unsigned n = 0;
	int metrics_fd = -1;

	for (unsigned l = 0; l < s->nlisten; l++)
		for (long t = 0; t < s->cfg.threads; t++, n++)
			th[n] = start_thread(rdns_udp_worker, s, n, s->listen[l].udp_fd[t], &args[n]);
	th[n] = start_thread(rdns_tcp_thread, s, n, -1, &args[n]);
	n++;
	if (s->cfg.metrics && s->cfg.metrics[0]) {
		struct sockaddr_storage ss;
		socklen_t len;
		if (rdns_parse_hostport(s->cfg.metrics, 9153, &ss, &len) != RP_OK)
			log_fatalx("metrics address \"%s\" is not ADDR/PORT", s->cfg.metrics);
		metrics_fd = open_socket(&ss, len, SOCK_STREAM, s->cfg.metrics);
		th[n] = start_thread(rdns_metrics_thread, s, n, metrics_fd, &args[n]);
		n++;
	}
	log_info("action=started threads=%ld listeners=%u zones=%u", s->cfg.threads, s->nlisten,
		 atomic_load(&s->zones)->n);
	rdns_notify_all(s);
	for (;;) {
		int sig;
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP)
			reload(s);
		else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	log_info("action=stopping");
	atomic_store(&s->stop, true);
	for (unsigned i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		xfree(args[i]);
	}
	if (metrics_fd >= 0)
		close(metrics_fd);
}

/* close_listeners - close every socket. */
static void close_listeners(struct rdns_server *s)
{
	for (unsigned l = 0; l < s->nlisten; l++) {
		close(s->listen[l].tcp_fd);
		for (long t = 0; t < s->cfg.threads; t++)
			close(s->listen[l].udp_fd[t]);
	}
}

/* main - load, bind, serve until SIGTERM. */
int main(int argc, char **argv)
{
	struct rdns_server *s = &server;
	sigset_t set;

	/* a fixed threshold: big load-time buffers come from mmap and go back to the kernel when
	 * freed, instead of staying in the heap after glibc raises its dynamic threshold */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	log_init("repute-dns", false, LOGL_INFO);
	bool foreground = parse_args(s, argc, argv);
	int lvl = log_level_parse(s->cfg.log_level ? s->cfg.log_level : "info");
	if (lvl >= 0 && log_get_level() < LOGL_DEBUG)
		log_set_level((enum log_level)lvl);
	atomic_store(&s->epoch, 1);
	struct rdns_zoneset *zs = rdns_zoneset_load(&s->cfg);
	if (zs == NULL)
		log_fatalx("cannot load the zones");
	atomic_store(&s->zones, zs);
	malloc_trim(0);
	s->nreaders = (unsigned)(s->cfg.listen.n * (size_t)s->cfg.threads) + 2;
	if (s->nreaders > RDNS_MAXREADERS)
		log_fatalx("too many listen addresses and threads");
	open_listeners(s);
	if (!foreground) {
		if (daemon(1, 0) != 0)
			log_fatal("daemon");
		log_init("repute-dns", true, log_get_level());
	}
	write_pidfile(s->cfg.pidfile);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	run(s, &set);
	close_listeners(s);
	rdns_zoneset_free(atomic_load(&s->zones));
	rdns_zoneset_unref(atomic_load(&s->prev));
	if (s->cfg.pidfile && s->cfg.pidfile[0])
		unlink(s->cfg.pidfile);
	cfg_fini(rdns_config_table, &s->cfg);
	log_info("action=stopped");
	return 0;
}
