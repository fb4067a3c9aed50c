/* cli_user.c - `repute user create`: add a console user (docs/web-console.md) with a role and
 * a password read from standard input (its first line; nothing is echoed or printed). The
 * password is stored as an argon2id hash; the user files reports as the reporter of the same
 * name, created when new. Exit 0 on success, 1 on a database error, 2 for usage. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "repute/store.h"

#include "cli.h"

/* read_password - the first line of standard input without its line end; false when empty. */
static bool read_password(char *pw, size_t len)
{
	if (fgets(pw, (int)len, stdin) == NULL)
		return false;
	pw[strcspn(pw, "\r\n")] = '\0';
	return pw[0] != '\0';
}

/* create_user - open the database and add the user. */
static int create_user(const char *db, const char *name, const char *role, const char *password)
{
	struct rp_store_config cfg = { .path = db };
	struct rp_diag diag = { 0 };
	struct rp_store *st = NULL;
	int64_t id = 0;

	if (rp_store_open(&cfg, &st, &diag) != RP_OK) {
		fprintf(stderr, "repute user create: %s\n", diag.reason);
		return CLI_FAIL;
	}
	int rc = rp_store_user_create(st, name, role, password, "cli", &id, &diag);
	rp_store_close(st);
	if (rc != RP_OK) {
		fprintf(stderr, "repute user create: %s\n", diag.reason[0] ? diag.reason : rp_strerror(rc));
		return rc == RP_EINVAL ? CLI_USAGE : CLI_FAIL;
	}
	fprintf(stderr, "user %lld: %s (role %s)\n", (long long)id, name, role);
	return CLI_OK;
}

/* cli_user_create - `repute user create --db PATH --name NAME --role ROLE` < password. */
int cli_user_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' }, { "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *name = NULL, *role = NULL;
	char pw[1024];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'r': role = optarg; break;
		case 'n': name = optarg; break;
		default: return cli_usage_error("user create", "unknown option");
		}
	}
	if (db == NULL || name == NULL || role == NULL || optind != argc)
		return cli_usage_error("user create", "--db, --name and --role are required");
	if (!rp_user_role_valid(role))
		return cli_usage_error("user create", "role must be public, reporter, provider, partner, analyst or admin");
	if (!read_password(pw, sizeof(pw)))
		return cli_usage_error("user create", "the password is read from standard input (one line)");
	int rc = create_user(db, name, role, pw);
	sodium_memzero(pw, sizeof(pw));
	return rc;
}
