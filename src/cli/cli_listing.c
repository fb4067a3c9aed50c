/* cli_listing.c - `repute list`, `repute delist`, `repute whitelist` and `repute stats
 * listings`: an analyst's manual listing work on the centre's database, each change with a
 * reason and an audit record (actor: --actor, default "cli"). A running reputed notices the
 * change (a new audit record) within its scan interval and publishes the zones.
 * Exit 0 on success, 1 on a refused or failed change, 2 for usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repute/listing.h"
#include "repute/store.h"

#include "cli.h"

/* Options shared by the listing commands. */
struct lopts {
	const char *db, *reason, *actor, *provider, *contact, *network, *domain;
	long days;
	bool remove;
};

/* parse - the options of one command; returns the first operand index or -1 after a usage error. */
static int parse(const char *name, int argc, char **argv, struct lopts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },      { "reason", required_argument, NULL, 'r' },
		{ "actor", required_argument, NULL, 'a' },   { "days", required_argument, NULL, 'D' },
		{ "provider", required_argument, NULL, 'p' }, { "contact", required_argument, NULL, 'c' },
		{ "network", required_argument, NULL, 'n' }, { "domain", required_argument, NULL, 'm' },
		{ "remove", no_argument, NULL, 'x' },        { NULL, 0, NULL, 0 },
	};
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	o->actor = "cli";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:r:a:D:p:c:n:m:x", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': o->db = optarg; break;
		case 'r': o->reason = optarg; break;
		case 'a': o->actor = optarg; break;
		case 'D':
			o->days = strtol(optarg, &end, 10);
			if (*end != '\0' || o->days < 0 || o->days > 3650)
				return cli_usage_error(name, "--days takes 0 to 3650"), -1;
			break;
		case 'p': o->provider = optarg; break;
		case 'c': o->contact = optarg; break;
		case 'n': o->network = optarg; break;
		case 'm': o->domain = optarg; break;
		case 'x': o->remove = true; break;
		default: return cli_usage_error(name, "unknown option"), -1;
		}
	}
	if (o->db == NULL)
		return cli_usage_error(name, "--db is required"), -1;
	return optind;
}

/* open_db - open (and migrate) the database. */
static struct rp_store *open_db(const char *name, const char *path)
{
	struct rp_store_config cfg = { .path = path };
	struct rp_diag diag = { 0 };
	struct rp_store *st = NULL;

	if (rp_store_open(&cfg, &st, &diag) != RP_OK)
		fprintf(stderr, "repute %s: %s\n", name, diag.reason);
	return st;
}

/* manual - list or delist one value. */
static int manual(const char *name, bool list, int argc, char **argv)
{
	struct lopts o;
	struct rp_diag diag = { 0 };
	char kind[16], value[128];
	int i = parse(name, argc, argv, &o);

	if (i < 0)
		return CLI_USAGE;
	if (i + 1 != argc)
		return cli_usage_error(name, "one VALUE (address, /64, CIDR, domain or +number) is required");
	if (o.reason == NULL || o.reason[0] == '\0')
		return cli_usage_error(name, "--reason is required");
	struct rp_store *st = open_db(name, o.db);
	if (st == NULL)
		return CLI_FAIL;
	int64_t now = (int64_t)time(NULL);
	int rc = rp_listing_manual(st, argv[i], list, o.actor, o.reason, o.days ? now + o.days * 86400 : 0, now, kind,
				   value, &diag);
	rp_store_close(st);
	if (rc != RP_OK) {
		fprintf(stderr, "repute %s: %s\n", name, diag.reason[0] ? diag.reason : rp_strerror(rc));
		return CLI_FAIL;
	}
	printf("%s %s %s\n", list ? "listed" : "delisted", kind, value);
	return CLI_OK;
}

/* cli_list - `repute list --db PATH --reason TEXT [--days N] [--actor NAME] VALUE`. */
int cli_list(int argc, char **argv)
{
	return manual("list", true, argc, argv);
}

/* cli_delist - `repute delist --db PATH --reason TEXT [--actor NAME] VALUE`. */
int cli_delist(int argc, char **argv)
{
	return manual("delist", false, argc, argv);
}

/* whitelist_apply - provider and entries. */
static int whitelist_apply(struct rp_store *st, const struct lopts *o, struct rp_diag *diag)
{
	int64_t now = (int64_t)time(NULL);
	int rc = RP_OK;

	if (o->contact != NULL) {
		rc = rp_store_provider_add(st, o->provider, o->contact, o->actor, o->reason, now, diag);
		if (rc == RP_EEXIST && (o->network || o->domain))
			rc = RP_OK;
	}
	if (rc == RP_OK && o->network != NULL)
		rc = rp_store_provider_entry(st, o->provider, "net", o->network, !o->remove, o->actor, o->reason, now, diag);
	if (rc == RP_OK && o->domain != NULL)
		rc = rp_store_provider_entry(st, o->provider, "domain", o->domain, !o->remove, o->actor, o->reason, now,
					     diag);
	return rc;
}

/* cli_whitelist - `repute whitelist --db PATH --provider NAME [--contact ADDR]
 * [--network CIDR] [--domain NAME] [--remove] --reason TEXT`. */
int cli_whitelist(int argc, char **argv)
{
	struct lopts o;
	struct rp_diag diag = { 0 };
	int i = parse("whitelist", argc, argv, &o);

	if (i < 0)
		return CLI_USAGE;
	if (i != argc)
		return cli_usage_error("whitelist", "unexpected argument \"%s\"", argv[i]);
	if (o.provider == NULL || o.reason == NULL || o.reason[0] == '\0')
		return cli_usage_error("whitelist", "--provider and --reason are required");
	if (o.contact == NULL && o.network == NULL && o.domain == NULL)
		return cli_usage_error("whitelist", "give --contact (new provider), --network or --domain");
	struct rp_store *st = open_db("whitelist", o.db);
	if (st == NULL)
		return CLI_FAIL;
	int rc = whitelist_apply(st, &o, &diag);
	rp_store_close(st);
	if (rc != RP_OK) {
		fprintf(stderr, "repute whitelist: %s\n", diag.reason[0] ? diag.reason : rp_strerror(rc));
		return CLI_FAIL;
	}
	printf("provider %s updated\n", o.provider);
	return CLI_OK;
}

/* cli_stats_listings - `repute stats listings --db PATH [--days N]`: the fairness figures as JSON. */
int cli_stats_listings(int argc, char **argv)
{
	struct lopts o;
	struct rp_whitelist w;
	json_t *j = NULL;
	int i = parse("stats listings", argc, argv, &o);

	if (i < 0)
		return CLI_USAGE;
	if (i != argc)
		return cli_usage_error("stats listings", "unexpected argument \"%s\"", argv[i]);
	struct rp_store *st = open_db("stats listings", o.db);
	if (st == NULL)
		return CLI_FAIL;
	long days = o.days ? o.days : 30;
	rp_whitelist_init(&w);
	int rc = rp_store_whitelist_load(st, &w);
	if (rc == RP_OK)
		rc = rp_store_listing_stats_json(st, (int64_t)time(NULL) - days * 86400, &w, &j);
	rp_whitelist_fini(&w);
	rp_store_close(st);
	if (rc != RP_OK) {
		fprintf(stderr, "repute stats listings: %s\n", rp_strerror(rc));
		return CLI_FAIL;
	}
	json_object_set_new(j, "days", json_integer(days));
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(j);
	return CLI_OK;
}
