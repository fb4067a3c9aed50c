/* cli_key.c - `repute key create`: make an API key for a reporter (created when the name is
 * new) and print it once; the database keeps only its hash and a short prefix. The
 * creation goes to the audit log. Exit 0 on success, 1 on a database error, 2 for usage. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "repute/store.h"

#include "cli.h"

/* open_db - open (and migrate) the database at path. */
static struct rp_store *open_db(const char *path)
{
	struct rp_store_config cfg = { .path = path };
	struct rp_diag diag = { 0 };
	struct rp_store *st = NULL;

	if (rp_store_open(&cfg, &st, &diag) != RP_OK) {
		fprintf(stderr, "repute key: %s\n", diag.reason);
		return NULL;
	}
	return st;
}

/* create_key - find or add the reporter, add the key, audit, commit. */
static int create_key(struct rp_store *st, const char *name, const char *role)
{
	struct rp_diag diag = { 0 };
	char id[32], key[RP_KEY_LEN], object[64];
	int64_t key_id = 0;
	int rc = rp_store_begin(st, &diag);

	if (rc == RP_OK && rp_store_reporter_find(st, name, id) != RP_OK)
		rc = rp_store_reporter_add(st, name, role, id, &diag);
	if (rc == RP_OK)
		rc = rp_store_key_create(st, id, role, key, &key_id, &diag);
	snprintf(object, sizeof(object), "key:%lld", (long long)key_id);
	if (rc == RP_OK)
		rc = rp_store_audit_append(st, "cli", "key.create", object, name, &diag);
	if (rc == RP_OK)
		rc = rp_store_commit(st, &diag);
	else
		rp_store_rollback(st);
	if (rc != RP_OK) {
		fprintf(stderr, "repute key create: %s\n", diag.reason[0] ? diag.reason : rp_strerror(rc));
		return CLI_FAIL;
	}
	printf("%s\n", key);
	fprintf(stderr, "key %lld for reporter %s (%s, role %s); it is shown only this once\n", (long long)key_id,
		name, id, role);
	return CLI_OK;
}

/* cli_key_create - `repute key create --db PATH --name NAME [--role ROLE]`. */
int cli_key_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' }, { "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *role = "reporter", *name = NULL;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:r:n:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'r': role = optarg; break;
		case 'n': name = optarg; break;
		default: return cli_usage_error("key create", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("key create", "unexpected argument \"%s\"", argv[optind]);
	if (db == NULL || name == NULL)
		return cli_usage_error("key create", "--db and --name are required");
	if (!rp_role_valid(role))
		return cli_usage_error("key create", "unknown role \"%s\" (public, reporter, operator, gateway, provider, "
				       "partner, analyst, admin)", role);
	struct rp_store *st = open_db(db);
	if (st == NULL)
		return CLI_FAIL;
	int rc = create_key(st, name, role);
	rp_store_close(st);
	return rc;
}
