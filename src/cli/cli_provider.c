/* cli_provider.c - `repute provider member`: make a console user (or the reporter behind an
 * API key) a member of a provider organisation of the registry, so that it reads that
 * provider's complaint feed (GET /v1/complaints, docs/provider-feed.md), or end it. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "repute/store.h"

#include "cli.h"

/* member_apply - open the database and change one membership. */
static int member_apply(const char *db, const char *provider, const char *member, bool add, const char *actor,
			const char *reason)
{
	struct rp_store_config cfg = { .path = db };
	struct rp_diag diag = { 0 };
	struct rp_store *st = NULL;
	int rc = rp_store_open(&cfg, &st, &diag);

	if (rc == RP_OK)
		rc = rp_store_provider_member(st, provider, member, add, actor, reason, &diag);
	rp_store_close(st);
	if (rc != RP_OK) {
		fprintf(stderr, "repute provider member: %s\n", diag.reason[0] ? diag.reason : rp_strerror(rc));
		return CLI_FAIL;
	}
	printf("%s %s provider %s\n", member, add ? "is a member of" : "left", provider);
	return CLI_OK;
}

/* cli_provider_member - `repute provider member --db PATH --provider NAME --member NAME
 * [--remove] --reason TEXT [--actor NAME]`. */
int cli_provider_member(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },     { "provider", required_argument, NULL, 'p' },
		{ "member", required_argument, NULL, 'm' }, { "remove", no_argument, NULL, 'x' },
		{ "reason", required_argument, NULL, 'r' }, { "actor", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *provider = NULL, *member = NULL, *reason = NULL, *actor = "operator";
	bool add = true;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'p': provider = optarg; break;
		case 'm': member = optarg; break;
		case 'x': add = false; break;
		case 'r': reason = optarg; break;
		case 'a': actor = optarg; break;
		default: return cli_usage_error("provider member", "unknown option");
		}
	}
	if (db == NULL || provider == NULL || member == NULL || reason == NULL || reason[0] == '\0' || optind != argc)
		return cli_usage_error("provider member", "--db, --provider, --member and --reason are required");
	return member_apply(db, provider, member, add, actor, reason);
}
