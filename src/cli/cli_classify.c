/* cli_classify.c - `repute train` and `repute classify`: the content classifier from the command line.
 *
 * train:    repute train --db PATH [--batch N] (--spam|--ham) INPUT... [(--spam|--ham) INPUT...]
 *           INPUT is a message file, a directory of message files, an mbox ("From " lines) or "-"
 *           (standard input); --files-from FILE|- reads one input path per line. Counts are committed
 *           every N messages (default 10000) in one LMDB transaction each. Unparsable messages are skipped
 *           with a warning. Exit 0, or 1 when an input could not be read or nothing could be trained.
 * classify: repute classify --db PATH [--tokens] [--spam-cutoff X] [--ham-cutoff X] [--param NAME=X]...
 *           [--files-from F] FILE...
 *           prints "FILE VERDICT SCORE" per message (VERDICT spam|unsure|ham, SCORE 0..1 with 4 decimals).
 *           A file that is not a mail message gives an error line on stderr and exit status 1 at the end.
 * Arguments are read in order (no permutation): --spam and --ham switch the class of the inputs after them. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/classify.h"
#include "repute/message.h"
#include "repute/strutil.h"

#include "cli.h"

#define CLASSIFY_MAX_INPUT (256L * 1024 * 1024)
#define MAX_PENDING_TOKENS ((size_t)4 << 20) /* commit early past this (128 MiB of pending counts) */
#define PRELOAD_AFTER 16 /* messages scored before the token table is loaded into memory */

struct cls_run {
	const char *cmd;          /* "train" or "classify" */
	struct rp_classifier *db;
	struct rp_tokens toks;
	struct rp_classify_params params;
	int spam;                 /* train: -1 unset, 0 ham, 1 spam */
	long batch;
	bool dump;
	unsigned long trained, skipped, scored;
	int status;
};

/* dump_cb - print one token with its spam and ham counts (--tokens). */
static void dump_cb(void *arg, const char *tok, size_t len)
{
	struct rp_classifier *db = arg;
	uint32_t spam = 0, ham = 0;

	rp_classifier_lookup(db, rp_token_hash(tok, len), &spam, &ham, NULL);
	fprintf(stdout, "  %6u %6u  %.*s\n", spam, ham, (int)len, tok);
}

/* tokenize - parse one message and fill r->toks; returns 0 or an error already reported. */
static int tokenize(struct cls_run *r, const char *name, const char *data, size_t len)
{
	struct rp_diag diag = { 0 };
	int rc;

	if (len == 0) {
		fprintf(stderr, "repute %s: %s: empty message\n", r->cmd, name);
		return RP_ENOTMAIL;
	}
	rp_tokens_reset(&r->toks);
	rc = rp_classify_tokenize(&r->toks, data, len, &diag);
	if (rc != 0) {
		if (strstr(diag.reason, rp_strerror(rc)) != NULL) /* the reason already says what the error is */
			fprintf(stderr, "repute %s: %s: %s\n", r->cmd, name, diag.reason);
		else
			fprintf(stderr, "repute %s: %s: %s%s%s\n", r->cmd, name, rp_strerror(rc),
				diag.reason[0] ? ": " : "", diag.reason);
		return rc;
	}
	return 0;
}

/* train_one - learn one message. */
static void train_one(struct cls_run *r, const char *name, const char *data, size_t len)
{
	struct rp_diag diag = { 0 };

	if (tokenize(r, name, data, len) != 0) {
		r->skipped++;
		return;
	}
	rp_classifier_learn(r->db, &r->toks, r->spam == 1);
	r->trained++;
	bool full = (long)rp_classifier_pending(r->db) >= r->batch || rp_classifier_pending_tokens(r->db) >= MAX_PENDING_TOKENS;
	if (full && rp_classifier_commit(r->db, &diag) != 0) {
		fprintf(stderr, "repute train: %s\n", diag.reason);
		r->status = CLI_FAIL;
	}
}

/* classify_one - score one message and print its line. */
static void classify_one(struct cls_run *r, const char *name, const char *data, size_t len)
{
	struct rp_classify_result res;
	struct rp_diag diag = { 0 };

	if (tokenize(r, name, data, len) != 0) {
		r->status = CLI_FAIL;
		return;
	}
	/* many messages: score from an in-memory copy of the tokens rather than B-tree lookups */
	if (++r->scored == PRELOAD_AFTER && rp_classifier_preload(r->db, &r->params, &diag) != 0)
		fprintf(stderr, "repute classify: preload: %s\n", diag.reason);
	if (rp_classifier_score(r->db, &r->toks, &r->params, &res, &diag) != 0) {
		fprintf(stderr, "repute classify: %s: %s\n", name, diag.reason);
		r->status = CLI_FAIL;
		return;
	}
	printf("%s %s %.4f\n", name, rp_verdict_name(res.verdict), res.score);
}

/* one_message - dispatch a message to training or classification. */
static void one_message(struct cls_run *r, const char *name, const char *data, size_t len)
{
	if (r->dump) {
		printf("%s tokens:\n", name);
		r->toks.dump = dump_cb;
		r->toks.dump_arg = r->db;
	}
	if (r->spam >= 0)
		train_one(r, name, data, len);
	else
		classify_one(r, name, data, len);
}

/* split_mbox - each message of an mbox (messages start at "From " lines; the From_ line is dropped). */
static void split_mbox(struct cls_run *r, const char *name, const char *data, size_t len)
{
	size_t pos = 0, idx = 0;

	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t start = nl ? (size_t)(nl - data) + 1 : len;          /* after the From_ line */
		const char *next = memmem(data + start, len - start, "\nFrom ", 6);
		size_t end = next ? (size_t)(next - data) + 1 : len;        /* up to the next From_ line */
		char label[4096];

		snprintf(label, sizeof(label), "%s:%zu", name, ++idx);
		one_message(r, label, data + start, end - start);
		pos = end;
	}
}

/* one_file - read a file (or "-") and process it as one message or an mbox. */
static void one_file(struct cls_run *r, const char *path)
{
	char *data;
	size_t len;
	int rc = file_read_all(path, CLASSIFY_MAX_INPUT, &data, &len);

	if (rc != 0) {
		fprintf(stderr, "repute %s: %s: %s%s%s\n", r->cmd, path, rp_strerror(rc), rc == RP_EIO ? ": " : "",
			rc == RP_EIO ? strerror(errno) : "");
		r->status = CLI_FAIL;
		return;
	}
	if (r->spam >= 0 && len > 5 && memcmp(data, "From ", 5) == 0)
		split_mbox(r, path, data, len);
	else
		one_message(r, path, data, len);
	xfree(data);
}

/* cmp_str - qsort strings. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* one_dir - every regular, non-hidden file of a directory, in name order. */
static void one_dir(struct cls_run *r, const char *path)
{
	DIR *d = opendir(path);
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (d == NULL) {
		fprintf(stderr, "repute %s: %s: %s\n", r->cmd, path, strerror(errno));
		r->status = CLI_FAIL;
		return;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = xasprintf("%s/%s", path, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			one_file(r, names[i]);
		xfree(names[i]);
	}
	xfree(names);
}

/* one_input - a path that is a file, a directory or "-". */
static void one_input(struct cls_run *r, const char *path)
{
	struct stat st;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		one_dir(r, path);
	else
		one_file(r, path);
}

/* files_from - inputs listed one per line in a file or "-". */
static void files_from(struct cls_run *r, const char *list)
{
	FILE *f = strcmp(list, "-") == 0 ? stdin : fopen(list, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL) {
		fprintf(stderr, "repute %s: %s: %s\n", r->cmd, list, strerror(errno));
		r->status = CLI_FAIL;
		return;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n > 0)
			one_input(r, line);
	}
	free(line);
	if (f != stdin)
		fclose(f);
}

/* find_db - the value of --db, or NULL. */
static const char *find_db(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--db") == 0)
			return argv[i + 1];
	return NULL;
}

/* parse_cutoff - a number in [0, 1]. */
static bool parse_cutoff(const char *s, double *out)
{
	char *end;
	double x = strtod(s, &end);

	if (end == s || *end != '\0' || !(x >= 0.0 && x <= 1.0))
		return false;
	*out = x;
	return true;
}

/* parse_param - "NAME=VALUE" for --param: robs, robx, min-dev, max-sig, min-count, max-per-class,
 * large-n, large-min-dev, large-max-sig (struct rp_classify_params; bench/classify/cv.sh uses it to choose
 * parameters by cross-validation). */
static bool parse_param(const char *s, struct rp_classify_params *p)
{
	const char *eq = strchr(s, '=');
	char *end;
	double x;

	if (eq == NULL)
		return false;
	x = strtod(eq + 1, &end);
	if (end == eq + 1 || *end != '\0' || !(x >= 0.0 && x <= 1e6))
		return false;
	size_t n = (size_t)(eq - s);
	if (n == 4 && strncmp(s, "robs", n) == 0)
		p->robs = x;
	else if (n == 4 && strncmp(s, "robx", n) == 0 && x <= 1.0)
		p->robx = x;
	else if (n == 7 && strncmp(s, "min-dev", n) == 0 && x < 0.5)
		p->min_dev = x;
	else if (n == 7 && strncmp(s, "max-sig", n) == 0 && x >= 1 && x <= 256)
		p->max_sig = (size_t)x;
	else if (n == 9 && strncmp(s, "min-count", n) == 0 && x >= 1)
		p->min_count = (unsigned)x;
	else if (n == 13 && strncmp(s, "max-per-class", n) == 0 && x <= 256)
		p->max_per_class = (size_t)x;
	else if (n == 7 && strncmp(s, "large-n", n) == 0)
		p->large_n = (uint64_t)x;
	else if (n == 13 && strncmp(s, "large-min-dev", n) == 0 && x < 0.5)
		p->large_min_dev = x;
	else if (n == 13 && strncmp(s, "large-max-sig", n) == 0 && x >= 1 && x <= 256)
		p->large_max_sig = (size_t)x;
	else
		return false;
	return true;
}

/* run_args - walk the arguments in order; inputs are processed as they come. */
static int run_args(struct cls_run *r, int argc, char **argv)
{
	bool train = strcmp(r->cmd, "train") == 0;
	int inputs = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
		bool has_arg = strcmp(a, "--db") == 0 || strcmp(a, "--files-from") == 0 || strcmp(a, "--batch") == 0 ||
			       strcmp(a, "--spam-cutoff") == 0 || strcmp(a, "--ham-cutoff") == 0 ||
			       strcmp(a, "--param") == 0;
		if (has_arg && next == NULL)
			return cli_usage_error(r->cmd, "%s needs a value", a);
		if (strcmp(a, "--db") == 0 || (train && strcmp(a, "--batch") == 0)) {
			i++;
		} else if (train && (strcmp(a, "--spam") == 0 || strcmp(a, "--ham") == 0)) {
			r->spam = strcmp(a, "--spam") == 0;
		} else if (!train && strcmp(a, "--tokens") == 0) {
			r->dump = true;
		} else if (!train && strcmp(a, "--spam-cutoff") == 0) {
			if (!parse_cutoff(argv[++i], &r->params.spam_cutoff))
				return cli_usage_error(r->cmd, "bad --spam-cutoff %s", argv[i]);
		} else if (!train && strcmp(a, "--ham-cutoff") == 0) {
			if (!parse_cutoff(argv[++i], &r->params.ham_cutoff))
				return cli_usage_error(r->cmd, "bad --ham-cutoff %s", argv[i]);
		} else if (!train && strcmp(a, "--param") == 0) {
			if (!parse_param(argv[++i], &r->params))
				return cli_usage_error(r->cmd, "bad --param %s", argv[i]);
		} else if (a[0] == '-' && a[1] == '-' && strcmp(a, "--files-from") != 0) {
			return cli_usage_error(r->cmd, "unknown option %s", a);
		} else {
			if (train && r->spam < 0)
				return cli_usage_error(r->cmd, "--spam or --ham must come before %s", a);
			if (strcmp(a, "--files-from") == 0)
				files_from(r, argv[++i]);
			else
				one_input(r, a);
			inputs++;
		}
	}
	if (inputs == 0)
		return cli_usage_error(r->cmd, "no input");
	return r->status;
}

/* parse_batch - the value of --batch (default 10000). */
static long parse_batch(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--batch") == 0) {
			long b = strtol(argv[i + 1], NULL, 10);
			return b > 0 ? b : -1;
		}
	return 10000;
}

/* cls_start - common set-up; returns CLI_OK or an exit status. */
static int cls_start(struct cls_run *r, const char *cmd, int argc, char **argv, bool readonly)
{
	struct rp_diag diag = { 0 };
	const char *db = find_db(argc, argv);

	memset(r, 0, sizeof(*r));
	r->cmd = cmd;
	r->spam = -1;
	r->batch = parse_batch(argc, argv);
	rp_classify_params_default(&r->params);
	if (db == NULL)
		return cli_usage_error(cmd, "--db PATH is required");
	if (r->batch <= 0)
		return cli_usage_error(cmd, "bad --batch");
	int rc = rp_classifier_open(db, readonly, 0, &r->db, &diag);
	if (rc != 0) {
		fprintf(stderr, "repute %s: %s\n", cmd, diag.reason);
		return CLI_FAIL;
	}
	rp_tokens_init(&r->toks, 0, 0);
	return CLI_OK;
}

/* cli_train - `repute train`: learn the inputs as spam or ham, commit, report the totals. */
int cli_train(int argc, char **argv)
{
	struct cls_run r;
	struct rp_diag diag = { 0 };
	struct timespec t0, t1;
	int rc = cls_start(&r, "train", argc, argv, false);

	if (rc != CLI_OK)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = run_args(&r, argc, argv);
	if (rc != CLI_USAGE && rp_classifier_commit(r.db, &diag) != 0) {
		fprintf(stderr, "repute train: %s\n", diag.reason);
		rc = CLI_FAIL;
	}
	if (rc == CLI_USAGE)
		rp_classifier_discard(r.db);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc != CLI_USAGE) {
		fprintf(stderr, "repute train: %lu messages trained, %lu skipped, %.3f s\n", r.trained, r.skipped,
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		if (r.trained == 0)
			rc = CLI_FAIL;
	}
	rp_tokens_fini(&r.toks);
	rp_classifier_close(r.db);
	return rc;
}

/* cli_classify - `repute classify`: one "FILE VERDICT SCORE" line per message. */
int cli_classify(int argc, char **argv)
{
	struct cls_run r;
	int rc = cls_start(&r, "classify", argc, argv, true);

	if (rc != CLI_OK)
		return rc;
	rc = run_args(&r, argc, argv);
	rp_classifier_read_end(r.db);
	rp_tokens_fini(&r.toks);
	rp_classifier_close(r.db);
	return rc;
}
