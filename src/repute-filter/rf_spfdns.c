/* rf_spfdns.c - the SPF checker's DNS source: "system" (resolv.conf, with libspf2's cache) or
 * a static record file for tests and offline use. File format, one record a line:
 *     name TYPE data        TYPE is A, AAAA, MX ("pref host"), TXT (rest of line, optional
 *                           surrounding double quotes), PTR, or TIMEOUT (no data)
 * '#' starts a comment line. Names listed answer NODATA for the types they lack; other names
 * are NXDOMAIN. Bad lines are warned about with file:line and skipped. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "repute/alloc.h"
#include "repute/log.h"
#include "repute/spf.h"

#include "rf.h"

#define SPFDNS_MAX_NAMES 4096

struct spfdns_name {
	char *name;
	bool has[5];
	bool timeout;
};

/* spfdns_type - type word to record type; -1 unknown, -2 TIMEOUT. */
static int spfdns_type(const char *w)
{
	static const char *const names[] = { "A", "AAAA", "MX", "TXT", "PTR" };

	for (int i = 0; i < 5; i++)
		if (strcasecmp(w, names[i]) == 0)
			return i;
	return strcasecmp(w, "TIMEOUT") == 0 ? -2 : -1;
}

/* spfdns_find - the name's slot, added if new (NULL when the table is full). */
static struct spfdns_name *spfdns_find(struct spfdns_name *t, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp(t[i].name, name) == 0)
			return &t[i];
	if (*n >= SPFDNS_MAX_NAMES)
		return NULL;
	t[*n] = (struct spfdns_name){ .name = xstrdup(name) };
	return &t[(*n)++];
}

/* spfdns_line - one record line into spf (NULL: syntax check only); false when bad. */
static bool spfdns_line(struct rp_spf *spf, char *line, struct spfdns_name *t, size_t *n)
{
	char *name = strtok(line, " \t"), *type = strtok(NULL, " \t"), *data = strtok(NULL, "");
	int ty;

	if (name == NULL || type == NULL || (ty = spfdns_type(type)) == -1)
		return false;
	struct spfdns_name *e = spfdns_find(t, n, name);
	if (e == NULL)
		return false;
	if (ty == -2) {
		e->timeout = true;
		return true;
	}
	if (data == NULL)
		return false;
	data += strspn(data, " \t");
	size_t len = strlen(data);
	if (ty == RP_SPF_RR_TXT && len >= 2 && data[0] == '"' && data[len - 1] == '"') {
		data[len - 1] = '\0';
		data++;
	}
	e->has[ty] = true;
	return spf == NULL || rp_spf_zone_add(spf, name, (enum rp_spf_rr)ty, data) == 0;
}

/* spfdns_load - read path into spf (or only check it when spf is NULL). */
static bool spfdns_load(struct rp_spf *spf, const char *path)
{
	FILE *f = fopen(path, "r");
	struct spfdns_name *t = xcalloc(SPFDNS_MAX_NAMES, sizeof(*t));
	size_t n = 0;
	unsigned long lineno = 0;
	char line[4096];
	bool ok = f != NULL;

	if (f == NULL)
		log_warn("spf dns file %s", path);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[strspn(line, " \t")] == '\0' || line[strspn(line, " \t")] == '#')
			continue;
		if (!spfdns_line(spf, line, t, &n))
			log_warnx("%s:%lu: bad record line; skipped", path, lineno);
	}
	for (size_t i = 0; i < n; i++) {
		for (int ty = 0; spf != NULL && ty < 5; ty++)
			if (t[i].timeout && !t[i].has[ty])
				rp_spf_zone_timeout(spf, t[i].name);
			else if (!t[i].has[ty])
				rp_spf_zone_nodata(spf, t[i].name, (enum rp_spf_rr)ty);
		xfree(t[i].name);
	}
	xfree(t);
	if (f != NULL)
		fclose(f);
	return ok;
}

/* rf_spfdns_check - the file can be read. */
bool rf_spfdns_check(const char *path)
{
	return spfdns_load(NULL, path);
}

/* rf_spf_new - an SPF checker with the configured DNS source. */
struct rp_spf *rf_spf_new(const struct rf_config *cfg)
{
	bool system = strcmp(cfg->spf_dns, "system") == 0;
	struct rp_spf *spf = rp_spf_new(system ? RP_SPF_DNS_SYSTEM : RP_SPF_DNS_ZONE, NULL);

	if (spf == NULL) {
		log_warnx("spf disabled: libspf2 could not start");
		return NULL;
	}
	if (!system && !spfdns_load(spf, cfg->spf_dns))
		return rp_spf_free(spf);
	return spf;
}
