/* cli.h - the `repute` command line: one table of commands, one file per command family. */
#ifndef CLI_H
#define CLI_H

/* Exit codes shared by every command. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

struct cli_command {
	const char *name;     /* first word(s) on the command line, e.g. "analyze", "zone compile" */
	const char *synopsis; /* arguments, shown by `repute help` */
	const char *help;     /* one line */
	int (*run)(int argc, char **argv); /* argv[0] is the last word of the command name */
};

/* cli_usage_error - print "repute NAME: msg" and the synopsis to stderr; returns CLI_USAGE. */
int cli_usage_error(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int cli_analyze(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_classify(int argc, char **argv);

int cli_zone_compile(int argc, char **argv);
int cli_key_create(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_delist(int argc, char **argv);
int cli_whitelist(int argc, char **argv);
int cli_stats_listings(int argc, char **argv);
int cli_user_create(int argc, char **argv);
int cli_provider_member(int argc, char **argv);
int cli_scan_relay(int argc, char **argv);

#endif
