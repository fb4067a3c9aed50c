/* config.c - table-driven INI configuration on top of libinih. See config.h. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "repute/alloc.h"
#include "repute/config.h"

/* cfg_find - the table entry for section/name. */
static const struct cfg_opt *cfg_find(const struct cfg_opt *table, const char *section, const char *name)
{
	for (const struct cfg_opt *o = table; o->name; o++)
		if (strcasecmp(o->section, section) == 0 && strcasecmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* parse_scaled - a number with an optional unit suffix from units/scales. */
static int parse_scaled(const char *text, const char *units, const long *scales, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);

	if (errno || end == text)
		return RP_EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	if (*end) {
		const char *u = strchr(units, *end);
		if (u == NULL || end[1] != '\0')
			return RP_EINVAL;
		long scale = scales[u - units];
		if (v > 0 && v > __LONG_MAX__ / scale)
			return RP_EINVAL;
		v *= scale;
	}
	*out = v;
	return RP_OK;
}

/* parse_bool - the usual spellings of yes and no. */
static int parse_bool(const char *text, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" }, *no[] = { "no", "false", "off", "0" };

	for (int i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0)
			return *out = true, RP_OK;
		if (strcasecmp(text, no[i]) == 0)
			return *out = false, RP_OK;
	}
	return RP_EINVAL;
}

/* list_free - release a cfg_list's words. */
static void list_free(struct cfg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		xfree(l->items[i]);
	l->items = xfree(l->items);
	l->n = 0;
}

/* parse_list - split on commas and white space. */
static void parse_list(const char *text, struct cfg_list *l)
{
	list_free(l);
	const char *p = text;
	while (*p) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		const char *start = p;
		while (*p && *p != ',' && !isspace((unsigned char)*p))
			p++;
		if (p > start) {
			l->items = xreallocarray(l->items, l->n + 1, sizeof(char *));
			l->items[l->n++] = xstrndup(start, (size_t)(p - start));
		}
	}
}

/* cfg_apply - store one textual value into dest per the option's type. */
static int cfg_apply(const struct cfg_opt *o, void *dest, const char *value, struct rp_diag *diag,
		     unsigned long line)
{
	static const long time_scales[] = { 1, 60, 3600, 86400, 604800 };
	static const long size_scales[] = { 1024, 1024L * 1024, 1024L * 1024 * 1024 };
	char *field = (char *)dest + o->offset;
	long v;

	switch (o->type) {
	case CFG_STR:
		xfree(*(char **)field);
		*(char **)field = xstrdup(value ? value : "");
		return RP_OK;
	case CFG_LIST:
		parse_list(value ? value : "", (struct cfg_list *)field);
		return RP_OK;
	case CFG_BOOL:
		if (parse_bool(value, (bool *)field) == RP_OK)
			return RP_OK;
		rp_diag_set(diag, line, 0, "%s: expected yes or no, got \"%s\"", o->name, value);
		return RP_EINVAL;
	case CFG_INT:
	case CFG_SECONDS:
	case CFG_SIZE:
		if (parse_scaled(value, o->type == CFG_SECONDS ? "smhdw" : o->type == CFG_SIZE ? "kMG" : "",
				 o->type == CFG_SECONDS ? time_scales : size_scales, &v) != RP_OK) {
			rp_diag_set(diag, line, 0, "%s: expected a number, got \"%s\"", o->name, value);
			return RP_EINVAL;
		}
		if (o->min != o->max && (v < o->min || v > o->max)) {
			rp_diag_set(diag, line, 0, "%s: %ld is outside %ld..%ld", o->name, v, o->min, o->max);
			return RP_EINVAL;
		}
		*(long *)field = v;
		return RP_OK;
	}
	return RP_EINVAL;
}

int cfg_defaults(const struct cfg_opt *table, void *dest)
{
	for (const struct cfg_opt *o = table; o->name; o++) {
		const char *def = o->def ? o->def : (o->type == CFG_INT || o->type == CFG_SECONDS ||
						     o->type == CFG_SIZE ? "0" : o->type == CFG_BOOL ? "no" : "");
		if (cfg_apply(o, dest, def, NULL, 0) != RP_OK)
			return RP_EINVAL;
	}
	return RP_OK;
}

struct cfg_load_ctx {
	const struct cfg_opt *table;
	void *dest;
	struct rp_diag *diag;
	int rc;
	FILE *fp;
	int line; /* lines read so far: Debian's inih does not pass line numbers to handlers */
};

/* cfg_reader - fgets for ini_parse_stream that counts lines. */
static char *cfg_reader(char *str, int num, void *stream)
{
	struct cfg_load_ctx *ctx = stream;
	char *r = fgets(str, num, ctx->fp);

	if (r)
		ctx->line++;
	return r;
}

/* cfg_ini_handler - libinih callback: one key = value line. */
static int cfg_ini_handler(void *user, const char *section, const char *name, const char *value)
{
	struct cfg_load_ctx *ctx = user;
	int line = ctx->line;
	const struct cfg_opt *o = cfg_find(ctx->table, section, name);

	if (o == NULL) {
		rp_diag_set(ctx->diag, (unsigned long)line, 0, "unknown option %s%s%s", section,
			    *section ? "." : "", name);
		ctx->rc = RP_EINVAL;
		return 0;
	}
	if (cfg_apply(o, ctx->dest, value, ctx->diag, (unsigned long)line) != RP_OK) {
		ctx->rc = RP_EINVAL;
		return 0;
	}
	return 1;
}

int cfg_load_file(const struct cfg_opt *table, void *dest, const char *path, struct rp_diag *diag)
{
	struct cfg_load_ctx ctx = { table, dest, diag, RP_OK, fopen(path, "r"), 0 };

	if (ctx.fp == NULL) {
		rp_diag_set(diag, 0, 0, "cannot open %s: %s", path, strerror(errno));
		return RP_EIO;
	}
	int r = ini_parse_stream(cfg_reader, &ctx, cfg_ini_handler, &ctx);
	fclose(ctx.fp);
	if (ctx.rc != RP_OK)
		return ctx.rc;
	if (r > 0) {
		rp_diag_set(diag, (unsigned long)r, 0, "syntax error");
		return RP_EPARSE;
	}
	return RP_OK;
}

int cfg_set(const struct cfg_opt *table, void *dest, const char *key, const char *value,
	    struct rp_diag *diag)
{
	char section[64] = "";
	const char *name = key, *dot = strchr(key, '.');

	if (dot && (size_t)(dot - key) < sizeof(section)) {
		memcpy(section, key, (size_t)(dot - key));
		section[dot - key] = '\0';
		name = dot + 1;
	}
	const struct cfg_opt *o = cfg_find(table, section, name);
	if (o == NULL) {
		rp_diag_set(diag, 0, 0, "unknown option %s", key);
		return RP_EINVAL;
	}
	return cfg_apply(o, dest, value, diag, 0);
}

void cfg_write_sample(const struct cfg_opt *table, FILE *out)
{
	const char *section = NULL;

	for (const struct cfg_opt *o = table; o->name; o++) {
		if (section == NULL || strcmp(section, o->section) != 0) {
			section = o->section;
			if (*section)
				fprintf(out, "\n[%s]\n", section);
		}
		fprintf(out, "# %s\n%s = %s\n", o->help, o->name, o->def ? o->def : "");
	}
}

void cfg_fini(const struct cfg_opt *table, void *dest)
{
	for (const struct cfg_opt *o = table; o->name; o++) {
		char *field = (char *)dest + o->offset;
		if (o->type == CFG_STR)
			*(char **)field = xfree(*(char **)field);
		else if (o->type == CFG_LIST)
			list_free((struct cfg_list *)field);
	}
}
