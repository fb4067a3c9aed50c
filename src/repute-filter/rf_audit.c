/* rf_audit.c - `repute-filter --audit-postfix [FILE|DIR]`: reads Postfix parameters as `postconf`
 * prints them ("name = value", continuation lines indented; full or -n output) from FILE ("-" is
 * stdin), or runs `postconf` (`postconf -c DIR` for a directory), and warns about:
 *   - an open relay: neither smtpd_relay_restrictions nor smtpd_recipient_restrictions has
 *     reject_unauth_destination / defer_unauth_destination before an unconditional permit, or
 *     permit_mynetworks is used while mynetworks holds a network wider than /8 (IPv6: /16);
 *   - a wide mynetworks (wider than /16, IPv6 /48) used by permit_mynetworks;
 *   - missing checks: no check_policy_service, no smtpd_milters, no reject_rbl_client (nor
 *     postscreen_dnsbl_sites).
 * A parameter absent from -n output takes Postfix's default where it matters
 * (smtpd_relay_restrictions: permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination).
 * rf_audit_text() does the work on a text and is what the unit test calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "repute/alloc.h"
#include "repute/buf.h"

#include "rf.h"

#define AUDIT_MAX_PARAMS 2000

struct audit_param {
	char *name;
	char *value;
};

struct audit {
	struct audit_param p[AUDIT_MAX_PARAMS];
	size_t n;
	FILE *out;
	int warnings;
};

int rf_audit_text(const char *text, FILE *out);

/* audit_get - value of a parameter, or NULL when absent. */
static const char *audit_get(const struct audit *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->p[i].name, name) == 0)
			return a->p[i].value;
	return NULL;
}

/* audit_warn - one warning line. */
static void audit_warn(struct audit *a, const char *fmt, const char *arg)
{
	fputs("warning: ", a->out);
	fprintf(a->out, fmt, arg);
	fputc('\n', a->out);
	a->warnings++;
}

/* trim - strip surrounding white space in place. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* audit_parse - "name = value" lines (continuations start with white space) into a. */
static void audit_parse(struct audit *a, const char *text)
{
	char *copy = xstrdup(text), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if ((line[0] == ' ' || line[0] == '\t') && a->n > 0) {
			char *v = a->p[a->n - 1].value;
			a->p[a->n - 1].value = xasprintf("%s %s", v, trim(line));
			xfree(v);
			continue;
		}
		char *eq = strchr(line, '=');
		if (line[0] == '#' || eq == NULL || a->n == AUDIT_MAX_PARAMS)
			continue;
		*eq = '\0';
		a->p[a->n].name = xstrdup(trim(line));
		a->p[a->n].value = xstrdup(trim(eq + 1));
		a->n++;
	}
	xfree(copy);
}

/* has_word - the restriction list contains word as an item (comma/space separated). */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p != NULL && (p = strstr(p, word)) != NULL; p += n) {
		bool start = p == list || strchr(" ,\t", p[-1]) != NULL;
		bool end = p[n] == '\0' || strchr(" ,\t", p[n]) != NULL;
		if (start && end)
			return true;
	}
	return false;
}

/* protects - the list stops relaying (reject/defer_unauth_destination) before any plain "permit". */
static bool protects(const char *list)
{
	char *copy = xstrdup(list ? list : ""), *save = NULL;
	bool ok = false;

	for (char *w = strtok_r(copy, " ,\t", &save); w != NULL; w = strtok_r(NULL, " ,\t", &save)) {
		if (strcmp(w, "reject_unauth_destination") == 0 || strcmp(w, "defer_unauth_destination") == 0) {
			ok = true;
			break;
		}
		if (strcmp(w, "permit") == 0)
			break;
	}
	xfree(copy);
	return ok;
}

/* widest_prefix - the smallest prefix length of mynetworks' IPv4 (v6 false) or IPv6 entries; 129 if none. */
static int widest_prefix(const char *nets, bool v6)
{
	char *copy = xstrdup(nets), *save = NULL;
	int widest = 129;

	for (char *w = strtok_r(copy, " ,\t", &save); w != NULL; w = strtok_r(NULL, " ,\t", &save)) {
		bool is6 = w[0] == '[' || strchr(w, ':') != NULL;
		char *slash = strrchr(w, '/');
		if (is6 != v6 || w[0] == '$' || w[0] == '!' || strstr(w, ":/") != NULL) /* $param, maps */
			continue;
		if (strncmp(w, "127.", 4) == 0 || strncmp(w, "[::1]", 5) == 0) /* loopback relays only for itself */
			continue;
		int len = slash != NULL ? atoi(slash + 1) : (v6 ? 128 : 32);
		if (len < widest)
			widest = len;
	}
	xfree(copy);
	return widest;
}

/* audit_relay - open relay checks. */
static void audit_relay(struct audit *a)
{
	const char *relay = audit_get(a, "smtpd_relay_restrictions");
	const char *rcpt = audit_get(a, "smtpd_recipient_restrictions");
	const char *nets = audit_get(a, "mynetworks");

	if (relay == NULL)
		relay = "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination";
	if (!protects(relay) && !protects(rcpt))
		audit_warn(a, "%s", "open relay: neither smtpd_relay_restrictions nor smtpd_recipient_restrictions "
				    "has reject_unauth_destination before an unconditional permit");
	if (nets == NULL || (!has_word(relay, "permit_mynetworks") && !has_word(rcpt, "permit_mynetworks")))
		return;
	int w4 = widest_prefix(nets, false), w6 = widest_prefix(nets, true);
	if (w4 < 8 || w6 < 16)
		audit_warn(a, "open relay: permit_mynetworks with mynetworks = %s (relays for most of the Internet)", nets);
	else if (w4 < 16 || w6 < 48)
		audit_warn(a, "mynetworks = %s is wide: every client in it may relay (permit_mynetworks)", nets);
}

/* audit_checks - the filtering checks this project expects. */
static void audit_checks(struct audit *a)
{
	static const char *const lists[] = { "smtpd_client_restrictions", "smtpd_helo_restrictions",
		"smtpd_sender_restrictions", "smtpd_relay_restrictions", "smtpd_recipient_restrictions",
		"smtpd_data_restrictions", "smtpd_end_of_data_restrictions" };
	bool policy = false, rbl = false;
	const char *milters = audit_get(a, "smtpd_milters"), *ps = audit_get(a, "postscreen_dnsbl_sites");

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		const char *v = audit_get(a, lists[i]);
		policy |= has_word(v, "check_policy_service");
		rbl |= has_word(v, "reject_rbl_client");
	}
	if (!policy)
		audit_warn(a, "%s", "no check_policy_service in any smtpd_*_restrictions: repute-filter's policy "
				    "service (DNSBL/DNSWL, SPF, rate limits) is not asked");
	if (milters == NULL || *milters == '\0')
		audit_warn(a, "%s", "no smtpd_milters: no content filtering (repute-filter's milter)");
	if (!rbl && (ps == NULL || *ps == '\0'))
		audit_warn(a, "%s", "no reject_rbl_client (nor postscreen_dnsbl_sites): no DNS block list is consulted "
				    "by Postfix itself");
}

/* rf_audit_text - audit postconf output; returns the number of warnings. */
int rf_audit_text(const char *text, FILE *out)
{
	struct audit *a = xcalloc(1, sizeof(*a));

	a->out = out;
	audit_parse(a, text);
	audit_relay(a);
	audit_checks(a);
	int n = a->warnings;
	for (size_t i = 0; i < a->n; i++) {
		xfree(a->p[i].name);
		xfree(a->p[i].value);
	}
	xfree(a);
	return n;
}

/* read_all - a stream into b. */
static void read_all(FILE *f, struct buf *b)
{
	char chunk[8192];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(b, chunk, n);
	buf_append(b, "", 1);
}

/* rf_audit_postfix - read the configuration from path or postconf, audit, summarise. */
int rf_audit_postfix(const char *path, FILE *out)
{
	struct stat st;
	struct buf b;
	FILE *f;
	bool pipe = path == NULL || (stat(path, &st) == 0 && S_ISDIR(st.st_mode));

	buf_init(&b);
	if (pipe) {
		char *cmd = path ? xasprintf("postconf -c '%s' 2>&1", path) : xstrdup("postconf 2>&1");
		f = popen(cmd, "r");
		xfree(cmd);
	} else {
		f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	}
	if (f == NULL) {
		fprintf(stderr, "repute-filter: --audit-postfix: cannot read %s\n", path ? path : "postconf");
		buf_fini(&b);
		return 2;
	}
	read_all(f, &b);
	int bad = pipe ? pclose(f) != 0 : (f != stdin ? fclose(f) : 0) != 0;
	if (bad) {
		fprintf(stderr, "repute-filter: --audit-postfix: postconf failed: %.300s\n", b.data);
		buf_fini(&b);
		return 2;
	}
	int n = rf_audit_text(b.data, out);
	fprintf(out, "%d warning(s)\n", n);
	buf_fini(&b);
	return n > 0 ? 1 : 0;
}
