/* rf_main.c - repute-filter's entry point: the config table (the one source of the sample
 * config and docs), command line, configuration generations (load, acquire, release), and the
 * signal loop: SIGTERM/SIGINT stop cleanly, SIGHUP loads the config file again and publishes it
 * as a new generation (a bad file is logged and the running one kept). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "repute/alloc.h"
#include "repute/config.h"
#include "repute/error.h"
#include "repute/log.h"

#include "rf.h"

#define OFF(f) offsetof(struct rf_config, f)
const struct cfg_opt rf_config_table[] = {
	{ "server", "listen", CFG_STR, "127.0.0.1:10040", 0, 0, OFF(listen),
	  "policy service address, ADDR:PORT ([v6]:PORT for IPv6)" },
	{ "server", "max_connections", CFG_INT, "100", 1, 10000, OFF(max_connections),
	  "simultaneous policy connections (one thread each); more are refused" },
	{ "server", "idle_timeout", CFG_SECONDS, "300s", 1, 86400, OFF(idle_timeout),
	  "close a connection idle this long (Postfix reconnects)" },
	{ "server", "pidfile", CFG_STR, NULL, 0, 0, OFF(pidfile), "write the process id here" },
	{ "server", "log_level", CFG_STR, "info", 0, 0, OFF(log_level), "error, warn, info or debug" },
	{ "dnsbl", "block", CFG_LIST, NULL, 0, 0, OFF(block),
	  "DNSBL zones (RFC 5782) whose listings count against the client; zone=ADDR@PORT asks that server" },
	{ "dnsbl", "allow", CFG_LIST, NULL, 0, 0, OFF(allow),
	  "DNSWL zones: a listed client skips DNSBL and SPF rejection; zone=ADDR@PORT as for block" },
	{ "dnsbl", "server", CFG_STR, NULL, 0, 0, OFF(dns_server),
	  "ask this server (ADDR@PORT) for every zone directly; empty: the resolvers in /etc/resolv.conf" },
	{ "dnsbl", "timeout_ms", CFG_INT, "2000", 50, 60000, OFF(dns_timeout_ms),
	  "milliseconds to wait for all lists; a list that does not answer is skipped (fail open)" },
	{ "dnsbl", "reject_threshold", CFG_INT, "1", 1, 16, OFF(reject_threshold),
	  "block lists that must list a client to reject it; fewer listings only tag" },
	{ "dnsbl", "delist_url", CFG_STR, "https://repute.example/delist?ip={ip}&zone={zone}", 0, 0,
	  OFF(delist_url), "delisting address in rejections; {ip} and {zone} are replaced" },
	{ "dnsbl", "cache_size", CFG_INT, "100000", 1, 10000000, OFF(cache_size),
	  "DNS answers kept in the shared cache" },
	{ "spf", "enable", CFG_BOOL, "yes", 0, 0, OFF(spf_enable), "check SPF of the envelope sender (or HELO)" },
	{ "spf", "dns", CFG_STR, "system", 0, 0, OFF(spf_dns),
	  "\"system\" (resolv.conf) or a file of static records \"name TYPE data\" (tests, offline)" },
	{ "spf", "fail", CFG_STR, "reject", 0, 0, OFF(spf_fail), "action for SPF fail: reject, tag or ignore" },
	{ "spf", "softfail", CFG_STR, "tag", 0, 0, OFF(spf_softfail), "action for SPF softfail: reject, tag or ignore" },
	{ "spf", "temperror", CFG_STR, "ignore", 0, 0, OFF(spf_temperror),
	  "action for SPF temperror: defer (4xx) or ignore" },
	{ "rate", "window", CFG_SECONDS, "60s", 1, 86400, OFF(rate_window), "rate limit window" },
	{ "rate", "client_max", CFG_INT, "0", 0, 100000000, OFF(rate_client_max),
	  "RCPT requests per client IP per window before deferring (0: no limit)" },
	{ "rate", "sender_max", CFG_INT, "0", 0, 100000000, OFF(rate_sender_max),
	  "RCPT requests per envelope sender per window before deferring (0: no limit)" },
	{ "rate", "entries", CFG_INT, "100000", 16, 100000000, OFF(rate_entries),
	  "clients and senders tracked at once" },
	{ "filter", "header", CFG_STR, "X-Spam-Repute", 0, 0, OFF(header), "header prepended when tagging" },
	{ "milter", "listen", CFG_STR, NULL, 0, 0, OFF(milter_listen),
	  "milter socket (inet:PORT@127.0.0.1 or unix:/path); empty: no milter" },
	{ "milter", "tokens", CFG_STR, NULL, 0, 0, OFF(milter_tokens),
	  "content classifier token database (directory, `repute train`); empty: no content scoring" },
	{ "milter", "max_size", CFG_SIZE, "10M", 1024, 1073741824, OFF(milter_max_size),
	  "bytes of a message collected and scored; larger messages are not content-scored" },
	{ "milter", "tag_score", CFG_INT, "70", 0, 1000, OFF(milter_tag),
	  "score at which X-Spam-Flag: YES and the subject tag are added (0: never)" },
	{ "milter", "quarantine_score", CFG_INT, "90", 0, 1000, OFF(milter_quarantine),
	  "score at which the message is quarantined (0: never)" },
	{ "milter", "reject_score", CFG_INT, "0", 0, 1000, OFF(milter_reject),
	  "score at which the message is rejected with 550 5.7.1 (0: never)" },
	{ "milter", "dnsbl_points", CFG_INT, "30", 0, 1000, OFF(milter_dnsbl_points),
	  "points per block list listing the client (below the policy's reject threshold)" },
	{ "milter", "spf_points", CFG_INT, "20", 0, 1000, OFF(milter_spf_points),
	  "points for SPF fail or softfail of the sender" },
	{ "milter", "subject_tag", CFG_STR, NULL, 0, 0, OFF(milter_subject_tag),
	  "prefix for the Subject of tagged messages, e.g. [SPAM]; empty: subject unchanged" },
	{ "quarantine", "path", CFG_STR, NULL, 0, 0, OFF(quarantine_path),
	  "SQLite file of quarantined messages; empty: Postfix's hold queue (milter quarantine)" },
	{ "quarantine", "release_command", CFG_STR, "/usr/sbin/sendmail -G -i", 0, 0, OFF(release_command),
	  "re-injects a released message (stdin); \"-f SENDER -- RCPT...\" is appended" },
	{ "feedback", "listen", CFG_STR, NULL, 0, 0, OFF(fb_listen),
	  "feedback HTTP listener for webmail (POST /v1/feedback/spam|ham), ADDR:PORT; keep it on loopback; empty: none" },
	{ "feedback", "transport", CFG_STR, "http", 0, 0, OFF(fb_transport),
	  "how spam reports reach the centre: http (POST to centre_url) or smtp (sendmail_command to report_to)" },
	{ "feedback", "centre_url", CFG_STR, "http://127.0.0.1:8080/v1/reports", 0, 0, OFF(fb_centre_url),
	  "the centre's report endpoint (reputed POST /v1/reports), http://HOST:PORT/PATH" },
	{ "feedback", "api_key", CFG_STR, NULL, 0, 0, OFF(fb_api_key),
	  "the provider's API key (repute key create --role partner), sent as Authorization: Bearer" },
	{ "feedback", "report_to", CFG_STR, "report@repute.example", 0, 0, OFF(fb_report_to),
	  "the centre's report address (smtp transport)" },
	{ "feedback", "report_from", CFG_STR, "abuse-feedback@localhost", 0, 0, OFF(fb_report_from),
	  "From and envelope sender of the reports" },
	{ "feedback", "sendmail_command", CFG_STR, "/usr/sbin/sendmail -i", 0, 0, OFF(fb_sendmail),
	  "submits reports (smtp transport) through the configured relay; \"-f FROM -- TO\" is appended" },
	{ "feedback", "reporting_mta", CFG_STR, NULL, 0, 0, OFF(fb_reporting_mta),
	  "host name written as Reporting-MTA; empty: left out" },
	{ "feedback", "timeout", CFG_SECONDS, "10s", 1, 600, OFF(fb_timeout),
	  "the most one HTTP exchange with the centre may take" },
	{ "digest", "from", CFG_STR, "quarantine@localhost", 0, 0, OFF(digest_from),
	  "From and envelope sender of quarantine digests" },
	{ "digest", "release_url", CFG_STR, NULL, 0, 0, OFF(digest_release_url),
	  "release link shown per held message, {id} replaced; empty: the release command is shown" },
	{ "digest", "sendmail_command", CFG_STR, "/usr/sbin/sendmail -i", 0, 0, OFF(digest_sendmail),
	  "submits the digests; \"-f FROM -- RCPT\" is appended" },
	CFG_END,
};

static struct rf_server server;
static unsigned long gen_counter;
static pid_t milter_pid;                        /* rf_milter.c child, 0 = none */
static const char *opt_qlist, *opt_qrelease;    /* --quarantine-list RCPT, --quarantine-release ID */
static const char *opt_audit;                   /* --audit-postfix [FILE] */
static bool opt_audit_set;
static const char *opt_report, *opt_user;       /* --report-spam|--report-ham FILE|QID --user ADDR */
static bool opt_report_spam;
static bool opt_digest;                         /* --digest [--to RCPT] */
static const char *opt_digest_to;

/* usage - synopsis on stderr; exits 2. */
static void usage(void)
{
	fprintf(stderr, "usage: repute-filter [--config FILE] [-n|--foreground] [--debug] [--set SECTION.NAME=VALUE]...\n"
			"       repute-filter --check-config [--config FILE]\n"
			"       repute-filter --sample-config\n"
			"       repute-filter [--config FILE] --quarantine-list RCPT|all | --quarantine-release ID\n"
			"       repute-filter --audit-postfix [FILE|DIR]\n"
			"       repute-filter [--config FILE] --report-spam|--report-ham FILE|QID --user ADDR\n"
			"       repute-filter [--config FILE] --digest [--to RCPT]\n");
	exit(2);
}

/* gen_free - free a generation. */
static void gen_free(struct rf_gen *g)
{
	rp_dnsbl_conf_fini(&g->dnsbl);
	cfg_fini(rf_config_table, &g->cfg);
	xfree(g);
}

/* rf_gen_release - drop one reference; the last frees. */
void rf_gen_release(struct rf_gen *g)
{
	if (g != NULL && atomic_fetch_sub(&g->refs, 1) == 1)
		gen_free(g);
}

/* rf_gen_acquire - a reference to the current generation. */
struct rf_gen *rf_gen_acquire(struct rf_server *s)
{
	pthread_mutex_lock(&s->gen_lock);
	struct rf_gen *g = s->gen;
	atomic_fetch_add(&g->refs, 1);
	pthread_mutex_unlock(&s->gen_lock);
	return g;
}

/* one_of - value is one of the words in list (space separated). */
static bool one_of(const char *value, const char *list)
{
	size_t n = strlen(value);
	const char *p = strstr(list, value);

	return n > 0 && p != NULL && (p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ');
}

/* gen_validate - checks the table cannot express; false with a log line. */
static bool gen_validate(struct rf_gen *g, const char *path)
{
	struct rf_config *c = &g->cfg;

	if (!one_of(c->spf_fail, "reject tag ignore") || !one_of(c->spf_softfail, "reject tag ignore") ||
	    !one_of(c->spf_temperror, "defer ignore")) {
		log_warnx("%s: spf actions: fail/softfail take reject, tag or ignore; temperror defer or ignore", path);
		return false;
	}
	if (!one_of(c->fb_transport, "http smtp")) {
		log_warnx("%s: feedback.transport must be http or smtp", path);
		return false;
	}
	if (log_level_parse(c->log_level) < 0) {
		log_warnx("%s: log_level \"%s\" unknown", path, c->log_level);
		return false;
	}
	if (c->spf_enable && strcmp(c->spf_dns, "system") != 0 && !rf_spfdns_check(c->spf_dns))
		return false;
	if (c->header == NULL || strpbrk(c->header, ": \t\r\n") != NULL || *c->header == '\0') {
		log_warnx("%s: header must be a header field name", path);
		return false;
	}
	return true;
}

/* gen_zones - the DNSBL conf from the zone lists. */
static bool gen_zones(struct rf_gen *g)
{
	struct rf_config *c = &g->cfg;
	const char *srv = c->dns_server != NULL && *c->dns_server != '\0' ? c->dns_server : NULL;

	rp_dnsbl_conf_init(&g->dnsbl);
	g->dnsbl.timeout_ms = c->dns_timeout_ms;
	g->dnsbl.resolvconf = srv == NULL;
	for (size_t i = 0; i < c->block.n + c->allow.n; i++) {
		bool block = i < c->block.n;
		char *zone = xstrdup(block ? c->block.items[i] : c->allow.items[i - c->block.n]);
		char *eq = strchr(zone, '='); /* "zone=ADDR@PORT": this zone's own server */
		if (eq != NULL)
			*eq++ = '\0';
		int rc = rp_dnsbl_conf_add(&g->dnsbl, zone, block ? RP_DNSBL_BLOCK : RP_DNSBL_ALLOW,
					   eq != NULL ? eq : srv, NULL);
		if (rc != 0)
			log_warnx("zone \"%s\": bad name or more than %d zones", zone, RP_DNSBL_MAX_ZONES);
		xfree(zone);
		if (rc != 0)
			return false;
	}
	return true;
}

/* rf_gen_load - defaults, the file (if any), overrides; NULL (or exit when fatal) on error. */
struct rf_gen *rf_gen_load(const char *path, bool fatal)
{
	struct rf_gen *g = xcalloc(1, sizeof(*g));
	struct rp_diag d = { 0 };

	atomic_init(&g->refs, 1);
	cfg_defaults(rf_config_table, &g->cfg);
	if (path != NULL && cfg_load_file(rf_config_table, &g->cfg, path, &d) != 0) {
		log_warnx("%s:%lu: %s", path, d.line, d.reason);
		goto bad;
	}
	if (!gen_validate(g, path ? path : "(defaults)") || !gen_zones(g))
		goto bad;
	g->id = ++gen_counter;
	return g;
bad:
	gen_free(g);
	if (fatal)
		log_fatalx("configuration not usable");
	return NULL;
}

/* reload - SIGHUP: publish a new generation if the file is good. */
static void reload(struct rf_server *s)
{
	struct rf_gen *g = rf_gen_load(s->config_path, false), *old;

	if (g == NULL) {
		log_warnx("reload failed; keeping configuration %lu", s->gen->id);
		return;
	}
	log_set_level(log_level_parse(g->cfg.log_level));
	pthread_mutex_lock(&s->gen_lock);
	old = s->gen;
	s->gen = g;
	pthread_mutex_unlock(&s->gen_lock);
	rf_gen_release(old);
	RF_INC(s->stats.reloads);
	log_info("reloaded configuration %lu from %s", g->id, s->config_path ? s->config_path : "defaults");
}

/* accept_thread - runs the listener until stop. */
static void *accept_thread(void *arg)
{
	rf_server_run(arg);
	return NULL;
}

/* write_pidfile - the pid, or a warning. */
static void write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		log_warn("pidfile %s", path);
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

/* parse_args - options into the server; returns foreground. */
static bool parse_args(int argc, char **argv, struct cfg_list *sets, bool *check_only)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "foreground", no_argument, NULL, 'n' },
		{ "check-config", no_argument, NULL, 'C' }, { "sample-config", no_argument, NULL, 'S' },
		{ "debug", no_argument, NULL, 'd' }, { "set", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "quarantine-list", required_argument, NULL, 'Q' }, { "quarantine-release", required_argument, NULL, 'R' },
		{ "audit-postfix", optional_argument, NULL, 'A' },
		{ "report-spam", required_argument, NULL, 'P' }, { "report-ham", required_argument, NULL, 'H' },
		{ "user", required_argument, NULL, 'U' }, { "digest", no_argument, NULL, 'D' },
		{ "to", required_argument, NULL, 'T' }, { NULL, 0, NULL, 0 },
	};
	bool fg = false;
	int c;

	while ((c = getopt_long(argc, argv, "c:nd", opts, NULL)) != -1) {
		switch (c) {
		case 'c': server.config_path = optarg; break;
		case 'n': fg = true; break;
		case 'C': *check_only = true; fg = true; break;
		case 'S': cfg_write_sample(rf_config_table, stdout); exit(0);
		case 'Q': opt_qlist = optarg; *check_only = true; fg = true; break;
		case 'R': opt_qrelease = optarg; *check_only = true; fg = true; break;
		case 'A': opt_audit = optarg; opt_audit_set = true; break;
		case 'P': opt_report = optarg; opt_report_spam = true; *check_only = true; fg = true; break;
		case 'H': opt_report = optarg; opt_report_spam = false; *check_only = true; fg = true; break;
		case 'U': opt_user = optarg; break;
		case 'D': opt_digest = true; *check_only = true; fg = true; break;
		case 'T': opt_digest_to = optarg; break;
		case 'd': log_set_level(LOGL_DEBUG); break;
		case 's':
			sets->items = xreallocarray(sets->items, sets->n + 1, sizeof(char *));
			sets->items[sets->n++] = optarg;
			break;
		default: usage();
		}
	}
	if (opt_audit_set && opt_audit == NULL && optind + 1 == argc)
		opt_audit = argv[optind++]; /* --audit-postfix FILE as well as --audit-postfix=FILE */
	if (optind != argc)
		usage();
	return fg;
}

/* apply_sets - --set overrides on the first generation. */
static void apply_sets(struct rf_gen *g, const struct cfg_list *sets)
{
	struct rp_diag d = { 0 };

	for (size_t i = 0; i < sets->n; i++) {
		char *kv = xstrdup(sets->items[i]), *eq = strchr(kv, '=');
		if (eq == NULL)
			log_fatalx("--set %s: expected NAME=VALUE", kv);
		*eq = '\0';
		if (cfg_set(rf_config_table, &g->cfg, kv, eq + 1, &d) != 0)
			log_fatalx("--set %s: %s", kv, d.reason);
		xfree(kv);
	}
	rp_dnsbl_conf_fini(&g->dnsbl);
	if (!gen_validate(g, "--set") || !gen_zones(g))
		log_fatalx("configuration not usable");
}

/* signal_loop - wait for signals until SIGTERM/SIGINT. */
static void signal_loop(struct rf_server *s, const sigset_t *set)
{
	for (;;) {
		int sig = 0;
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGCHLD) {
			if (rf_milter_reap(milter_pid))
				milter_pid = 0;
			continue;
		}
		if (sig == SIGHUP) {
			rf_milter_signal(milter_pid, SIGHUP);
			reload(s);
			continue;
		}
		log_info("signal %d: stopping", sig);
		return;
	}
}

/* main - parse options, load the configuration, listen, serve until SIGTERM. */
int main(int argc, char **argv)
{
	struct cfg_list sets = { 0 };
	bool check_only = false, fg;
	sigset_t set;
	pthread_t tid;

	log_init("repute-filter", false, LOGL_INFO);
	fg = parse_args(argc, argv, &sets, &check_only);
	if (opt_audit_set)
		return rf_audit_postfix(opt_audit, stdout);
	server.gen = rf_gen_load(server.config_path, true);
	apply_sets(server.gen, &sets);
	xfree(sets.items);
	if (opt_qlist != NULL || opt_qrelease != NULL) {
		int st = rf_quarantine_cmd(&server.gen->cfg, opt_qlist, opt_qrelease);
		rf_gen_release(server.gen);
		return st;
	}
	if (opt_report != NULL || opt_digest) {
		int st = opt_report != NULL ? rf_feedback_cmd(&server.gen->cfg, opt_report, opt_user, opt_report_spam)
					    : rf_digest_cmd(&server.gen->cfg, opt_digest_to);
		rf_gen_release(server.gen);
		return st;
	}
	if (check_only) {
		printf("configuration OK\n");
		rf_gen_release(server.gen);
		return 0;
	}
	if (!fg && daemon(0, 0) != 0)
		log_fatal("daemon");
	log_init("repute-filter", !fg, log_level_parse(server.gen->cfg.log_level));
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD); /* the milter process (rf_milter.c) */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	milter_pid = rf_milter_start(&server); /* before any thread: it forks */
	pthread_mutex_init(&server.gen_lock, NULL);
	server.cache = rp_dnsbl_cache_new((size_t)server.gen->cfg.cache_size);
	server.rate = rf_rate_new(server.gen->cfg.rate_entries);
	server.started = time(NULL);
	rf_server_listen(&server);
	if (server.gen->cfg.pidfile != NULL && *server.gen->cfg.pidfile != '\0')
		write_pidfile(server.gen->cfg.pidfile);
	if (pthread_create(&tid, NULL, accept_thread, &server) != 0)
		log_fatal("pthread_create");
	void *http = rf_http_start(&server); /* feedback listener, if configured */
	signal_loop(&server, &set);
	rf_http_stop(http);
	rf_milter_signal(milter_pid, SIGTERM);
	atomic_store(&server.stop, true);
	pthread_join(tid, NULL); /* returns once every connection thread has ended */
	rf_gen_release(server.gen);
	rp_dnsbl_cache_free(server.cache);
	rf_rate_free(server.rate);
	log_info("stopped");
	return 0;
}
