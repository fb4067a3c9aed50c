/* rd_config.c - reputed's configuration table: every option with its default, bounds and help.
 * `reputed --sample-config` prints it (etc/reputed.conf is that output) and docs/reputed.md
 * lists the same options. The [evidence] section is shared with `repute analyze`. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "repute/log.h"

#include "rd.h"

#define O(f) offsetof(struct rd_config, f)

const struct cfg_opt rd_config_table[] = {
	{ "storage", "database", CFG_STR, "var/repute.db", 0, 0, O(database),
	  "database: a SQLite file path (or sqlite:PATH); --db overrides" },
	{ "storage", "busy_timeout", CFG_INT, "5000", 1, 600000, O(busy_timeout_ms),
	  "milliseconds to wait for a database lock" },
	{ "storage", "campaign_scan", CFG_INT, "500", 1, 100000, O(campaign_scan),
	  "recent campaigns compared with each new fingerprint" },
	{ "storage", "raw_retention", CFG_SECONDS, "180d", 0, 3153600000L, O(raw_retention),
	  "how long raw originals are kept (evidence and counts stay); 0 keeps them for ever" },
	{ "storage", "sweep_interval", CFG_SECONDS, "1h", 1, 604800, O(sweep_interval),
	  "time between retention sweeps" },
	{ "http", "listen", CFG_STR, "127.0.0.1:8080", 0, 0, O(http_listen),
	  "HTTP API address:port ([v6]:port for IPv6); --http overrides" },
	{ "http", "threads", CFG_INT, "64", 1, 1024, O(http_threads),
	  "HTTP worker threads (each handles one request at a time)" },
	{ "http", "max_body", CFG_SIZE, "10M", 1024, 1L << 30, O(http_max_body),
	  "largest request body accepted (413 above)" },
	{ "http", "timeout", CFG_SECONDS, "30s", 1, 3600, O(http_timeout),
	  "idle connection timeout" },
	{ "http", "max_connections", CFG_INT, "1000", 1, 100000, O(http_max_connections),
	  "concurrent HTTP connections" },
	{ "smtp", "enable", CFG_BOOL, "no", 0, 0, O(smtp_enable),
	  "run the SMTP/LMTP intake listener" },
	{ "smtp", "listen", CFG_STR, "127.0.0.1:2525", 0, 0, O(smtp_listen),
	  "SMTP intake address:port; --smtp overrides (and enables it)" },
	{ "smtp", "max_message_size", CFG_SIZE, "10M", 1024, 1L << 30, O(smtp_max_size),
	  "largest message accepted over SMTP" },
	{ "smtp", "max_recipients", CFG_INT, "50", 1, 10000, O(smtp_max_recipients),
	  "recipients per SMTP transaction" },
	{ "smtp", "idle_timeout", CFG_SECONDS, "60s", 1, 3600, O(smtp_idle_timeout),
	  "SMTP client idle time before the connection is closed" },
	{ "limits", "rate_per_key", CFG_INT, "100", 1, 1000000, O(rate_per_key),
	  "reports per second per API key (token bucket refill rate; reload with SIGHUP)" },
	{ "limits", "burst_per_key", CFG_INT, "200", 1, 1000000, O(burst_per_key),
	  "token bucket size per API key" },
	{ "limits", "rate_anonymous", CFG_INT, "2", 1, 1000000, O(rate_anonymous),
	  "requests per second per client address without a key (web form, lookups)" },
	{ "limits", "burst_anonymous", CFG_INT, "20", 1, 1000000, O(burst_anonymous),
	  "token bucket size per client address without a key" },
	{ "sms", "hmac_secret", CFG_STR, NULL, 0, 0, O(sms_secret),
	  "shared secret of the SMS gateway webhook (POST /v1/sms is refused while empty)" },
	{ "sms", "signature_header", CFG_STR, "X-Repute-Signature", 0, 0, O(sms_signature_header),
	  "header carrying the hex HMAC-SHA256 of the body" },
	{ "sms", "reporter", CFG_STR, "sms-gateway", 0, 0, O(sms_reporter),
	  "reporter name the webhook's reports are filed under (created at start)" },
	{ "forms", "reporter", CFG_STR, "web-form", 0, 0, O(form_reporter),
	  "reporter name of anonymous web form reports (created at start)" },
	{ "writer", "batch_max", CFG_INT, "512", 1, 100000, O(batch_max),
	  "reports committed at most per transaction (group commit)" },
	{ "writer", "queue_max", CFG_INT, "8192", 1, 10000000, O(queue_max),
	  "reports waiting for the writer before new ones get 503" },
	{ "log", "level", CFG_STR, "info", 0, 0, O(log_level),
	  "error, warn, info or debug (reload with SIGHUP)" },
	{ "evidence", "trusted_networks", CFG_LIST, NULL, 0, 0, O(trusted_networks),
	  "networks of our own relays whose Received lines are believed (CIDR list)" },
	{ "evidence", "trusted_domains", CFG_LIST, NULL, 0, 0, O(trusted_domains),
	  "domains of our own relays (by-host or verified rDNS suffixes)" },
	{ "evidence", "default_country", CFG_STR, "86", 0, 0, O(default_country),
	  "country calling code for phone numbers written without one" },
	{ "evidence", "max_hops", CFG_INT, "1000", 1, 100000, O(max_hops),
	  "Received headers walked at most" },
	{ "evidence", "max_sources", CFG_INT, "100", 1, 10000, O(max_sources),
	  "sources (origin, domains, numbers) recorded per report at most" },
	{ "listing", "window", CFG_SECONDS, "7d", 60, 3153600000L, O(listing.window),
	  "evidence older than this does not count towards a listing" },
	{ "listing", "threshold", CFG_INT, "30", 1, 1000000, O(listing.threshold),
	  "points at which a source is listed (docs/listing-policy.md)" },
	{ "listing", "reporter_points", CFG_INT, "10", 0, 1000000, O(listing.reporter_points),
	  "points per distinct reporter of full trust (trust scales them down)" },
	{ "listing", "trap_points", CFG_INT, "15", 0, 1000000, O(listing.trap_points),
	  "points per spam-trap hit" },
	{ "listing", "trap_max_hits", CFG_INT, "4", 0, 1000000, O(listing.trap_max_hits),
	  "trap hits counted at most per source" },
	{ "listing", "confirm_points", CFG_INT, "30", 0, 1000000, O(listing.confirm_points),
	  "points per analyst confirmation" },
	{ "listing", "relay_points", CFG_INT, "30", 0, 1000000, O(listing.relay_points),
	  "points of an open-relay finding" },
	{ "listing", "min_reporters", CFG_INT, "2", 1, 1000000, O(listing.min_reporters),
	  "distinct reporters needed when reports are the only evidence" },
	{ "listing", "expiry", CFG_SECONDS, "2d", 60, 3153600000L, O(listing.expiry),
	  "how long a first listing lasts (doubles for repeat offenders)" },
	{ "listing", "expiry_max", CFG_SECONDS, "90d", 60, 3153600000L, O(listing.expiry_max),
	  "longest automatic listing" },
	{ "listing", "repeat_memory", CFG_SECONDS, "180d", 0, 3153600000L, O(listing.repeat_memory),
	  "earlier listings younger than this make a repeat offender" },
	{ "listing", "range_min", CFG_INT, "8", 0, 65536, O(listing.range_min),
	  "listed addresses needed inside an IPv4 block before the block is listed (0: never)" },
	{ "listing", "range_prefix_min", CFG_INT, "24", 8, 31, O(listing.range_prefix_min),
	  "widest IPv4 block considered for a range listing" },
	{ "listing", "collateral_max", CFG_INT, "16", 0, 16777216, O(listing.collateral_max),
	  "addresses without evidence a range listing may cover at most" },
	{ "listing", "collateral_percent", CFG_INT, "50", 0, 100000, O(listing.collateral_percent),
	  "... and at most this percent of its listed addresses" },
	{ "listing", "delist_period", CFG_SECONDS, "30d", 0, 3153600000L, O(listing.delist_period),
	  "one self-service delisting per source per this period" },
	{ "listing", "scan_interval", CFG_SECONDS, "1s", 1, 3600, O(listing_scan),
	  "how often new reports and expiries are looked at" },
	{ "publish", "enable", CFG_BOOL, "yes", 0, 0, O(publish_enable),
	  "compile the zones after every listing change" },
	{ "publish", "dir", CFG_STR, "var/zones", 0, 0, O(publish_dir),
	  "directory of the snapshots (ZONE.snap), rbldnsd/ and bind/ files" },
	{ "publish", "zone_ip", CFG_STR, "bl.repute.example", 0, 0, O(zone_ip),
	  "IPv4/IPv6 blacklist zone (empty: not published)" },
	{ "publish", "zone_domain", CFG_STR, "dbl.repute.example", 0, 0, O(zone_domain),
	  "domain blacklist zone (empty: not published)" },
	{ "publish", "zone_phone", CFG_STR, "pbl.repute.example", 0, 0, O(zone_phone),
	  "phone number blacklist zone (empty: not published)" },
	{ "publish", "zone_white", CFG_STR, "wl.repute.example", 0, 0, O(zone_white),
	  "provider whitelist zone (empty: not published)" },
	{ "publish", "ns", CFG_STR, NULL, 0, 0, O(publish_ns),
	  "name server in SOA and NS (empty: ns.ZONE)" },
	{ "publish", "txt_url", CFG_STR, "http://127.0.0.1:8080/v1/listings/", 0, 0, O(publish_txt_url),
	  "TXT answers end with this URL and the listed value" },
	{ "publish", "ttl", CFG_SECONDS, "300", 1, 86400, O(publish_ttl),
	  "TTL of published records" },
	{ "publish", "dns_pidfile", CFG_STR, NULL, 0, 0, O(dns_pidfile),
	  "pid file of repute-dns, sent SIGHUP after each publication (empty: none)" },
	{ "web", "root", CFG_STR, "web", 0, 0, O(web_root),
	  "directory of the web console's static files, served under / (docs/web-console.md)" },
	{ "web", "cookie_secure", CFG_BOOL, "no", 0, 0, O(web_cookie_secure),
	  "mark session cookies Secure (set it when a TLS proxy is in front)" },
	{ "web", "session_ttl", CFG_SECONDS, "12h", 60, 2592000, O(web_session_ttl),
	  "how long a console login lasts" },
	{ "relay", "enable", CFG_BOOL, "no", 0, 0, O(relay_enable),
	  "scan the origin addresses of new reports for open relays (docs/relay-scanner.md)" },
	{ "relay", "interval", CFG_SECONDS, "7d", 60, 3153600000L, O(relay_interval),
	  "at most one scan of an address per this period (open relays are re-scanned this often)" },
	{ "relay", "scans_per_hour", CFG_INT, "60", 1, 36000, O(relay_scans_per_hour),
	  "scans started per hour at most, all targets together" },
	{ "relay", "connect_rate", CFG_INT, "1", 1, 100, O(relay_connect_rate),
	  "connections per second at most within one scan" },
	{ "relay", "optout", CFG_STR, NULL, 0, 0, O(relay_optout),
	  "file of networks never scanned (one CIDR a line, # comments; re-read when it changes)" },
	{ "relay", "allow_private", CFG_BOOL, "no", 0, 0, O(relay_allow_private),
	  "permit targets in private, loopback and reserved ranges (tests only)" },
	{ "relay", "timeout", CFG_SECONDS, "10s", 1, 300, O(relay_timeout),
	  "connect, reply and command timeout of the scanner" },
	{ "relay", "port", CFG_INT, "25", 1, 65535, O(relay_port),
	  "SMTP port scanned" },
	{ "relay", "starttls", CFG_BOOL, "yes", 0, 0, O(relay_starttls),
	  "repeat the tests after STARTTLS when the server offers it" },
	{ "relay", "helo", CFG_STR, "relay-scanner.invalid", 0, 0, O(relay_helo),
	  "our EHLO name" },
	{ "relay", "outside", CFG_STR, "example.com", 0, 0, O(relay_outside),
	  "the outside domain a server must not relay to" },
	{ "relay", "local_domain", CFG_STR, NULL, 0, 0, O(relay_local_domain),
	  "domain of the control test (empty: the target's address literal)" },
	{ "relay", "queue_max", CFG_INT, "1000", 1, 1000000, O(relay_queue_max),
	  "targets waiting to be scanned at most (more are dropped until the next report)" },
	{ "relay", "test_connect", CFG_STR, NULL, 0, 0, O(relay_test_connect),
	  "TESTS ONLY: connect to this address instead of each target (empty: off)" },
	CFG_END,
};

/* rd_config_load - defaults and the file. */
void rd_config_load(struct rd_config *cfg, const char *path)
{
	struct rp_diag diag = { 0 };

	cfg_defaults(rd_config_table, cfg);
	if (path != NULL && cfg_load_file(rd_config_table, cfg, path, &diag) != RP_OK)
		log_fatalx("config %s:%lu: %s", path, diag.line, diag.reason);
}

/* rd_live_from_config - the values SIGHUP may change. */
void rd_live_from_config(struct rd_live *live, const struct rd_config *cfg)
{
	live->max_body = cfg->http_max_body;
	live->rate_per_key = cfg->rate_per_key;
	live->burst_per_key = cfg->burst_per_key;
	live->rate_anonymous = cfg->rate_anonymous;
	live->burst_anonymous = cfg->burst_anonymous;
	snprintf(live->sms_secret, sizeof(live->sms_secret), "%s", cfg->sms_secret ? cfg->sms_secret : "");
}

/* rd_parse_hostport - ADDR:PORT or [ADDR6]:PORT. */
bool rd_parse_hostport(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *port;
	size_t hl;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (end == NULL || end[1] != ':')
			return false;
		hl = (size_t)(end - text - 1);
		if (hl >= sizeof(host))
			return false;
		memcpy(host, text + 1, hl);
		port = end + 2;
	} else {
		const char *colon = strrchr(text, ':');
		if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
			return false;
		hl = (size_t)(colon - text);
		memcpy(host, text, hl);
		port = colon + 1;
	}
	host[hl] = '\0';
	char *end;
	long p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || p < 0 || p > 65535)
		return false;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*len = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*s6);
		return true;
	}
	return false;
}
