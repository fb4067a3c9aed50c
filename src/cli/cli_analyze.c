/* cli_analyze.c - `repute analyze`: print the evidence of one message as JSON, or the Received
 * walk as a table with --explain. Exit 0 on success, 1 when the input is not a mail message
 * or cannot be read, 2 for usage errors. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "repute/alloc.h"
#include "repute/config.h"
#include "repute/evidence.h"
#include "repute/strutil.h"

#include "cli.h"

#define ANALYZE_MAX_INPUT (64L * 1024 * 1024)

/* The [evidence] section of repute.conf, shared with reputed. */
struct analyze_conf {
	struct cfg_list trusted_networks;
	struct cfg_list msa_networks;
	struct cfg_list trusted_domains;
	char *default_country;
	long max_hops;
	long max_size;
};

static const struct cfg_opt analyze_table[] = {
	{ "evidence", "trusted_networks", CFG_LIST, NULL, 0, 0, offsetof(struct analyze_conf, trusted_networks),
	  "networks of our own relays whose Received lines are believed (CIDR list; !CIDR excludes)" },
	{ "evidence", "msa_networks", CFG_LIST, NULL, 0, 0, offsetof(struct analyze_conf, msa_networks),
	  "our submission servers (MSA): the client they received from is the sender (CIDR list)" },
	{ "evidence", "trusted_domains", CFG_LIST, NULL, 0, 0, offsetof(struct analyze_conf, trusted_domains),
	  "domains of our own relays (suffixes of the verified reverse name of a client)" },
	{ "evidence", "default_country", CFG_STR, "86", 0, 0, offsetof(struct analyze_conf, default_country),
	  "country calling code for phone numbers written without one" },
	{ "evidence", "max_hops", CFG_INT, "1000", 1, 100000, offsetof(struct analyze_conf, max_hops),
	  "Received headers walked at most" },
	{ "evidence", "max_message_size", CFG_SIZE, "64M", 1024, 1L << 30, offsetof(struct analyze_conf, max_size),
	  "largest message analysed" },
	CFG_END,
};

struct analyze_opts {
	bool explain;
	bool headers_only;
	const char *config;
	char **files;        /* one or more; several print one JSON line each, with "file" */
	int n_files;
	struct analyze_conf conf;
};

/* parse_args - options into o; returns CLI_OK or CLI_USAGE. */
static int parse_args(int argc, char **argv, struct analyze_opts *o)
{
	static const struct option longopts[] = {
		{ "explain", no_argument, NULL, 'e' },      { "headers-only", no_argument, NULL, 'H' },
		{ "trusted", required_argument, NULL, 't' }, { "trusted-domain", required_argument, NULL, 'd' },
		{ "country", required_argument, NULL, 'c' }, { "config", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct rp_diag diag = { 0 };
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "eHt:d:c:C:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e': o->explain = true; break;
		case 'H': o->headers_only = true; break;
		case 'C':
			if (cfg_load_file(analyze_table, &o->conf, optarg, &diag) != RP_OK)
				return cli_usage_error("analyze", "%s:%lu: %s", optarg, diag.line, diag.reason);
			break;
		case 't': {
			struct cfg_list *l = &o->conf.trusted_networks;
			l->items = xreallocarray(l->items, l->n + 1, sizeof(char *));
			l->items[l->n++] = xstrdup(optarg);
			break;
		}
		case 'd': {
			struct cfg_list *l = &o->conf.trusted_domains;
			l->items = xreallocarray(l->items, l->n + 1, sizeof(char *));
			l->items[l->n++] = xstrdup(optarg);
			break;
		}
		case 'c': cfg_set(analyze_table, &o->conf, "evidence.default_country", optarg, NULL); break;
		default: return cli_usage_error("analyze", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("analyze", "expected a FILE (or - for standard input)");
	o->files = argv + optind;
	o->n_files = argc - optind;
	return CLI_OK;
}

/* build_config - the analysis configuration from the options; CLI_USAGE on a bad network. */
static int build_config(const struct analyze_opts *o, struct rp_analyze_config *cfg)
{
	rp_analyze_config_default(cfg);
	const struct { const struct cfg_list *l; enum rp_trust_list kind; } lists[] = {
		{ &o->conf.trusted_networks, RP_TRUST_TRUSTED }, { &o->conf.msa_networks, RP_TRUST_MSA },
	};
	struct rp_diag diag = { 0 };

	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++)
		for (size_t i = 0; i < lists[k].l->n; i++)
			if (rp_trust_config_add_network(&cfg->trust, lists[k].kind, lists[k].l->items[i]) != RP_OK)
				return cli_usage_error("analyze", "bad network \"%s\"", lists[k].l->items[i]);
	if (rp_trust_config_check(&cfg->trust, &diag) != RP_OK)
		return cli_usage_error("analyze", "%s", diag.reason);
	for (size_t i = 0; i < o->conf.trusted_domains.n; i++)
		rp_trust_config_add_domain(&cfg->trust, o->conf.trusted_domains.items[i]);
	cfg->default_cc = o->conf.default_country;
	cfg->max_hops = (size_t)o->conf.max_hops;
	return CLI_OK;
}

/* print_evidence - the table, one indented JSON object, or one JSON line naming the file. */
static void print_evidence(const struct analyze_opts *o, const char *file, const struct rp_evidence *ev)
{
	if (o->explain) {
		if (o->n_files > 1)
			printf("== %s\n", file);
		rp_evidence_explain(ev, stdout);
		return;
	}
	json_t *j = rp_evidence_to_json(ev);
	if (o->n_files > 1) {
		json_object_set_new(j, "file", json_string(file));
		json_dumpf(j, stdout, JSON_COMPACT);
	} else {
		json_dumpf(j, stdout, JSON_INDENT(2));
	}
	fputc('\n', stdout);
	json_decref(j);
}

/* analyze_file - read, analyse and print one message. */
static int analyze_file(const struct analyze_opts *o, struct rp_analyzer *an, const char *file)
{
	struct rp_diag diag = { 0 };
	struct rp_evidence *ev = NULL;
	char *data;
	size_t len;
	int rc = file_read_all(file, (size_t)o->conf.max_size, &data, &len);

	if (rc != RP_OK) {
		fprintf(stderr, "repute analyze: %s: %s\n", file,
			rc == RP_ETOOBIG ? "message is larger than max_message_size" : strerror(errno));
		return CLI_FAIL;
	}
	rc = rp_analyze(an, data, len, o->headers_only ? RP_ANALYZE_HEADERS_ONLY : RP_ANALYZE_FULL, &ev, &diag);
	if (rc == RP_OK)
		print_evidence(o, file, ev);
	else
		fprintf(stderr, "repute analyze: %s: %s%s%s\n", file, rp_strerror(rc), *diag.reason ? ": " : "",
			diag.reason);
	rp_evidence_free(ev);
	xfree(data);
	return rc == RP_OK ? CLI_OK : CLI_FAIL;
}

/* analyze_files - every file with one analyzer; CLI_FAIL when any failed. */
static int analyze_files(const struct analyze_opts *o, const struct rp_analyze_config *cfg)
{
	struct rp_analyzer *an = rp_analyzer_new(cfg);
	int rc = CLI_OK;

	if (an == NULL) {
		fprintf(stderr, "repute analyze: cannot load the public suffix list\n");
		return CLI_FAIL;
	}
	for (int i = 0; i < o->n_files; i++)
		if (analyze_file(o, an, o->files[i]) != CLI_OK)
			rc = CLI_FAIL;
	rp_analyzer_free(an);
	return rc;
}

int cli_analyze(int argc, char **argv)
{
	struct analyze_opts o = { 0 };
	struct rp_analyze_config cfg;
	int rc;

	cfg_defaults(analyze_table, &o.conf);
	rc = parse_args(argc, argv, &o);
	if (rc == CLI_OK) {
		rc = build_config(&o, &cfg);
		if (rc == CLI_OK)
			rc = analyze_files(&o, &cfg);
		rp_trust_config_fini(&cfg.trust);
	}
	cfg_fini(analyze_table, &o.conf);
	return rc;
}
