/* rf.h - private header of repute-filter, the mail provider's Postfix policy service.
 *
 * rf_main.c    arguments, config table, signals (SIGTERM stops, SIGHUP reloads the config)
 * rf_server.c  TCP listener and one thread per connection (bounded), request loop, stats reply
 * rf_policy.c  one decision: rate limits, DNSWL, DNSBL, SPF combined into one action
 * rf_rate.c    per-client-IP and per-sender counters over a fixed window (bounded table)
 * rf_spfdns.c  SPF DNS source: the system resolver, or a static record file (tests, offline)
 * rf_stats.c   counters and their text form for the stats request
 * rf_milter.c  the milter (libmilter) in a child process: collect, score, tag/quarantine/reject
 * rf_milter_score.c  the milter's verdict: content score + policy points, action by thresholds
 * rf_quarantine.c  --quarantine-list / --quarantine-release (re-inject, train as ham)
 * rf_audit.c   --audit-postfix: warnings about a Postfix configuration (postconf output)
 * rf_feedback.c  "this is spam" / "not spam": ARF report to the centre, training (CLI and HTTP)
 * rf_feedback_send.c  the report's transports: HTTP POST to reputed, or a sendmail command (SMTP)
 * rf_http.c    the optional feedback listener (libmicrohttpd): POST /v1/feedback/{spam,ham}
 * rf_digest.c  --digest: per-recipient message listing what the quarantine held since the last one
 *
 * The running configuration is a struct rf_gen: immutable, reference counted, replaced as a
 * whole on SIGHUP. Each connection thread holds one generation plus its own per-thread resolver
 * objects (libunbound context, libspf2 server) and swaps them at a request boundary when a
 * newer generation is published. The DNSBL answer cache and the rate table are shared. */
#ifndef RF_H
#define RF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "repute/buf.h"
#include "repute/config.h"
#include "repute/dnsbl.h"
#include "repute/netaddr.h"
#include "repute/policy.h"
#include "repute/spf.h"

struct rf_config {
	char *listen;          /* ADDR:PORT */
	long max_connections;
	long idle_timeout;     /* seconds */
	char *pidfile;
	char *log_level;
	struct cfg_list block; /* DNSBL zones */
	struct cfg_list allow; /* DNSWL zones */
	char *dns_server;      /* ADDR@PORT asked directly for every zone, or empty */
	long dns_timeout_ms;
	long reject_threshold; /* block-list hits needed to reject */
	char *delist_url;      /* template: {ip} and {zone} replaced */
	long cache_size;
	bool spf_enable;
	char *spf_dns;         /* "system" or a record file */
	char *spf_fail;        /* reject | tag | ignore */
	char *spf_softfail;    /* reject | tag | ignore */
	char *spf_temperror;   /* defer | ignore */
	long rate_window;      /* seconds */
	long rate_client_max;  /* requests per client IP per window, 0 = off */
	long rate_sender_max;  /* requests per sender per window, 0 = off */
	long rate_entries;     /* table bound */
	char *header;          /* name of the tag header */
	char *milter_listen;   /* libmilter socket spec, empty = no milter */
	char *milter_tokens;   /* classifier token DB directory, empty = no content scoring */
	long milter_max_size;  /* bytes collected per message */
	long milter_tag, milter_quarantine, milter_reject; /* score thresholds, 0 = off */
	long milter_dnsbl_points, milter_spf_points;
	char *milter_subject_tag;
	char *quarantine_path;  /* SQLite file, empty = Postfix hold queue */
	char *release_command;  /* re-injection command, "-f SENDER -- RCPT..." appended */
	char *fb_listen;        /* feedback HTTP listener ADDR:PORT, empty = none */
	char *fb_transport;     /* http | smtp */
	char *fb_centre_url;    /* http://HOST:PORT/v1/reports */
	char *fb_api_key;       /* the provider's key, sent as Authorization: Bearer */
	char *fb_report_to;     /* SMTP transport: the centre's report address */
	char *fb_report_from;   /* the reports' From */
	char *fb_sendmail;      /* SMTP transport: command, "-f FROM -- TO" appended */
	char *fb_reporting_mta; /* Reporting-MTA host name, empty = none */
	long fb_timeout;        /* seconds for one HTTP exchange with the centre */
	char *digest_from;      /* From of digest messages */
	char *digest_release_url; /* template with {id}, empty = show the release command */
	char *digest_sendmail;  /* submits digests, "-f FROM -- RCPT" appended */
};
extern const struct cfg_opt rf_config_table[];

/* One immutable configuration generation. */
struct rf_gen {
	atomic_int refs;
	unsigned long id;
	struct rf_config cfg;
	struct rp_dnsbl_conf dnsbl;
};

enum rf_action { RF_DUNNO = 0, RF_PREPEND, RF_REJECT, RF_DEFER, RF_NACTIONS };
enum rf_spf_verdict { RF_SPF_IGNORE = 0, RF_SPF_TAG, RF_SPF_REJECT, RF_SPF_DEFER };

struct rf_stats {
	atomic_uint_fast64_t connections, connections_refused, requests, malformed, stats_requests;
	atomic_uint_fast64_t actions[RF_NACTIONS];
	atomic_uint_fast64_t dnsbl_listed, dnsbl_allowed, dnsbl_errors, dnsbl_timeouts, dnsbl_cache_hits;
	atomic_uint_fast64_t spf[7];
	atomic_uint_fast64_t rate_client, rate_sender;
	atomic_uint_fast64_t reloads;
};

struct rf_rate;

struct rf_server {
	pthread_mutex_t gen_lock;
	struct rf_gen *gen;          /* current generation */
	struct rp_dnsbl_cache *cache;
	struct rf_rate *rate;
	struct rf_stats stats;
	atomic_int nconn;
	atomic_bool stop;
	int listen_fd;
	const char *config_path;
	time_t started;
};

/* Per connection-thread state. */
struct rf_worker {
	struct rf_server *srv;
	struct rf_gen *gen;
	struct rp_dnsbl *dnsbl;
	struct rp_spf *spf;
};

/* rf_main.c */
struct rf_gen *rf_gen_load(const char *path, bool fatal);
struct rf_gen *rf_gen_acquire(struct rf_server *s);
void rf_gen_release(struct rf_gen *g);

/* rf_server.c */
/* rf_server_listen - bind and listen on cfg.listen; fatal on error (start-up only). */
void rf_server_listen(struct rf_server *s);
/* rf_server_run - accept connections until s->stop, then end them all and return. */
void rf_server_run(struct rf_server *s);

/* rf_policy.c */
/* rf_worker_sync - make the worker's resolvers match the current generation. */
void rf_worker_sync(struct rf_worker *w);
void rf_worker_fini(struct rf_worker *w);
/* rf_decide - answer one smtpd_access_policy request into out ("action=...\n\n"). */
void rf_decide(struct rf_worker *w, const struct rp_policy_req *req, struct buf *out);

/* rf_rate.c */
struct rf_rate *rf_rate_new(long max_entries);
struct rf_rate *rf_rate_free(struct rf_rate *r);
/* rf_rate_hit - count one event for key; returns the count within the current window. */
long rf_rate_hit(struct rf_rate *r, const char *key, long window);

/* rf_spfdns.c */
/* rf_spf_new - an SPF checker for the configured source; NULL with a log line on failure. */
struct rp_spf *rf_spf_new(const struct rf_config *cfg);
/* rf_spfdns_check - load-test a record file at startup; returns false with a log line. */
bool rf_spfdns_check(const char *path);

/* rf_stats.c */
void rf_stats_format(struct rf_server *s, struct buf *out);

/* rf_milter.c */
/* rf_milter_start - fork the milter process when cfg.milter_listen is set; its pid or 0. */
pid_t rf_milter_start(struct rf_server *s);
/* rf_milter_signal - pass a reload (SIGHUP) or stop (SIGTERM) to the milter process; stop waits. */
void rf_milter_signal(pid_t pid, int sig);
/* rf_milter_reap - after SIGCHLD: true (and logged) when the milter process has ended. */
bool rf_milter_reap(pid_t pid);

/* rf_quarantine.c */
/* rf_quarantine_cmd - run --quarantine-list RCPT or --quarantine-release ID; returns the exit status. */
int rf_quarantine_cmd(const struct rf_config *cfg, const char *list_rcpt, const char *release_id);

/* rf_audit.c */
/* rf_audit_postfix - check postconf output (file, or run postconf when path is NULL or a directory);
 * returns the exit status: 0 no warnings, 1 warnings, 2 could not read. */
int rf_audit_postfix(const char *path, FILE *out);

/* rf_feedback.c */
/* rf_feedback - one user action on the message msg[0..len): spam sends an ARF report (user's
 * address redacted) and trains as spam; ham (only for a tagged message) trains as ham. A one-line
 * outcome goes to result; returns 0 done, 1 refused (result says why), 2 failed. */
int rf_feedback(const struct rf_config *cfg, const char *msg, size_t len, const char *user, bool spam,
		struct buf *result);
/* rf_feedback_cmd - --report-spam / --report-ham FILE|QID --user ADDR; returns the exit status. */
int rf_feedback_cmd(const struct rf_config *cfg, const char *what, const char *user, bool spam);

/* rf_feedback_send.c */
/* rf_feedback_send - deliver a report by cfg's transport; 0, or -1 with a reason in err.
 * On HTTP success the centre's answer (JSON) goes to answer. */
int rf_feedback_send(const struct rf_config *cfg, const struct buf *report, struct buf *answer,
		     struct buf *err);
/* rf_run_sendmail - run command (split on blanks) + "-f FROM -- RCPT" with data on stdin; 0 on status 0. */
int rf_run_sendmail(const char *command, const char *from, const char *rcpt, const char *data, size_t len);

/* rf_http.c */
/* rf_http_start - start the feedback listener when cfg.fb_listen is set (fatal on error);
 * returns an opaque handle or NULL. rf_http_stop ends it. */
void *rf_http_start(struct rf_server *s);
void rf_http_stop(void *h);

/* rf_digest.c */
/* rf_digest_cmd - --digest [--to RCPT]: send each recipient their digest; returns the exit status. */
int rf_digest_cmd(const struct rf_config *cfg, const char *only_rcpt);

#define RF_INC(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)

#endif
