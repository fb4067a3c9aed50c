/* config.h - table-driven INI configuration (parsed with libinih).
 *
 * Each program declares one table of struct cfg_opt: section, name, type, default, bounds,
 * the offset of the destination field in its config struct, and a short help. The same table
 * fills defaults, parses the file, applies command-line overrides, checks bounds, and prints
 * the documented sample config (cfg_write_sample), so docs and code cannot drift apart.
 * Strings and lists in the destination are heap copies owned by it; cfg_fini frees them.
 * The library does not decide which file to read: the program passes the path. */
#ifndef REPUTE_CONFIG_H
#define REPUTE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "repute/error.h"

enum cfg_type {
	CFG_STR,     /* char * */
	CFG_INT,     /* long, within [min, max] */
	CFG_BOOL,    /* bool: yes/no, true/false, on/off, 1/0 */
	CFG_SECONDS, /* long seconds; accepts suffixes s, m, h, d, w */
	CFG_SIZE,    /* long bytes; accepts suffixes k, M, G (powers of 1024) */
	CFG_LIST,    /* struct cfg_list: comma or space separated words */
};

struct cfg_list {
	char **items;
	size_t n;
};

struct cfg_opt {
	const char *section; /* "" for the top of the file */
	const char *name;
	enum cfg_type type;
	const char *def;     /* default, written as in the file; NULL for an empty string/list */
	long min, max;       /* bounds for INT/SECONDS/SIZE; ignored when min == max */
	size_t offset;       /* offsetof(struct your_config, field) */
	const char *help;
};

#define CFG_END { NULL, NULL, CFG_STR, NULL, 0, 0, 0, NULL }

/* cfg_defaults - set every option of table in dest to its default. */
int cfg_defaults(const struct cfg_opt *table, void *dest);
/* cfg_load_file - read an INI file over dest; unknown keys and bad values are errors with
 * file:line in diag. dest keeps its previous values for keys the file does not set. */
int cfg_load_file(const struct cfg_opt *table, void *dest, const char *path, struct rp_diag *diag);
/* cfg_set - set one option ("section.name" or "name") from text, as a command line override. */
int cfg_set(const struct cfg_opt *table, void *dest, const char *key, const char *value,
	    struct rp_diag *diag);
/* cfg_write_sample - print the documented sample config with every default. */
void cfg_write_sample(const struct cfg_opt *table, FILE *out);
/* cfg_fini - free strings and lists held in dest. */
void cfg_fini(const struct cfg_opt *table, void *dest);

#endif
