/* cli_zone.c - `repute zone compile`: build a DNSBL zone snapshot for repute-dns from rbldnsd
 * dataset files (TYPE:FILE[,FILE...] as in rbldnsd's zone:type:file arguments) and write it
 * atomically. Bad data lines are reported as file:line warnings and skipped. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repute/alloc.h"
#include "repute/zone.h"

#include "cli.h"

/* warn_line - print one bad dataset line. */
static void warn_line(void *ctx, const char *file, unsigned long line, const char *reason)
{
	unsigned long *n = ctx;

	if ((*n)++ < 100)
		fprintf(stderr, "repute zone compile: %s:%lu: %s\n", file, line, reason);
}

/* load_spec - one TYPE:FILE[,FILE...] argument into the builder. */
static int load_spec(struct zone_builder *b, const char *spec, unsigned long *warned)
{
	char *copy = xstrdup(spec), *colon = strchr(copy, ':');
	const char *paths[64];
	size_t n = 0;
	struct rp_diag diag = { 0 };
	int rc;

	if (colon == NULL || colon[1] == 0) {
		xfree(copy);
		return cli_usage_error("zone compile", "dataset \"%s\" is not TYPE:FILE[,FILE...]", spec);
	}
	*colon = 0;
	for (char *save, *p = strtok_r(colon + 1, ",", &save); p && n < 64; p = strtok_r(NULL, ",", &save))
		paths[n++] = p;
	rc = zone_builder_load(b, copy, paths, n, warn_line, warned, &diag);
	if (rc != RP_OK)
		fprintf(stderr, "repute zone compile: %s: %s\n", spec, diag.reason[0] ? diag.reason : rp_strerror(rc));
	xfree(copy);
	return rc == RP_OK ? CLI_OK : CLI_FAIL;
}

/* cli_zone_compile - repute zone compile --zone NAME --out FILE [--serial N] [--ttl S] TYPE:FILE... */
int cli_zone_compile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "zone", required_argument, NULL, 'z' }, { "out", required_argument, NULL, 'o' },
		{ "serial", required_argument, NULL, 's' }, { "ttl", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *zone = NULL, *out = NULL;
	long serial = -1, ttl = -1;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "z:o:s:t:", opts, NULL)) != -1) {
		switch (c) {
		case 'z': zone = optarg; break;
		case 'o': out = optarg; break;
		case 's': serial = strtol(optarg, NULL, 10); break;
		case 't': ttl = strtol(optarg, NULL, 10); break;
		default: return cli_usage_error("zone compile", "bad option");
		}
	}
	if (zone == NULL || out == NULL || optind >= argc)
		return cli_usage_error("zone compile", "--zone, --out and at least one dataset are required");
	struct zone_builder *b = zone_builder_new(zone);
	if (b == NULL)
		return cli_usage_error("zone compile", "bad zone name \"%s\"", zone);
	if (serial >= 0)
		zone_builder_set_serial(b, (uint32_t)serial);
	if (ttl >= 0)
		zone_builder_set_ttl(b, (uint32_t)ttl);
	unsigned long warned = 0;
	for (int i = optind; i < argc; i++)
		if (load_spec(b, argv[i], &warned) != CLI_OK) {
			zone_builder_free(b);
			return CLI_FAIL;
		}
	void *img = NULL;
	size_t len;
	int rc = zone_builder_build(b, &img, &len);
	zone_builder_free(b);
	if (rc == RP_OK && (rc = zone_write_file(out, img, len)) != RP_OK)
		perror(out);
	xfree(img);
	if (rc != RP_OK)
		return CLI_FAIL;
	fprintf(stderr, "repute zone compile: %s: %zu bytes, %lu bad lines skipped\n", out, len, warned);
	return CLI_OK;
}
