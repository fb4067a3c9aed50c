/* rd.h - private header of reputed, the reporting centre daemon, shared by its rd_*.c files.
 *
 * rd_main.c     arguments, config file, signals (SIGTERM, SIGHUP), start and stop
 * rd_config.c   the configuration table (the sample config and docs/reputed.md come from it)
 * rd_writer.c   the single writer thread: group commit, acknowledgements after fsync
 * rd_intake.c   one mail message or SMS in, one stored report out (analysis, sources)
 * rd_auth.c     API keys, per-key token buckets, the SMS webhook's HMAC
 * rd_http.c     the HTTP API (libmicrohttpd): routing, checks, bodies, the error shape
 * rd_api.c      the HTTP endpoints, one handler each (rd_http.h is their private header)
 * rd_form.c     multipart/form-data posts of the web form
 * rd_metrics.c  counters and the Prometheus /metrics text
 * rd_smtp.c     the SMTP/LMTP intake for report@ addresses
 * rd_split.c    one report per attached original (SMTP)
 * rd_listing.c  the listing thread: evaluation on new reports, expiry, the listing endpoints
 * rd_publish.c  publication: zone snapshots, rbldnsd and BIND files, SIGHUP to repute-dns
 * rd_session.c  web console sessions: login/logout, cookies, CSRF, login rate limit, case queue
 * rd_web.c      web console static files (web.root) and the role guard of its pages
 * rd_relay.c    the open-relay scanner thread: scans report sources, findings as evidence
 *
 * One struct rd holds the daemon's state; there is no other global state except the
 * metrics counters (atomics) and the logging destination. */
#ifndef RD_H
#define RD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>

#include "repute/buf.h"
#include "repute/config.h"
#include "repute/evidence.h"
#include "repute/listing.h"
#include "repute/store.h"

/* The configuration; see rd_config_table in rd_config.c for every field's meaning. */
struct rd_config {
	char *database;
	long busy_timeout_ms;
	long campaign_scan;
	long raw_retention;
	long sweep_interval;
	char *http_listen;
	long http_threads;
	long http_max_body;
	long http_timeout;
	long http_max_connections;
	char *smtp_listen;
	bool smtp_enable;
	long smtp_max_size;
	long smtp_max_recipients;
	long smtp_idle_timeout;
	long rate_per_key;
	long burst_per_key;
	long rate_anonymous;
	long burst_anonymous;
	char *sms_secret;
	char *sms_reporter;
	char *sms_signature_header;
	char *form_reporter;
	long batch_max;
	long queue_max;
	char *log_level;
	struct cfg_list trusted_networks;
	struct cfg_list trusted_domains;
	char *default_country;
	long max_hops;
	long max_sources;
	struct rp_listing_policy listing; /* [listing] */
	long listing_scan;
	bool publish_enable;              /* [publish] */
	char *publish_dir;
	char *zone_ip, *zone_domain, *zone_phone, *zone_white;
	char *publish_ns;
	char *publish_txt_url;
	long publish_ttl;
	char *dns_pidfile;
	char *web_root;                   /* [web] (docs/web-console.md) */
	bool web_cookie_secure;
	long web_session_ttl;
	bool relay_enable;                /* [relay] (docs/relay-scanner.md) */
	long relay_interval;
	long relay_scans_per_hour;
	long relay_connect_rate;
	char *relay_optout;
	bool relay_allow_private;
	long relay_timeout;
	long relay_port;
	bool relay_starttls;
	char *relay_helo;
	char *relay_outside;
	char *relay_local_domain;
	long relay_queue_max;
	char *relay_test_connect;
};

extern const struct cfg_opt rd_config_table[];

/* Values a SIGHUP may change while requests run; read them under rd->live_lock. */
struct rd_live {
	long max_body;
	long rate_per_key, burst_per_key;
	long rate_anonymous, burst_anonymous;
	char sms_secret[256];
};

struct rd_writer;
struct rd_ratelimit;
struct rd_http;
struct rd_smtp;
struct rd_listing;
struct rd_relay;

struct rd {
	struct rd_config cfg;
	const char *config_path;
	pthread_rwlock_t live_lock;
	struct rd_live live;
	struct rp_store *reader;       /* GET requests and key lookups, under reader_lock */
	pthread_mutex_t reader_lock;
	struct rd_writer *writer;
	struct rp_store *writer_store; /* owned by the writer thread while it runs */
	struct rp_analyze_config acfg; /* shared by every thread's analyzer */
	pthread_key_t worker_key;      /* per-thread struct rd_worker */
	struct rd_ratelimit *rl;
	struct rd_http *http;
	struct rd_smtp *smtp;
	atomic_bool stopping;
	char sms_reporter_id[32];
	char form_reporter_id[32];
	struct rd_listing *listing;    /* the listing thread (rd_listing.c) */
	struct rd_relay *relay;        /* the relay scanner thread (rd_relay.c); NULL when off */
};

/* rd_config.c */
/* rd_config_load - defaults, then the file (when path is not NULL); log_fatal on errors. */
void rd_config_load(struct rd_config *cfg, const char *path);
/* rd_live_from_config - copy the reloadable values. */
void rd_live_from_config(struct rd_live *live, const struct rd_config *cfg);
/* rd_parse_hostport - "127.0.0.1:8080", "[::1]:8080" into a socket address; false when bad. */
bool rd_parse_hostport(const char *text, struct sockaddr_storage *ss, socklen_t *len);

/* rd_writer.c: one thread owns the writing connection; submitters block until commit. */
struct rd_writer *rd_writer_start(struct rp_store *st, long batch_max, long queue_max, long retention,
				  long sweep_interval);
/* rd_writer_submit - store one report; returns after the transaction containing it is
 * durable (0) or failed (RP_E* with reason). RP_ENOMEM when the queue is full,
 * RP_EIO when the writer is stopping. */
int rd_writer_submit(struct rd_writer *w, const struct rp_report_in *in, struct rp_report_result *res,
		     struct rp_diag *diag);
/* rd_writer_stop - finish every queued report, commit, join the thread; returns NULL. */
struct rd_writer *rd_writer_stop(struct rd_writer *w);
/* rd_writer_depth - reports waiting now. */
long rd_writer_depth(struct rd_writer *w);

/* rd_intake.c */
struct rd_worker {
	struct rp_analyzer *an;
	struct rp_extractor *x;
};
/* rd_worker_get - this thread's analyzer and extractor, made on first use. */
struct rd_worker *rd_worker_get(struct rd *rd);
void rd_worker_key_init(struct rd *rd);

/* The result of one intake: 0 with res filled, or an HTTP-ish status, error code and message. */
struct rd_outcome {
	int status;          /* 201 created, 200 duplicate, else an error status */
	const char *code;    /* error code of the documented error shape, NULL on success */
	char message[256];
	struct rp_report_result res;
};
/* rd_intake_mail - analyse a mail message and store it as a report. */
int rd_intake_mail(struct rd *rd, const char *reporter_id, const char *channel, const char *data, size_t len,
		   struct rd_outcome *out);
/* rd_intake_mail_from - the same for a reporter named reporter_name (created, role reporter,
 * only once the message proved to be mail); reporter_id is then ignored. */
int rd_intake_mail_from(struct rd *rd, const char *reporter_id, const char *reporter_name, const char *channel,
			const char *data, size_t len, struct rd_outcome *out);
/* rd_intake_sms - validate an SMS report object {sender, recipient, text, received_at} and store it. */
int rd_intake_sms(struct rd *rd, const char *reporter_id, const char *channel, json_t *sms, struct rd_outcome *out);
/* rd_outcome_fail - fill an error outcome; returns -1. */
int rd_outcome_fail(struct rd_outcome *out, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* rd_ensure_reporter - id of the reporter with name, creating it with role when missing. */
int rd_ensure_reporter(struct rp_store *st, const char *name, const char *role, char id[32]);

/* rd_auth.c */
struct rd_ratelimit *rd_ratelimit_new(void);
struct rd_ratelimit *rd_ratelimit_free(struct rd_ratelimit *rl);
/* rd_ratelimit_take - take one token from the bucket named key; false with the seconds to
 * wait in *retry_after when empty. */
bool rd_ratelimit_take(struct rd_ratelimit *rl, const char *key, double rate, double burst, long *retry_after);
/* rd_auth_bearer - the principal for an "Authorization: Bearer KEY" value; RP_ENOTFOUND
 * for a wrong key, RP_EINVAL for a malformed header. */
int rd_auth_bearer(struct rd *rd, const char *header, struct rp_principal *who);
/* rd_hmac_verify - hex HMAC-SHA256 of body under secret equals sig_hex (constant time). */
bool rd_hmac_verify(const char *secret, const void *body, size_t len, const char *sig_hex);

/* rd_http.c */
int rd_http_start(struct rd *rd);
void rd_http_stop(struct rd *rd);

/* rd_split.c - the raw bytes of each message/rfc822 attachment (into out[0..], each a buf the
 * caller finis) when a non-ARF message carries two or more, else 0. At most max. */
size_t rd_split_originals(const char *data, size_t len, struct buf *out, size_t max);

/* rd_smtp.c: the SMTP/LMTP intake listener (libevent) in its own thread. */
int rd_smtp_start(struct rd *rd);
void rd_smtp_stop(struct rd *rd);

/* rd_form.c: the fields of a web form post, filled by MHD's post processor. */
struct rd_form {
	struct buf headers;   /* pasted message headers (or a whole pasted message) */
	struct buf eml;       /* uploaded .eml file */
	struct buf sms_sender, sms_recipient, sms_text, sms_received_at;
	size_t total;
	bool too_big;
	char bad_field[64];   /* an unknown field name, reported as 400 */
};
void rd_form_init(struct rd_form *f);
void rd_form_fini(struct rd_form *f);
/* rd_form_field - MHD post iterator body: append one chunk of a field; false to abort. */
bool rd_form_field(struct rd_form *f, const char *key, const char *data, size_t off, size_t size, size_t max);
/* rd_form_submit - turn a complete form into one report. */
int rd_form_submit(struct rd *rd, const char *reporter_id, struct rd_form *f, struct rd_outcome *out);

/* rd_metrics.c */
enum rd_counter {
	M_REPORTS_HTTP, M_REPORTS_SMS, M_REPORTS_FORM, M_REPORTS_OPERATOR, M_REPORTS_SMTP,
	M_DUPLICATES, M_REJECTED, M_COMMITS, M_COMMITTED_REPORTS, M_COMMIT_FAILURES, M_RATE_LIMITED,
	M_AUTH_FAILURES, M_N_COUNTERS
};
void rd_metrics_inc(enum rd_counter c, long n);
/* rd_metrics_http - count one answered request by status code. */
void rd_metrics_http(int status);
/* rd_metrics_commit - one group commit of n reports that took seconds. */
void rd_metrics_commit(long n, double seconds);
/* rd_metrics_intake - latency of one acknowledged report. */
void rd_metrics_intake(double seconds);
void rd_metrics_channel(const char *channel);
/* rd_metrics_write - the Prometheus text exposition into b. */
void rd_metrics_write(struct rd *rd, struct buf *b);

/* rd_listing.c: the listing thread owns its own database connection; the endpoints below
 * use it under the thread's lock. */
void rd_listing_start(struct rd *rd);
void rd_listing_stop(struct rd *rd);
/* rd_listing_kick - run the listing pass now (after a change), not at the next tick. */
void rd_listing_kick(struct rd *rd);

/* rd_publish.c - compile the active listings and the whitelist into every zone and tell
 * repute-dns (SIGHUP to publish.dns_pidfile); returns 0 or an RP_E* code (logged). */
int rd_publish(struct rd *rd, struct rp_store *st, uint32_t serial);

/* rd_relay.c: the open-relay scanner thread (only when relay.enable); its own database
 * connection. rd_relay_stop finishes the scan under way first. */
void rd_relay_start(struct rd *rd);
void rd_relay_stop(struct rd *rd);

/* rd_now - monotonic seconds. */
double rd_now(void);

#endif
