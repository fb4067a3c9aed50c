/* test_arf.c - ARF (RFC 5965/6591) and X-ARF parsing. The five Stalwart reports in
 * tests/data/arf/ are checked against their .json files field by field (every field
 * struct rp_arf carries); X-ARF samples and malformed reports are checked by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <gmime/gmime.h>
#include <jansson.h>

#include "repute/alloc.h"
#include "repute/arf.h"
#include "repute/buf.h"
#include "repute/error.h"
#include "repute/message.h"
#include "repute/strutil.h"

/* data_path - a file under tests/data (caller frees). */
static char *data_path(const char *rel)
{
	const char *src = getenv("REPUTE_SRC") ? getenv("REPUTE_SRC") : REPUTE_SRC;

	return xasprintf("%s/tests/data/%s", src, rel);
}

/* parse_msg - parse a message from memory or fail. */
static struct rp_message *parse_msg(const char *data, size_t len)
{
	struct rp_message *m = NULL;
	struct rp_diag d = { 0 };

	if (rp_message_parse(data, len, NULL, &m, &d) != 0)
		fail_msg("message parse: %s", d.reason);
	return m;
}

/* parse_file_msg - parse tests/data/<rel>. */
static struct rp_message *parse_file_msg(const char *rel)
{
	char *path = data_path(rel), *data = NULL;
	size_t len;

	if (file_read_all(path, 1 << 20, &data, &len) != 0)
		fail_msg("cannot read %s", path);
	struct rp_message *m = parse_msg(data, len);
	xfree(data);
	xfree(path);
	return m;
}

/* squash - JSON text with folding ("\n" + white space) turned into one space, as our
 * unfolded values are. Caller frees. */
static char *squash(const char *s)
{
	struct buf b;

	buf_init(&b);
	for (; *s; s++) {
		if (*s == '\n') {
			while (s[1] == ' ' || s[1] == '\t')
				s++;
			buf_putc(&b, ' ');
		} else {
			buf_putc(&b, *s);
		}
	}
	return buf_steal(&b);
}

/* check_str - our optional string against a JSON string or null. */
static void check_str(const char *field, const char *ours, json_t *want)
{
	if (json_is_null(want) || want == NULL) {
		if (ours != NULL)
			fail_msg("%s: got \"%s\", want null", field, ours);
		return;
	}
	char *w = squash(json_string_value(want));
	if (ours == NULL || strcmp(ours, w) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", field, ours ? ours : "(null)", w);
	xfree(w);
}

/* check_list - our list against a JSON array, string or null. */
static void check_list(const char *field, const struct rp_strlist *l, json_t *want)
{
	if (want == NULL || json_is_null(want)) {
		assert_int_equal(l->n, 0);
		return;
	}
	if (json_is_string(want)) {
		if (l->n != 1)
			fail_msg("%s: %zu values, want 1", field, l->n);
		check_str(field, l->items[0], want);
		return;
	}
	if (l->n != json_array_size(want))
		fail_msg("%s: %zu values, want %zu", field, l->n, json_array_size(want));
	for (size_t i = 0; i < l->n; i++)
		check_str(field, l->items[i], json_array_get(want, i));
}

/* same_enum - our lower-case value against Stalwart's CamelCase enum ("AuthFailure"). */
static void check_enum(const char *field, const char *ours, json_t *want)
{
	const char *w = json_string_value(want);
	char a[64] = "", b[64] = "";
	size_t n = 0;

	if (w == NULL || strcmp(w, "Unspecified") == 0) {
		if (ours != NULL)
			fail_msg("%s: got \"%s\", want none", field, ours);
		return;
	}
	assert_non_null(ours);
	for (const char *p = ours; *p && n + 1 < sizeof(a); p++)
		if (*p != '-' && *p != '_')
			a[n++] = (char)tolower((unsigned char)*p);
	a[n] = '\0';
	n = 0;
	for (const char *p = w; *p && n + 1 < sizeof(b); p++)
		b[n++] = (char)tolower((unsigned char)*p);
	b[n] = '\0';
	if (strcmp(a, b) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", field, ours, w);
}

/* check_date - our Arrival-Date text against a Unix time. */
static void check_date(const char *ours, json_t *want)
{
	if (json_is_null(want)) {
		assert_null(ours);
		return;
	}
	assert_non_null(ours);
	GDateTime *dt = g_mime_utils_header_decode_date(ours);
	assert_non_null(dt);
	assert_int_equal(g_date_time_to_unix(dt), json_integer_value(want));
	g_date_time_unref(dt);
}

/* check_headers - the text/rfc822-headers original against the JSON "headers" text. */
static void check_headers(const struct rp_message *m, json_t *want)
{
	const char *w = json_string_value(want);
	size_t fields = 0;

	if (w == NULL)
		return;
	for (const char *p = w; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		if (*p != ' ' && *p != '\t' && *p != '\n')
			fields++;
	assert_int_equal(m->n_attached, 1);
	assert_true(m->attached[0]->headers_only);
	assert_int_equal(m->attached[0]->n_headers, fields);
	for (size_t i = 0; i < fields; i++) {
		char *needle = xasprintf("%s: ", m->attached[0]->headers[i].name);
		assert_non_null(strstr(w, needle));
		xfree(needle);
	}
}

static void test_stalwart_reports(void **state)
{
	g_mime_init();
	for (int i = 1; i <= 5; i++) {
		char rel[32], *jpath;
		json_error_t err;
		struct rp_arf *arf = NULL;
		struct rp_diag d = { 0 };

		snprintf(rel, sizeof(rel), "arf/%03d.json", i);
		jpath = data_path(rel);
		json_t *j = json_load_file(jpath, 0, &err);
		if (j == NULL)
			fail_msg("%s: %s", jpath, err.text);
		snprintf(rel, sizeof(rel), "arf/%03d.eml", i);
		struct rp_message *m = parse_file_msg(rel);
		assert_string_equal(m->report_type, "feedback-report");
		if (rp_arf_parse(m, &arf, &d) != 0)
			fail_msg("%s: %s", rel, d.reason);
		print_message("%s\n", rel);
		assert_false(arf->is_xarf);
		check_enum("feedback_type", arf->feedback_type, json_object_get(j, "feedback_type"));
		check_date(arf->arrival_date, json_object_get(j, "arrival_date"));
		check_list("authentication_results", &arf->authentication_results,
			   json_object_get(j, "authentication_results"));
		if (arf->incidents) /* Stalwart reports the default 1 when absent */
			assert_int_equal(atoi(arf->incidents), json_integer_value(json_object_get(j, "incidents")));
		check_str("original_envelope_id", arf->original_envelope_id, json_object_get(j, "original_envelope_id"));
		check_str("original_mail_from", arf->original_mail_from, json_object_get(j, "original_mail_from"));
		check_list("original_rcpt_to", &arf->original_rcpt_to, json_object_get(j, "original_rcpt_to"));
		check_list("reported_domain", &arf->reported_domain, json_object_get(j, "reported_domain"));
		check_list("reported_uri", &arf->reported_uri, json_object_get(j, "reported_uri"));
		check_str("reporting_mta", arf->reporting_mta, json_object_get(j, "reporting_mta"));
		check_str("source_ip", arf->source_ip, json_object_get(j, "source_ip"));
		check_str("user_agent", arf->user_agent, json_object_get(j, "user_agent"));
		assert_int_equal(atoi(arf->version), json_integer_value(json_object_get(j, "version")));
		check_enum("auth_failure", arf->auth_failure, json_object_get(j, "auth_failure"));
		check_enum("delivery_result", arf->delivery_result, json_object_get(j, "delivery_result"));
		check_str("dkim_domain", arf->dkim_domain, json_object_get(j, "dkim_domain"));
		check_str("dkim_identity", arf->dkim_identity, json_object_get(j, "dkim_identity"));
		check_str("dkim_selector", arf->dkim_selector, json_object_get(j, "dkim_selector"));
		check_headers(m, json_object_get(j, "headers"));
		rp_arf_free(arf);
		rp_message_free(m);
		json_decref(j);
		xfree(jpath);
	}
}

static void test_xarf_yaml(void **state)
{
	struct rp_message *m = parse_file_msg("arf/xarf-0.2.eml");
	struct rp_arf *arf = NULL;

	assert_int_equal(rp_arf_parse(m, &arf, NULL), 0);
	assert_true(arf->is_xarf);
	assert_string_equal(arf->xarf_category, "abuse");
	assert_string_equal(arf->xarf_report_type, "spam");
	assert_string_equal(arf->xarf_source, "192.0.2.77");
	assert_string_equal(arf->xarf_source_type, "ipv4");
	assert_string_equal(arf->source_ip, "192.0.2.77");
	assert_string_equal(arf->feedback_type, "abuse");
	assert_string_equal(arf->version, "0.2");
	assert_string_equal(arf->user_agent, "ExampleReporter 1.0");
	assert_string_equal(arf->arrival_date, "2026-11-20T10:00:00+01:00");
	assert_string_equal(arf->original_mail_from, "abuse-reports@reporter.example");
	assert_int_equal(m->n_attached, 1);
	rp_arf_free(arf);
	rp_message_free(m);
}

static void test_xarf_json(void **state)
{
	struct rp_message *m = parse_file_msg("arf/xarf-json.eml");
	struct rp_arf *arf = NULL;

	assert_int_equal(rp_arf_parse(m, &arf, NULL), 0);
	assert_true(arf->is_xarf);
	assert_string_equal(arf->xarf_report_type, "Spam");
	assert_string_equal(arf->xarf_category, "Activity");
	assert_string_equal(arf->xarf_source, "198.51.100.9");
	assert_null(arf->xarf_source_type);
	assert_string_equal(arf->source_ip, "198.51.100.9");
	assert_string_equal(arf->feedback_type, "abuse");
	assert_string_equal(arf->version, "2");
	assert_string_equal(arf->arrival_date, "2026-11-21T10:58:00Z");
	rp_arf_free(arf);
	rp_message_free(m);

	/* the newer lower-case v4 form, sent with "X-XARF: PLAIN" and no file name */
	static const char v4[] =
		"From: r@example.com\nX-XARF: PLAIN\nContent-Type: multipart/mixed; boundary=z\n\n"
		"--z\nContent-Type: text/plain\n\nreport\n"
		"--z\nContent-Type: text/plain\n\n"
		"{\"xarf_version\": \"4.0.0\", \"category\": \"messaging\", \"type\": \"spam\",\n"
		" \"source_identifier\": \"2001:DB8::25\", \"timestamp\": \"2026-11-22T00:00:00Z\"}\n"
		"--z--\n";
	m = parse_msg(v4, sizeof(v4) - 1);
	assert_non_null(m->xarf_report);
	assert_int_equal(rp_arf_parse(m, &arf, NULL), 0);
	assert_string_equal(arf->xarf_category, "messaging");
	assert_string_equal(arf->xarf_report_type, "spam");
	assert_string_equal(arf->xarf_source, "2001:DB8::25");
	assert_string_equal(arf->source_ip, "2001:db8::25");
	assert_string_equal(arf->version, "4.0.0");
	assert_string_equal(arf->feedback_type, "abuse");
	rp_arf_free(arf);
	rp_message_free(m);
}

static void test_arf_details(void **state)
{
	static const char msg[] =
		"From: fbl@example.net\nContent-Type: multipart/report; report-type=\"Feedback-Report\"; boundary=r\n\n"
		"--r\nContent-Type: text/plain\n\nhuman part\n"
		"--r\nContent-Type: message/feedback-report\n\n"
		"feedback-type: Fraud\r\nUser-Agent: FBL/2\r\nVersion: 1\r\n"
		"Source-IP: [IPv6:2001:DB8::1] (mail.example.com)\r\n"
		"Received-Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
		"Original-Rcpt-To: <a@example.org>\r\nOriginal-Rcpt-To: <b@example.org>\r\n"
		"Original-Rcpt-To: <a@example.org>\r\n"
		"Reported-URI: http://one.example/\r\nReported-Uri: http://two.example/\r\n"
		"Reporting-MTA: dns;\r\n  mx.example.net\r\nIncidents: 12\r\n\r\n"
		"--r\nContent-Type: text/rfc822-headers\n\nFrom: x@example.com\nSubject: s\n\n"
		"--r--\n";
	struct rp_message *m = parse_msg(msg, sizeof(msg) - 1);
	struct rp_arf *arf = NULL;

	assert_string_equal(m->report_type, "feedback-report");
	assert_int_equal(rp_arf_parse(m, &arf, NULL), 0);
	assert_string_equal(arf->feedback_type, "fraud");
	assert_string_equal(arf->source_ip, "2001:db8::1");
	assert_string_equal(arf->arrival_date, "Mon, 23 Nov 2026 10:00:00 +0000");
	assert_int_equal(arf->original_rcpt_to.n, 2);
	assert_string_equal(arf->original_rcpt_to.items[1], "<b@example.org>");
	assert_int_equal(arf->reported_uri.n, 2);
	assert_string_equal(arf->reporting_mta, "mx.example.net");
	assert_string_equal(arf->incidents, "12");
	assert_int_equal(m->n_attached, 1);
	assert_true(m->attached[0]->headers_only);
	rp_arf_free(arf);
	rp_message_free(m);
}

static void test_not_a_report_and_malformed(void **state)
{
	static const struct { const char *name, *msg; int rc; const char *reason; } cases[] = {
		{ "plain mail", "From: a@example.com\nSubject: hi\n\nhello\n", RP_ENOTFOUND, NULL },
		{ "dsn", "From: m@example.com\nContent-Type: multipart/report; report-type=delivery-status; boundary=d\n\n"
			 "--d\nContent-Type: text/plain\n\nbounce\n--d\nContent-Type: message/delivery-status\n\n"
			 "Reporting-MTA: dns; mx\n--d--\n", RP_ENOTFOUND, NULL },
		{ "no report part", "From: f@example.com\nContent-Type: multipart/report; report-type=feedback-report; boundary=e\n\n"
			 "--e\nContent-Type: text/plain\n\nonly text\n--e--\n", RP_EPARSE, "without" },
		{ "no feedback-type", "From: f@example.com\nContent-Type: multipart/report; report-type=feedback-report; boundary=e\n\n"
			 "--e\nContent-Type: message/feedback-report\n\nUser-Agent: x\nVersion: 1\n--e--\n", RP_EPARSE, "Feedback-Type" },
		{ "empty feedback", "From: f@example.com\nContent-Type: multipart/report; report-type=feedback-report; boundary=e\n\n"
			 "--e\nContent-Type: message/feedback-report\n\n\n--e--\n", RP_EPARSE, "malformed" },
		{ "garbage feedback", "From: f@example.com\nContent-Type: multipart/report; report-type=feedback-report; boundary=e\n\n"
			 "--e\nContent-Type: message/feedback-report\n\n\x01\x02\x03\x04\x05\x06\x07\x08\n--e--\n", RP_EPARSE, "malformed" },
		{ "bad xarf json", "From: r@example.com\nX-XARF: PLAIN\nContent-Type: multipart/mixed; boundary=z\n\n"
			 "--z\nContent-Type: application/json; name=xarf.json\n\n{\"ReportType\": \n--z--\n", RP_EPARSE, "JSON" },
		{ "xarf yaml without type", "From: r@example.com\nX-XARF: PLAIN\nContent-Type: multipart/mixed; boundary=z\n\n"
			 "--z\nContent-Type: text/plain; name=report.txt\n\nFoo: bar\n--z--\n", RP_EPARSE, "X-ARF" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rp_message *m = parse_msg(cases[i].msg, strlen(cases[i].msg));
		struct rp_arf *arf = NULL;
		struct rp_diag d = { 0 };
		int rc = rp_arf_parse(m, &arf, &d);
		if (rc != cases[i].rc || (cases[i].reason && strstr(d.reason, cases[i].reason) == NULL))
			fail_msg("%s: rc %d (%s), want %d", cases[i].name, rc, d.reason, cases[i].rc);
		assert_null(arf);
		rp_message_free(m);
	}
	assert_null(rp_arf_free(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalwart_reports),
		cmocka_unit_test(test_xarf_yaml),
		cmocka_unit_test(test_xarf_json),
		cmocka_unit_test(test_arf_details),
		cmocka_unit_test(test_not_a_report_and_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
