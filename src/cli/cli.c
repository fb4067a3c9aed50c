/* cli.c - `repute`: dispatch the command line through one table, print help from it. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "repute/log.h"

#include "cli.h"

static const struct cli_command commands[] = {
	{ "analyze", "[--explain] [--headers-only] [--trusted CIDR]... [--trusted-domain DOMAIN]... [--country CC] "
		     "[--config FILE] FILE|-...",
	  "analyse reported messages and print their evidence as JSON (one line per file when several)",
	  cli_analyze },
	{ "train", "--db PATH [--batch N] (--spam|--ham) FILE|DIR|mbox|-|--files-from LIST...",
	  "train the content classifier's token database on spam or ham", cli_train },
	{ "classify", "--db PATH [--tokens] [--spam-cutoff X] [--ham-cutoff X] FILE...|--files-from LIST",
	  "classify messages: print FILE spam|unsure|ham SCORE per message", cli_classify },
	{ "zone compile", "--zone NAME --out FILE [--serial N] [--ttl SECONDS] TYPE:FILE[,FILE...]...",
	  "compile rbldnsd dataset files into a repute-dns zone snapshot", cli_zone_compile },
	{ "key create", "--db PATH --name NAME [--role ROLE]", "create an API key (printed once) for a reporter", cli_key_create },
	{ "import", "--format mbox|maildir|arf (--db PATH [--reporter NAME] | --url URL --key KEY) [--no-progress] PATH",
	  "bulk import of reported messages with a summary (accepted, duplicates, rejected by reason)", cli_import },
	{ "list", "--db PATH --reason TEXT [--days N] [--actor NAME] VALUE",
	  "list an address, /64, CIDR, domain or +number by hand (return code 127.0.0.5)", cli_list },
	{ "delist", "--db PATH --reason TEXT [--actor NAME] VALUE", "end a listing by hand", cli_delist },
	{ "whitelist", "--db PATH --provider NAME [--contact ADDR] [--network CIDR] [--domain NAME] [--remove] "
		       "--reason TEXT", "maintain the certified provider registry (never listed automatically)", cli_whitelist },
	{ "provider member", "--db PATH --provider NAME --member USER [--remove] --reason TEXT [--actor NAME]",
	  "let a user (or a key's reporter) read its provider's complaint feed", cli_provider_member },
	{ "user create", "--db PATH --name NAME --role ROLE < PASSWORD", "add a web console user (password on stdin)", cli_user_create },
	{ "stats listings", "--db PATH [--days N]", "fairness figures of the listings as JSON", cli_stats_listings },
	{ "scan-relay", "[--helo NAME] [--outside DOMAIN] [--local-domain DOMAIN] [--starttls] [--submission[=PORT]] "
			"[--allow-private] [--rate N] [--timeout S] [--json] HOST[:PORT]",
	  "test an SMTP server for open relaying (never sends DATA)", cli_scan_relay },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* find_command - the longest table entry whose words match argv; sets *used to words consumed. */
static const struct cli_command *find_command(int argc, char **argv, int *used)
{
	const struct cli_command *best = NULL;
	int best_words = 0;

	for (size_t i = 0; i < N_COMMANDS; i++) {
		char name[64];
		int words = 0;
		snprintf(name, sizeof(name), "%s", commands[i].name);
		int ok = 1;
		for (char *save, *w = strtok_r(name, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			if (words >= argc || strcmp(argv[words], w) != 0) {
				ok = 0;
				break;
			}
			words++;
		}
		if (ok && words > best_words) {
			best = &commands[i];
			best_words = words;
		}
	}
	*used = best_words;
	return best;
}

/* print_help - every command with its synopsis and help line. */
static void print_help(FILE *out)
{
	fprintf(out, "usage: repute COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %s %s\n      %s\n", commands[i].name, commands[i].synopsis, commands[i].help);
}

int cli_usage_error(const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "repute %s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			fprintf(stderr, "usage: repute %s %s\n", name, commands[i].synopsis);
	return CLI_USAGE;
}

int main(int argc, char **argv)
{
	int used;

	log_init("repute", false, LOGL_WARN);
	if (argc < 2) {
		print_help(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_help(stdout);
		return CLI_OK;
	}
	const struct cli_command *cmd = find_command(argc - 1, argv + 1, &used);
	if (cmd == NULL) {
		fprintf(stderr, "repute: unknown command \"%s\" (try: repute help)\n", argv[1]);
		return CLI_USAGE;
	}
	return cmd->run(argc - used, argv + used);
}
