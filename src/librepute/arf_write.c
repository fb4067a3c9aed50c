/* arf_write.c - building abuse reports in ARF (RFC 5965): what a mail provider sends to the
 * centre when a user presses "this is spam".
 *
 * rp_arf_build writes multipart/report; report-type=feedback-report with three parts: a short
 * human-readable text, the machine-readable message/feedback-report (Feedback-Type, User-Agent,
 * Version: 1, Original-Mail-From, Arrival-Date, Reporting-MTA, Source-IP) and the original as
 * message/rfc822, with the reporting user's address replaced everywhere in it (redact.h, which
 * understands headers, encoded words and MIME bodies). rp_arf_parse (arf.c) reads what this
 * writes; tests/unit/librepute/test_arf_write.c checks the round trip. Pure: no I/O. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/arf.h"
#include "repute/buf.h"
#include "repute/error.h"
#include "repute/message.h"
#include "repute/redact.h"

/* bad_field - a value that would break the header it goes into. */
static bool bad_field(const char *v)
{
	return v != NULL && (strpbrk(v, "\r\n") != NULL || strlen(v) > 900);
}

/* check_fields - RP_EINVAL naming the first bad field. */
static int check_fields(const struct rp_arf_build_in *in, struct rp_diag *diag)
{
	const struct { const char *name, *v; } f[] = {
		{ "feedback_type", in->feedback_type }, { "user_agent", in->user_agent },
		{ "original_mail_from", in->original_mail_from }, { "source_ip", in->source_ip },
		{ "arrival_date", in->arrival_date }, { "reporting_mta", in->reporting_mta },
		{ "from", in->from }, { "to", in->to }, { "redact_user", in->redact_user },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (bad_field(f[i].v)) {
			rp_diag_set(diag, 0, 0, "ARF field %s holds a line break or is too long", f[i].name);
			return RP_EINVAL;
		}
	}
	if (in->from == NULL || in->to == NULL || *in->from == '\0' || *in->to == '\0') {
		rp_diag_set(diag, 0, 0, "ARF report needs a From and a To address");
		return RP_EINVAL;
	}
	return 0;
}

/* fnv - FNV-1a over data, for a boundary that depends on the content. */
static uint64_t fnv(const char *data, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)data[i]) * 0x100000001b3ULL;
	return h;
}

/* pick_boundary - a boundary string (33 chars) that does not occur in the original. */
static void pick_boundary(const char *orig, size_t len, char out[40])
{
	uint64_t h = fnv(orig, len);

	do {
		snprintf(out, 40, "=_arf_%016llx_%08x", (unsigned long long)h, (unsigned)(h >> 20));
		h = h * 6364136223846793005ULL + 1442695040888963407ULL;
	} while (memmem(orig, len, out, strlen(out)) != NULL);
}

/* received_date - the date of the first Received header (after its last ';'), or NULL. */
static const char *received_date(const struct rp_message *m)
{
	long i = rp_message_header_next(m, "Received", 0);
	const char *semi;

	if (i < 0 || (semi = strrchr(m->headers[i].value, ';')) == NULL)
		return NULL;
	semi++;
	while (*semi == ' ' || *semi == '\t')
		semi++;
	return *semi != '\0' ? semi : NULL;
}

/* strip_angles - copy of an address without <> and surrounding space (caller frees). */
static char *strip_angles(const char *v)
{
	while (*v == ' ' || *v == '<')
		v++;
	char *s = xstrdup(v);
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '>'))
		s[--n] = '\0';
	return s;
}

/* field - "Name: value" + eol when value is set and holds no line break. */
static void field(struct buf *out, const char *name, const char *value, const char *eol)
{
	if (value != NULL && *value != '\0' && strpbrk(value, "\r\n") == NULL)
		buf_printf(out, "%s: %s%s", name, value, eol);
}

/* write_head - the report's own header block and the preamble. */
static void write_head(const struct rp_arf_build_in *in, const char *b, const char *eol, struct buf *out)
{
	char date[64];
	time_t t = (time_t)in->date;
	struct tm tm;

	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", gmtime_r(&t, &tm));
	buf_printf(out, "From: %s%sTo: %s%sDate: %s%s", in->from, eol, in->to, eol, date, eol);
	buf_printf(out, "Subject: Abuse report (%s)%s", in->feedback_type ? in->feedback_type : "abuse", eol);
	buf_printf(out, "Message-ID: <%s.%lld@%s>%s", b + 2, in->date,
		   in->reporting_mta ? in->reporting_mta : "repute.invalid", eol);
	buf_printf(out, "MIME-Version: 1.0%sContent-Type: multipart/report; report-type=feedback-report;%s"
			"\tboundary=\"%s\"%s%s",
		   eol, eol, b, eol, eol);
	buf_printf(out, "This is a multi-part message in MIME format.%s%s", eol, eol);
}

/* write_parts - the text part and the feedback-report part. */
static void write_parts(const struct rp_arf_build_in *in, const struct rp_message *m, const char *b,
			const char *eol, struct buf *out)
{
	const char *type = in->feedback_type ? in->feedback_type : "abuse";
	char *mail_from = NULL;
	const char *arrival = in->arrival_date;

	buf_printf(out, "--%s%sContent-Type: text/plain; charset=us-ascii%s"
			"Content-Transfer-Encoding: 7bit%s%s", b, eol, eol, eol, eol);
	buf_printf(out, "This is an abuse report (%s) for a message a user marked as spam.%s"
			"The reporting user's address has been replaced by %s.%s%s",
		   type, eol, RP_REDACTED_ADDR, eol, eol);
	buf_printf(out, "--%s%sContent-Type: message/feedback-report%s%s", b, eol, eol, eol);
	field(out, "Feedback-Type", type, eol);
	field(out, "User-Agent", in->user_agent ? in->user_agent : "repute/1", eol);
	field(out, "Version", "1", eol);
	if (in->original_mail_from != NULL) {
		mail_from = strip_angles(in->original_mail_from);
	} else if (rp_message_header(m, "Return-Path") != NULL) {
		mail_from = strip_angles(rp_message_header(m, "Return-Path"));
	}
	if (mail_from != NULL) {
		char *v = xasprintf("<%s>", mail_from);
		field(out, "Original-Mail-From", v, eol);
		xfree(v);
	}
	if (arrival == NULL)
		arrival = received_date(m);
	if (arrival == NULL)
		arrival = rp_message_header(m, "Date");
	field(out, "Arrival-Date", arrival, eol);
	if (in->reporting_mta != NULL) {
		char *v = xasprintf("dns; %s", in->reporting_mta);
		field(out, "Reporting-MTA", v, eol);
		xfree(v);
	}
	field(out, "Source-IP", in->source_ip, eol);
	buf_puts(out, eol);
	xfree(mail_from);
}

/* rp_arf_build - see arf.h. */
int rp_arf_build(const struct rp_arf_build_in *in, const char *orig, size_t len, struct buf *out,
		 size_t *n_redacted, struct rp_diag *diag)
{
	struct rp_message *m = NULL;
	struct rp_redact_set set;
	struct buf red;
	char b[40];
	const char *eol = memmem(orig, len, "\r\n", 2) != NULL ? "\r\n" : "\n";
	size_t n = 0;
	int rc = check_fields(in, diag);

	if (rc != 0)
		return rc;
	if (rp_message_parse_headers(orig, len, NULL, &m, diag) != 0 || m->n_headers == 0) {
		rp_message_free(m);
		rp_diag_set(diag, 0, 0, "the reported message has no header");
		return RP_ENOTMAIL;
	}
	rp_redact_set_init(&set);
	if (in->redact_user != NULL)
		rp_redact_set_add(&set, in->redact_user, strlen(in->redact_user));
	if (in->redact_user != NULL && set.n == 0) {
		rp_redact_set_fini(&set);
		rp_message_free(m);
		rp_diag_set(diag, 0, 0, "redact_user \"%s\" is not an address", in->redact_user);
		return RP_EINVAL;
	}
	buf_init(&red);
	if (set.n > 0)
		n = rp_redact_message(orig, len, &set, &red);
	else
		buf_append(&red, orig, len);
	pick_boundary(red.data, red.len, b);
	write_head(in, b, eol, out);
	write_parts(in, m, b, eol, out);
	buf_printf(out, "--%s%sContent-Type: message/rfc822%sContent-Disposition: inline%s%s", b, eol, eol,
		   eol, eol);
	buf_append(out, red.data, red.len);
	if (red.len > 0 && red.data[red.len - 1] != '\n')
		buf_puts(out, eol);
	buf_printf(out, "--%s--%s", b, eol);
	if (n_redacted != NULL)
		*n_redacted = n;
	buf_fini(&red);
	rp_redact_set_fini(&set);
	rp_message_free(m);
	return 0;
}
