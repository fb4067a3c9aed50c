/* cli_import.c - `repute import`: bulk import of reported messages from an mbox, a Maildir or
 * ARF report files, into a database directly (--db, each message analysed here as reputed
 * would, committed in groups, channel "import") or through a running reputed (--url with an
 * API key, POST /v1/reports on one keep-alive connection, retrying 429/503 as told).
 *
 * mbox: messages begin at "From " lines (the line itself dropped, ">From " unescaped as in
 * mboxrd); Maildir: the files of cur/ and new/ (or of PATH itself), sorted by name; arf: one
 * report per file, PATH a file or a directory of files. A progress bar goes to a terminal on
 * standard error; the summary (accepted, duplicates, rejected with each reason and its count)
 * to standard output. Exit 0 when every message was handled (rejections are not errors), 1
 * when the import stopped on a database, file or connection error, 2 for usage. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/evidence.h"
#include "repute/message.h"
#include "repute/store.h"
#include "repute/strutil.h"

#include "cli.h"

#define IMPORT_GROUP 200     /* reports per transaction with --db */
#define IMPORT_MAX_FILE (1UL << 32)
#define MAX_REASONS 64
#define MAX_SOURCES 100

/* One message to import: bytes in the mbox, or a file read when its turn comes. */
struct item {
	char *path;          /* file (Maildir, ARF) or NULL (mbox) */
	size_t off, len;     /* in the mbox */
};

struct reason {
	char text[160];
	long n;
};

struct import {
	struct item *items;
	size_t n, cap;
	char *mbox;          /* the whole mbox file */
	long accepted, duplicates, rejected;
	struct reason reasons[MAX_REASONS];
	size_t n_reasons;
	bool progress;
	double last_draw;
	/* --db */
	struct rp_store *st;
	struct rp_analyzer *an;
	struct rp_analyze_config acfg;
	bool acfg_init;
	char reporter_id[32];
	long in_group;
	/* --url */
	char host[256], port[16], prefix[256];
	const char *key;
	int fd;
};

/* now_s - monotonic seconds. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* add_item - append one message to the list. */
static void add_item(struct import *im, char *path, size_t off, size_t len)
{
	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 256;
		im->items = xreallocarray(im->items, im->cap, sizeof(*im->items));
	}
	im->items[im->n++] = (struct item){ .path = path, .off = off, .len = len };
}

/* is_from_line - an mbox separator begins at data[i] (start of file or of a line). */
static bool is_from_line(const char *data, size_t len, size_t i)
{
	return (i == 0 || data[i - 1] == '\n') && len - i >= 5 && memcmp(data + i, "From ", 5) == 0;
}

/* scan_mbox - the messages of an mbox file (read whole). */
static int scan_mbox(struct import *im, const char *path)
{
	size_t len, start = 0;
	bool in_msg = false;

	if (file_read_all(path, IMPORT_MAX_FILE, &im->mbox, &len) != RP_OK) {
		fprintf(stderr, "repute import: %s: %s\n", path, strerror(errno));
		return CLI_FAIL;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i < len && !is_from_line(im->mbox, len, i))
			continue;
		if (in_msg && i > start)
			add_item(im, NULL, start, i - start);
		if (i == len)
			break;
		const char *nl = memchr(im->mbox + i, '\n', len - i);
		start = nl ? (size_t)(nl - im->mbox) + 1 : len;
		in_msg = true;
		i = start - 1;
	}
	if (!in_msg && len > 0) {
		fprintf(stderr, "repute import: %s: not an mbox (no \"From \" line at the start)\n", path);
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* cmp_str - qsort order of strings. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* scan_dir - the regular files of dir (not dot files), sorted, as items. */
static int scan_dir(struct import *im, const char *dir, bool quiet_missing)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0;

	if (d == NULL) {
		if (quiet_missing && errno == ENOENT)
			return CLI_OK;
		fprintf(stderr, "repute import: %s: %s\n", dir, strerror(errno));
		return CLI_FAIL;
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		struct stat sb;
		if (e->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", dir, e->d_name);
		if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			xfree(p);
			continue;
		}
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = p;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++)
		add_item(im, names[i], 0, 0);
	xfree(names);
	return CLI_OK;
}

/* scan - the list of messages for a format and path. */
static int scan(struct import *im, const char *format, const char *path)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, "repute import: %s: %s\n", path, strerror(errno));
		return CLI_FAIL;
	}
	if (strcmp(format, "mbox") == 0)
		return scan_mbox(im, path);
	if (!S_ISDIR(sb.st_mode)) {
		add_item(im, xstrdup(path), 0, 0);
		return CLI_OK;
	}
	if (strcmp(format, "maildir") == 0) {
		char *cur = xasprintf("%s/cur", path), *new = xasprintf("%s/new", path);
		struct stat cs, ns;
		bool is_maildir = stat(cur, &cs) == 0 || stat(new, &ns) == 0;
		int rc = is_maildir ? scan_dir(im, cur, true) : scan_dir(im, path, false);
		if (rc == CLI_OK && is_maildir)
			rc = scan_dir(im, new, true);
		xfree(cur);
		xfree(new);
		return rc;
	}
	return scan_dir(im, path, false);
}

/* mbox_message - the message bytes of an mbox item: ">From " unescaped, the blank line that
 * separates it from the next "From " dropped. */
static void mbox_message(const char *data, size_t len, struct buf *out)
{
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len > 0 && data[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - data) + 1 : len, q = i;
		while (q < end && data[q] == '>')
			q++;
		if (q > i && end - q >= 5 && memcmp(data + q, "From ", 5) == 0)
			i++;
		buf_append(out, data + i, end - i);
		i = end;
	}
}

/* reject - count a rejection under its reason. */
static void reject(struct import *im, const char *reason)
{
	im->rejected++;
	for (size_t i = 0; i < im->n_reasons; i++)
		if (strcmp(im->reasons[i].text, reason) == 0) {
			im->reasons[i].n++;
			return;
		}
	if (im->n_reasons == MAX_REASONS)
		reason = "(other reasons)";
	size_t i = im->n_reasons < MAX_REASONS ? im->n_reasons++ : MAX_REASONS - 1;
	snprintf(im->reasons[i].text, sizeof(im->reasons[i].text), "%s", reason);
	im->reasons[i].n++;
}

/* draw_progress - the bar on standard error (a terminal), at most ten times a second. */
static void draw_progress(struct import *im, size_t done, bool last)
{
	char bar[41];
	double t = now_s();

	if (!im->progress || (!last && t - im->last_draw < 0.1))
		return;
	im->last_draw = t;
	size_t fill = im->n ? done * 40 / im->n : 40;
	for (size_t i = 0; i < 40; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[40] = '\0';
	fprintf(stderr, "\rimporting [%s] %zu/%zu  accepted %ld  duplicates %ld  rejected %ld", bar, done, im->n,
		im->accepted, im->duplicates, im->rejected);
	if (last)
		fputc('\n', stderr);
	fflush(stderr);
}

/* sources - the report's sources: the public origin, domains and phone numbers found. */
static size_t sources(const struct rp_evidence *ev, struct rp_source_ref *v, char val[96])
{
	size_t n = 0;

	if (ev->origin.found && rp_addr_is_public(&ev->origin.ip)) {
		char text[RP_ADDR_STRLEN];
		enum rp_source_kind kind;
		rp_addr_format(&ev->origin.ip, text);
		if (rp_source_classify(text, &kind, val, 96) == RP_OK)
			v[n++] = (struct rp_source_ref){ .kind = kind, .value = val };
	}
	for (size_t i = 0; i < ev->found.domains.n && n < MAX_SOURCES; i++)
		v[n++] = (struct rp_source_ref){ .kind = RP_SRC_DOMAIN, .value = ev->found.domains.items[i] };
	for (size_t i = 0; i < ev->found.phones.n && n < MAX_SOURCES; i++)
		v[n++] = (struct rp_source_ref){ .kind = RP_SRC_PHONE, .value = ev->found.phones.items[i] };
	return n;
}

/* group_commit - commit the open group (and open the next when more follow). */
static int group_commit(struct import *im, bool reopen)
{
	struct rp_diag diag = { 0 };

	if (im->in_group > 0 || !reopen) {
		if (rp_store_commit(im->st, &diag) != RP_OK) {
			fprintf(stderr, "repute import: commit: %s\n", diag.reason);
			return CLI_FAIL;
		}
		im->in_group = 0;
		if (reopen && rp_store_begin(im->st, &diag) != RP_OK) {
			fprintf(stderr, "repute import: %s\n", diag.reason);
			return CLI_FAIL;
		}
	}
	return CLI_OK;
}

/* store_one - analyse one message and add it to the open group. */
static int store_one(struct import *im, const char *data, size_t len)
{
	struct rp_evidence *ev = NULL;
	struct rp_diag diag = { 0 };
	struct rp_report_result res = { 0 };
	struct rp_source_ref *src = xcalloc(MAX_SOURCES, sizeof(*src));
	char val[96], origin[RP_ADDR_STRLEN], fptext[RP_FP_TEXTLEN];

	if (len == 0 || rp_analyze(im->an, data, len, RP_ANALYZE_FULL, &ev, &diag) != RP_OK) {
		reject(im, len == 0 ? "the message is empty" : diag.reason[0] ? diag.reason : "not a mail message");
		xfree(src);
		return CLI_OK;
	}
	json_t *j = rp_evidence_to_json(ev);
	char *evidence = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (ev->origin.found)
		rp_addr_format(&ev->origin.ip, origin);
	struct rp_report_in in = {
		.channel = "import", .reporter_id = im->reporter_id, .received_at = (int64_t)time(NULL),
		.raw = data, .raw_len = len, .evidence_json = evidence,
		.message_id = ev->subject ? rp_message_header(ev->subject, "Message-ID") : NULL,
		.fingerprint = ev->fingerprint.n_features ? rp_fingerprint_format(&ev->fingerprint, fptext) : NULL,
		.fp = &ev->fingerprint, .origin = ev->origin.found ? origin : NULL,
		.sources = src, .n_sources = sources(ev, src, val),
	};
	int rc = rp_store_report_add(im->st, &in, &res, &diag);
	if (rc == RP_OK) {
		if (res.duplicate)
			im->duplicates++;
		else
			im->accepted++;
		im->in_group++;
	} else {
		reject(im, diag.reason[0] ? diag.reason : rp_strerror(rc));
	}
	free(evidence);
	rp_evidence_free(ev);
	xfree(src);
	return im->in_group >= IMPORT_GROUP ? group_commit(im, true) : CLI_OK;
}

/* open_db - the database, the reporter and an analyzer, with the first group open. */
static int open_db(struct import *im, const char *path, const char *reporter)
{
	struct rp_store_config cfg = { .path = path, .fp_match = rp_fingerprint_match };
	struct rp_diag diag = { 0 };

	if (rp_store_open(&cfg, &im->st, &diag) != RP_OK) {
		fprintf(stderr, "repute import: %s\n", diag.reason);
		return CLI_FAIL;
	}
	if (rp_store_reporter_find(im->st, reporter, im->reporter_id) != RP_OK &&
	    rp_store_reporter_add(im->st, reporter, "reporter", im->reporter_id, &diag) != RP_OK) {
		fprintf(stderr, "repute import: reporter %s: %s\n", reporter, diag.reason);
		return CLI_FAIL;
	}
	rp_analyze_config_default(&im->acfg);
	im->acfg_init = true;
	im->an = rp_analyzer_new(&im->acfg);
	if (im->an == NULL) {
		fprintf(stderr, "repute import: cannot load the public suffix list\n");
		return CLI_FAIL;
	}
	if (rp_store_begin(im->st, &diag) != RP_OK) {
		fprintf(stderr, "repute import: %s\n", diag.reason);
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* parse_url - "http://host[:port][/prefix]" into im; false when not such a URL. */
static bool parse_url(struct import *im, const char *url)
{
	if (strncasecmp(url, "http://", 7) != 0)
		return false;
	const char *h = url + 7, *slash = strchr(h, '/');
	size_t hl = slash ? (size_t)(slash - h) : strlen(h);
	char hostport[300];
	if (hl == 0 || hl >= sizeof(hostport))
		return false;
	memcpy(hostport, h, hl);
	hostport[hl] = '\0';
	snprintf(im->prefix, sizeof(im->prefix), "%s", slash ? slash : "");
	size_t pl = strlen(im->prefix);
	if (pl > 0 && im->prefix[pl - 1] == '/')
		im->prefix[pl - 1] = '\0';
	char *colon = hostport[0] == '[' ? strstr(hostport, "]:") : strrchr(hostport, ':');
	snprintf(im->port, sizeof(im->port), "%s", colon ? colon + (hostport[0] == '[' ? 2 : 1) : "80");
	if (colon)
		*colon = '\0';
	const char *host = hostport[0] == '[' ? hostport + 1 : hostport;
	snprintf(im->host, sizeof(im->host), "%.*s", (int)strcspn(host, "]"), host);
	return im->host[0] != '\0';
}

/* connect_url - a connection to the centre; -1 with a message on failure. */
static int connect_url(struct import *im)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	int fd = -1;

	if (getaddrinfo(im->host, im->port, &hints, &res) != 0) {
		fprintf(stderr, "repute import: cannot resolve %s\n", im->host);
		return -1;
	}
	for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "repute import: cannot connect to %s port %s: %s\n", im->host, im->port, strerror(errno));
	return fd;
}

/* write_all - every byte; false on error. */
static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* read_response - status, Retry-After and body of one HTTP response; status 0 on error. */
static int read_response(int fd, struct buf *body, long *retry_after)
{
	struct buf in;
	char chunk[8192];
	char *end = NULL;
	size_t clen = 0;
	int status = 0;

	buf_init(&in);
	*retry_after = 0;
	for (;;) {
		if (in.len > 0 && (end = strstr(in.data, "\r\n\r\n")) != NULL)
			break;
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r <= 0)
			goto out;
		buf_append(&in, chunk, (size_t)r);
	}
	size_t hlen = (size_t)(end - in.data) + 4;
	status = in.len > 12 ? atoi(in.data + 9) : 0;
	for (char *p = in.data; p < end; p++) {
		if (*p != '\n')
			continue;
		if (strncasecmp(p + 1, "Content-Length:", 15) == 0)
			clen = strtoul(p + 16, NULL, 10);
		else if (strncasecmp(p + 1, "Retry-After:", 12) == 0)
			*retry_after = strtol(p + 13, NULL, 10);
	}
	while (in.len < hlen + clen) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r <= 0) {
			status = 0;
			goto out;
		}
		buf_append(&in, chunk, (size_t)r);
	}
	buf_append(body, in.data + hlen, clen);
out:
	buf_fini(&in);
	return status;
}

/* error_message - the "message" of the documented error shape, or the body. */
static void error_message(const struct buf *body, char *out, size_t len)
{
	json_error_t err;
	json_t *j = json_loadb(body->data ? body->data : "", body->len, 0, &err);
	const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));

	snprintf(out, len, "%s", m ? m : body->data ? body->data : "no answer");
	out[strcspn(out, "\r\n")] = '\0';
	json_decref(j);
}

/* post_one - POST one message; retried on 429/503 and once after a dropped connection. */
static int post_one(struct import *im, const char *data, size_t len)
{
	char head[1024], msg[160];

	for (int attempt = 0; attempt < 20; attempt++) {
		struct buf body;
		long retry = 0;
		if (im->fd < 0 && (im->fd = connect_url(im)) < 0)
			return CLI_FAIL;
		int hl = snprintf(head, sizeof(head),
				  "POST %s/v1/reports HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
				  "Content-Type: message/rfc822\r\nContent-Length: %zu\r\n\r\n",
				  im->prefix, im->host, im->key, len);
		buf_init(&body);
		int status = write_all(im->fd, head, (size_t)hl) && write_all(im->fd, data, len)
				     ? read_response(im->fd, &body, &retry)
				     : 0;
		if (status == 0 || status == 429 || status == 503) {
			close(im->fd);
			im->fd = -1;
			buf_fini(&body);
			if (status == 0 && attempt > 0) {
				fprintf(stderr, "repute import: the connection to %s was lost\n", im->host);
				return CLI_FAIL;
			}
			if (status != 0)
				sleep((unsigned)(retry > 0 && retry < 60 ? retry : 1));
			continue;
		}
		if (status == 201 || status == 200) {
			if (status == 200)
				im->duplicates++;
			else
				im->accepted++;
		} else if (status == 401 || status == 403 || status >= 500) {
			error_message(&body, msg, sizeof(msg));
			fprintf(stderr, "repute import: HTTP %d: %s\n", status, msg);
			buf_fini(&body);
			return CLI_FAIL;
		} else {
			error_message(&body, msg, sizeof(msg));
			reject(im, msg);
		}
		buf_fini(&body);
		return CLI_OK;
	}
	fprintf(stderr, "repute import: %s keeps answering 429/503, giving up\n", im->host);
	return CLI_FAIL;
}

/* import_all - every item through the chosen sink, with the progress bar. */
static int import_all(struct import *im)
{
	struct buf msg;
	int rc = CLI_OK;

	buf_init(&msg);
	for (size_t i = 0; i < im->n && rc == CLI_OK; i++) {
		const struct item *it = &im->items[i];
		char *data = NULL;
		size_t len = 0;
		buf_reset(&msg);
		if (it->path == NULL) {
			mbox_message(im->mbox + it->off, it->len, &msg);
			data = msg.data ? msg.data : "";
			len = msg.len;
		} else if (file_read_all(it->path, IMPORT_MAX_FILE, &data, &len) != RP_OK) {
			reject(im, "the file cannot be read");
			continue;
		}
		rc = im->st != NULL ? store_one(im, data, len) : post_one(im, data, len);
		if (it->path != NULL)
			xfree(data);
		draw_progress(im, i + 1, false);
	}
	if (rc == CLI_OK && im->st != NULL)
		rc = group_commit(im, false);
	draw_progress(im, im->n, true);
	buf_fini(&msg);
	return rc;
}

/* cmp_reason - most frequent first. */
static int cmp_reason(const void *a, const void *b)
{
	const struct reason *x = a, *y = b;

	return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->text, y->text);
}

/* summary - the totals and the rejections by reason, on standard output. */
static void summary(struct import *im)
{
	printf("%zu messages: %ld accepted, %ld duplicates, %ld rejected\n", im->n, im->accepted, im->duplicates,
	       im->rejected);
	qsort(im->reasons, im->n_reasons, sizeof(im->reasons[0]), cmp_reason);
	for (size_t i = 0; i < im->n_reasons; i++)
		printf("  rejected %ld: %s\n", im->reasons[i].n, im->reasons[i].text);
}

/* import_fini - free everything. */
static void import_fini(struct import *im)
{
	for (size_t i = 0; i < im->n; i++)
		xfree(im->items[i].path);
	xfree(im->items);
	xfree(im->mbox);
	if (im->st != NULL)
		rp_store_close(im->st);
	rp_analyzer_free(im->an);
	if (im->acfg_init)
		rp_trust_config_fini(&im->acfg.trust);
	if (im->fd >= 0)
		close(im->fd);
}

/* cli_import - `repute import --format mbox|maildir|arf PATH (--db PATH | --url URL --key KEY)`. */
int cli_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' }, { "db", required_argument, NULL, 'd' },
		{ "url", required_argument, NULL, 'u' },    { "key", required_argument, NULL, 'k' },
		{ "reporter", required_argument, NULL, 'r' }, { "no-progress", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL, *db = NULL, *url = NULL, *reporter = "import";
	struct import im = { .fd = -1, .progress = isatty(STDERR_FILENO) };
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:d:u:k:r:q", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': format = optarg; break;
		case 'd': db = optarg; break;
		case 'u': url = optarg; break;
		case 'k': im.key = optarg; break;
		case 'r': reporter = optarg; break;
		case 'q': im.progress = false; break;
		default: return cli_usage_error("import", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("import", "one PATH is required");
	if (format == NULL || (strcmp(format, "mbox") != 0 && strcmp(format, "maildir") != 0 && strcmp(format, "arf") != 0))
		return cli_usage_error("import", "--format must be mbox, maildir or arf");
	if ((db == NULL) == (url == NULL) || (url != NULL && im.key == NULL))
		return cli_usage_error("import", "give either --db PATH or --url URL with --key KEY");
	if (url != NULL && !parse_url(&im, url))
		return cli_usage_error("import", "--url must be http://HOST[:PORT][/PREFIX]");
	int rc = scan(&im, format, argv[optind]);
	if (rc == CLI_OK && db != NULL)
		rc = open_db(&im, db, reporter);
	if (rc == CLI_OK)
		rc = import_all(&im);
	summary(&im);
	import_fini(&im);
	return rc;
}
