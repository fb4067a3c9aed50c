/* rd_main.c - reputed's entry point: arguments, configuration, the storage connections, the
 * writer thread, the listeners, and the signal loop.
 *
 * Signals are blocked in every thread and taken by sigwait() in the main thread only:
 * SIGTERM/SIGINT stop the listeners (running requests finish and are acknowledged), then
 * the writer commits what is queued and the database is closed. SIGHUP re-reads the
 * config file and applies the log level and the limits (body size, rates, SMS secret);
 * listeners and the database path need a restart. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "repute/alloc.h"
#include "repute/log.h"

#include "rd.h"

/* usage - the synopsis. */
static void usage(FILE *out)
{
	fprintf(out, "usage: reputed [--config FILE] [--db PATH] [--http ADDR:PORT] [--smtp ADDR:PORT]\n"
		     "               [--log-level LEVEL] [--syslog] [--check-config] [--sample-config]\n");
}

struct rd_args {
	const char *config, *db, *http, *smtp, *level;
	bool syslog, check, sample;
};

/* parse_args - the command line; exits on usage errors. */
static void parse_args(int argc, char **argv, struct rd_args *a)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },    { "db", required_argument, NULL, 'd' },
		{ "http", required_argument, NULL, 'H' },      { "smtp", required_argument, NULL, 'S' },
		{ "log-level", required_argument, NULL, 'l' }, { "syslog", no_argument, NULL, 's' },
		{ "check-config", no_argument, NULL, 'k' },    { "sample-config", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },            { NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:d:H:S:l:skph", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': a->config = optarg; break;
		case 'd': a->db = optarg; break;
		case 'H': a->http = optarg; break;
		case 'S': a->smtp = optarg; break;
		case 'l': a->level = optarg; break;
		case 's': a->syslog = true; break;
		case 'k': a->check = true; break;
		case 'p': a->sample = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
}

/* apply_overrides - command-line values over the file's. */
static void apply_overrides(struct rd_config *cfg, const struct rd_args *a)
{
	struct rp_diag diag = { 0 };
	const struct { const char *key, *value; } o[] = {
		{ "storage.database", a->db }, { "http.listen", a->http }, { "smtp.listen", a->smtp },
		{ "smtp.enable", a->smtp ? "yes" : NULL }, { "log.level", a->level },
	};

	for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++)
		if (o[i].value != NULL && cfg_set(rd_config_table, cfg, o[i].key, o[i].value, &diag) != RP_OK)
			log_fatalx("%s: %s", o[i].key, diag.reason);
	if (log_level_parse(cfg->log_level) < 0)
		log_fatalx("log.level: unknown level \"%s\"", cfg->log_level);
	struct sockaddr_storage ss;
	socklen_t sl;
	if (!rd_parse_hostport(cfg->http_listen, &ss, &sl))
		log_fatalx("http.listen: \"%s\" is not ADDR:PORT", cfg->http_listen);
	if (!rd_parse_hostport(cfg->smtp_listen, &ss, &sl))
		log_fatalx("smtp.listen: \"%s\" is not ADDR:PORT", cfg->smtp_listen);
}

/* analyze_config - the evidence engine's configuration from [evidence]. */
static void analyze_config(struct rd *rd)
{
	rp_analyze_config_default(&rd->acfg);
	for (size_t i = 0; i < rd->cfg.trusted_networks.n; i++)
		if (rp_cidrset_add_text(&rd->acfg.trust.trusted, rd->cfg.trusted_networks.items[i]) != RP_OK)
			log_fatalx("evidence.trusted_networks: bad network \"%s\"", rd->cfg.trusted_networks.items[i]);
	for (size_t i = 0; i < rd->cfg.trusted_domains.n; i++)
		rp_trust_config_add_domain(&rd->acfg.trust, rd->cfg.trusted_domains.items[i]);
	rd->acfg.default_cc = rd->cfg.default_country;
	rd->acfg.max_hops = (size_t)rd->cfg.max_hops;
}

/* open_store - one connection to the configured database; fatal when it fails. */
static struct rp_store *open_store(struct rd *rd)
{
	struct rp_store_config sc = {
		.path = rd->cfg.database, .busy_timeout_ms = rd->cfg.busy_timeout_ms,
		.campaign_scan = (size_t)rd->cfg.campaign_scan, .fp_match = rp_fingerprint_match,
	};
	struct rp_diag diag = { 0 };
	struct rp_store *st = NULL;

	if (rp_store_open(&sc, &st, &diag) != RP_OK)
		log_fatalx("database: %s", diag.reason);
	return st;
}

/* make_parent_dir - create the database's directory (one level, e.g. var/) if missing. */
static void make_parent_dir(const char *path)
{
	const char *p = strncmp(path, "sqlite:", 7) == 0 ? path + 7 : path;
	char *copy = xstrdup(p);
	const char *dir = dirname(copy);

	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		log_warn("mkdir %s", dir);
	xfree(copy);
}

/* start - storage, writer, listeners. */
static void start(struct rd *rd)
{
	make_parent_dir(rd->cfg.database);
	struct rp_store *wst = open_store(rd);
	if (rd_ensure_reporter(wst, rd->cfg.sms_reporter, "gateway", rd->sms_reporter_id) != RP_OK ||
	    rd_ensure_reporter(wst, rd->cfg.form_reporter, "public", rd->form_reporter_id) != RP_OK)
		log_fatalx("cannot create the built-in reporters");
	rd->reader = open_store(rd);
	pthread_mutex_init(&rd->reader_lock, NULL);
	pthread_rwlock_init(&rd->live_lock, NULL);
	rd_live_from_config(&rd->live, &rd->cfg);
	analyze_config(rd);
	rd_worker_key_init(rd);
	rd->rl = rd_ratelimit_new();
	rd->writer = rd_writer_start(wst, rd->cfg.batch_max, rd->cfg.queue_max, rd->cfg.raw_retention,
				     rd->cfg.sweep_interval);
	rd->writer_store = wst;
	rd_listing_start(rd);
	if (rd->cfg.relay_enable)
		rd_relay_start(rd);
	if (rd_http_start(rd) != 0)
		log_fatalx("cannot start the HTTP listener on %s", rd->cfg.http_listen);
	if (rd->cfg.smtp_enable && rd_smtp_start(rd) != 0)
		log_fatalx("cannot start the SMTP listener on %s", rd->cfg.smtp_listen);
	log_info("reputed ready: database=%s http=%s smtp=%s", rd->cfg.database, rd->cfg.http_listen,
		 rd->cfg.smtp_enable ? rd->cfg.smtp_listen : "off");
}

/* reload - SIGHUP: re-read the file, apply what can change while running. */
static void reload(struct rd *rd, const struct rd_args *a)
{
	struct rd_config fresh = { 0 };
	struct rp_diag diag = { 0 };

	cfg_defaults(rd_config_table, &fresh);
	if (rd->config_path != NULL && cfg_load_file(rd_config_table, &fresh, rd->config_path, &diag) != RP_OK) {
		log_warnx("reload: %s:%lu: %s; keeping the running configuration", rd->config_path, diag.line,
			  diag.reason);
		cfg_fini(rd_config_table, &fresh);
		return;
	}
	if (a->level != NULL)
		cfg_set(rd_config_table, &fresh, "log.level", a->level, NULL);
	int level = log_level_parse(fresh.log_level);
	if (level < 0) {
		log_warnx("reload: unknown log level \"%s\"; keeping the running configuration", fresh.log_level);
		cfg_fini(rd_config_table, &fresh);
		return;
	}
	log_set_level((enum log_level)level);
	pthread_rwlock_wrlock(&rd->live_lock);
	rd_live_from_config(&rd->live, &fresh);
	pthread_rwlock_unlock(&rd->live_lock);
	log_info("reload: log level %s, max_body %ld, rate_per_key %ld/s (listeners and database unchanged)",
		 fresh.log_level, fresh.http_max_body, fresh.rate_per_key);
	cfg_fini(rd_config_table, &fresh);
}

/* stop - listeners first (requests finish), then the writer drains, then storage. */
static void stop(struct rd *rd)
{
	atomic_store(&rd->stopping, true);
	rd_smtp_stop(rd);
	rd_http_stop(rd);
	rd_relay_stop(rd);
	rd_listing_stop(rd);
	rd->writer = rd_writer_stop(rd->writer);
	rd->writer_store = rp_store_close(rd->writer_store);
	rd->reader = rp_store_close(rd->reader);
	rd->rl = rd_ratelimit_free(rd->rl);
	rp_trust_config_fini(&rd->acfg.trust);
	pthread_mutex_destroy(&rd->reader_lock);
	pthread_rwlock_destroy(&rd->live_lock);
}

/* main - configure, start, wait for signals, stop. */
int main(int argc, char **argv)
{
	struct rd_args a = { 0 };
	static struct rd rd;
	sigset_t sigs;
	int sig;

	parse_args(argc, argv, &a);
	log_init("reputed", a.syslog, LOGL_INFO);
	if (a.sample) {
		cfg_write_sample(rd_config_table, stdout);
		return 0;
	}
	rd.config_path = a.config;
	rd_config_load(&rd.cfg, a.config);
	apply_overrides(&rd.cfg, &a);
	log_set_level((enum log_level)log_level_parse(rd.cfg.log_level));
	if (a.check) {
		printf("configuration OK\n");
		cfg_fini(rd_config_table, &rd.cfg);
		return 0;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	start(&rd);
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload(&rd, &a);
			continue;
		}
		log_info("signal %d: shutting down", sig);
		break;
	}
	stop(&rd);
	cfg_fini(rd_config_table, &rd.cfg);
	log_info("reputed stopped");
	return 0;
}
