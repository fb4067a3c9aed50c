/* cli_relay.c - `repute scan-relay HOST[:PORT]`: run the open-relay tests of librepute's
 * relayscan module against one SMTP server and print each test's verdict with its transcript
 * (text, or JSON with --json). The target must be public unless --allow-private; connections
 * are spaced to --rate per second. Exit 0: no relay found; 1: an open relay (some RCPT to an
 * outside address accepted); 2: usage error, refused target or no usable connection. */
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "repute/netaddr.h"
#include "repute/relayscan.h"

#include "cli.h"

#define NAME "scan-relay"

/* Options of scan-relay besides the rp_relay_config fields. */
struct ropts {
	struct rp_relay_config cfg;
	char host[256];
	bool json;
};

/* split_host - "host", "host:port", "[v6]:port", "v6" into o->host and o->cfg.port. */
static int split_host(const char *arg, struct ropts *o)
{
	const char *colon = strrchr(arg, ':');
	char *end;
	long port;

	if (arg[0] == '[') {
		const char *rb = strchr(arg, ']');
		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':'))
			return -1;
		snprintf(o->host, sizeof(o->host), "%.*s", (int)(rb - arg - 1), arg + 1);
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else if (colon != NULL && strchr(arg, ':') != colon) { /* bare IPv6 */
		snprintf(o->host, sizeof(o->host), "%s", arg);
		colon = NULL;
	} else {
		snprintf(o->host, sizeof(o->host), "%.*s", (int)(colon ? (size_t)(colon - arg) : strlen(arg)), arg);
	}
	if (colon == NULL)
		return o->host[0] ? 0 : -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -1;
	o->cfg.port = (unsigned)port;
	return o->host[0] ? 0 : -1;
}

/* resolve - the first address of o->host (numeric or by name). */
static int resolve(struct ropts *o)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
	char ip[RP_ADDR_STRLEN];
	int rc;

	if (rp_addr_parse(o->host, &o->cfg.addr) == 0)
		return 0;
	rc = getaddrinfo(o->host, NULL, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "repute %s: %s: %s\n", NAME, o->host, gai_strerror(rc));
		return -1;
	}
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, ip, sizeof(ip), NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	if (rc != 0 || rp_addr_parse(ip, &o->cfg.addr) != 0)
		return -1;
	return 0;
}

/* number - parse a positive number within [lo, hi]. */
static bool number(const char *s, double lo, double hi, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return *end == '\0' && end != s && *out >= lo && *out <= hi;
}

/* parse - options and the HOST operand; returns 0 or CLI_USAGE after printing the error. */
static int parse(int argc, char **argv, struct ropts *o)
{
	static const struct option longopts[] = {
		{ "helo", required_argument, NULL, 'h' },      { "outside", required_argument, NULL, 'o' },
		{ "local-domain", required_argument, NULL, 'l' }, { "starttls", no_argument, NULL, 's' },
		{ "submission", optional_argument, NULL, 'S' }, { "allow-private", no_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },      { "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },            { NULL, 0, NULL, 0 },
	};
	double v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->cfg.helo = "relay-scanner.invalid";
	o->cfg.outside = "example.com";
	o->cfg.rate = 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': o->cfg.helo = optarg; break;
		case 'o': o->cfg.outside = optarg; break;
		case 'l': o->cfg.local = optarg; break;
		case 's': o->cfg.starttls = true; break;
		case 'S':
			o->cfg.submission = true;
			if (optarg != NULL) {
				if (!number(optarg, 1, 65535, &v))
					return cli_usage_error(NAME, "--submission=PORT takes 1 to 65535");
				o->cfg.submission_port = (unsigned)v;
			}
			break;
		case 'p': o->cfg.allow_private = true; break;
		case 'r':
			if (!number(optarg, 0.01, 100, &o->cfg.rate))
				return cli_usage_error(NAME, "--rate takes 0.01 to 100 connections per second");
			break;
		case 't':
			if (!number(optarg, 0.1, 300, &v))
				return cli_usage_error(NAME, "--timeout takes 0.1 to 300 seconds");
			o->cfg.timeout_ms = (int)(v * 1000);
			break;
		case 'j': o->json = true; break;
		default: return cli_usage_error(NAME, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(NAME, "one HOST[:PORT] is required");
	if (split_host(argv[optind], o) != 0)
		return cli_usage_error(NAME, "bad HOST[:PORT]: %s", argv[optind]);
	return 0;
}

/* print_text - one line per test, its transcript indented below. */
static void print_text(const struct ropts *o, const struct rp_relay_report *rep)
{
	printf("target %s port %u: %s\n", o->host, o->cfg.port ? o->cfg.port : 25, rep->banner);
	for (size_t i = 0; i < rep->n; i++) {
		const struct rp_relay_test *t = &rep->tests[i];
		printf("%-10s %-22s %-8s %3d  MAIL FROM:<%s> RCPT TO:<%s>\n", t->phase, t->name,
		       rp_relay_verdict_name(t->verdict), t->code, t->mail_from, t->rcpt_to);
		for (const char *p = t->transcript; *p != '\0';) {
			size_t n = strcspn(p, "\n");
			printf("    %.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
	}
	printf("starttls %s; %zu test(s), %zu relayed, %zu refused, %zu error(s), %zu connection(s)\n",
	       rep->tls_done ? "tested" : rep->tls_offered ? "offered, not tested" : "not offered", rep->n,
	       rep->relayed, rep->refused, rep->errors, rep->connections);
	printf("%s\n", rep->relayed ? "OPEN RELAY" : "no relay found");
}

/* print_json - the report as one JSON object. */
static void print_json(const struct ropts *o, const struct rp_relay_report *rep, const char *note)
{
	json_t *root = json_object(), *tests = json_array();
	char ip[RP_ADDR_STRLEN];

	json_object_set_new(root, "host", json_string(o->host));
	json_object_set_new(root, "address", json_string(rp_addr_format(&o->cfg.addr, ip)));
	json_object_set_new(root, "port", json_integer(o->cfg.port ? o->cfg.port : 25));
	json_object_set_new(root, "banner", json_string(rep->banner));
	json_object_set_new(root, "starttls_offered", json_boolean(rep->tls_offered));
	json_object_set_new(root, "starttls_tested", json_boolean(rep->tls_done));
	json_object_set_new(root, "open_relay", json_boolean(rep->relayed > 0));
	json_object_set_new(root, "relayed", json_integer((json_int_t)rep->relayed));
	json_object_set_new(root, "refused", json_integer((json_int_t)rep->refused));
	json_object_set_new(root, "errors", json_integer((json_int_t)rep->errors));
	json_object_set_new(root, "connections", json_integer((json_int_t)rep->connections));
	if (note != NULL && *note != '\0')
		json_object_set_new(root, "note", json_string(note));
	for (size_t i = 0; i < rep->n; i++) {
		const struct rp_relay_test *t = &rep->tests[i];
		json_array_append_new(tests, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:i, s:s}", "phase", t->phase,
						       "name", t->name, "mail_from", t->mail_from, "rcpt_to",
						       t->rcpt_to, "outside", t->outside, "verdict",
						       rp_relay_verdict_name(t->verdict), "code", t->code,
						       "transcript", t->transcript));
	}
	json_object_set_new(root, "tests", tests);
	json_dumpf(root, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(root);
}

/* cli_scan_relay - `repute scan-relay`. */
int cli_scan_relay(int argc, char **argv)
{
	struct ropts o;
	struct rp_relay_report rep = { 0 };
	struct rp_diag diag = { 0 };
	char lit[RP_ADDR_STRLEN + 8], ip[RP_ADDR_STRLEN];
	int rc;

	if (parse(argc, argv, &o) != 0)
		return CLI_USAGE;
	if (resolve(&o) != 0)
		return CLI_USAGE;
	if (o.cfg.local == NULL) { /* the name we were given, or the address literal */
		if (rp_addr_parse(o.host, &o.cfg.addr) == 0) {
			snprintf(lit, sizeof(lit), o.cfg.addr.family == 6 ? "[IPv6:%s]" : "[%s]", rp_addr_format(&o.cfg.addr, ip));
			o.cfg.local = lit;
		} else {
			o.cfg.local = o.host;
		}
	}
	rc = rp_relay_scan(&o.cfg, &rep, &diag);
	if (rc != RP_OK) {
		fprintf(stderr, "repute %s: %s: %s\n", NAME, o.host, diag.reason[0] ? diag.reason : rp_strerror(rc));
		rp_relay_report_fini(&rep);
		return CLI_USAGE;
	}
	if (o.json)
		print_json(&o, &rep, diag.reason);
	else
		print_text(&o, &rep);
	if (!o.json && diag.reason[0] != '\0')
		fprintf(stderr, "repute %s: note: %s\n", NAME, diag.reason);
	rc = rep.relayed > 0 ? CLI_FAIL : rep.errors == rep.n ? CLI_USAGE : CLI_OK;
	rp_relay_report_fini(&rep);
	return rc;
}
