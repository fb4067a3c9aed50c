/* rd_form.c - the web form endpoint's fields (POST /v1/forms/report): pasted headers or a
 * whole pasted message (`headers`), an uploaded .eml file (`eml`), or an SMS
 * (`sms_sender`, `sms_text`, optional `sms_recipient` and `sms_received_at`). The
 * CSRF token and submit button of the web console's page are accepted and ignored here;
 * any other field is an error, so a mistyped form fails loudly instead of filing nothing. */
#include <stdio.h>
#include <string.h>

#include "repute/alloc.h"

#include "rd.h"

/* rd_form_init - empty fields. */
void rd_form_init(struct rd_form *f)
{
	memset(f, 0, sizeof(*f));
	buf_init(&f->headers);
	buf_init(&f->eml);
	buf_init(&f->sms_sender);
	buf_init(&f->sms_recipient);
	buf_init(&f->sms_text);
	buf_init(&f->sms_received_at);
}

/* rd_form_fini - free the fields. */
void rd_form_fini(struct rd_form *f)
{
	buf_fini(&f->headers);
	buf_fini(&f->eml);
	buf_fini(&f->sms_sender);
	buf_fini(&f->sms_recipient);
	buf_fini(&f->sms_text);
	buf_fini(&f->sms_received_at);
}

/* field_buf - the buffer for a field name, NULL for ignored ones; *known false when unknown. */
static struct buf *field_buf(struct rd_form *f, const char *key, bool *known)
{
	static const char *const ignored[] = { "csrf_token", "submit", "lang" };
	const struct { const char *name; struct buf *b; } map[] = {
		{ "headers", &f->headers },       { "eml", &f->eml },
		{ "sms_sender", &f->sms_sender }, { "sms_recipient", &f->sms_recipient },
		{ "sms_text", &f->sms_text },     { "sms_received_at", &f->sms_received_at },
	};

	*known = true;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(key, map[i].name) == 0)
			return map[i].b;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (strcmp(key, ignored[i]) == 0)
			return NULL;
	*known = false;
	return NULL;
}

/* rd_form_field - append one chunk of a field. */
bool rd_form_field(struct rd_form *f, const char *key, const char *data, size_t off, size_t size, size_t max)
{
	bool known;
	struct buf *b = field_buf(f, key ? key : "", &known);

	if (!known) {
		snprintf(f->bad_field, sizeof(f->bad_field), "\"%.40s\"", key ? key : "");
		return false;
	}
	f->total += size;
	if (f->total > max) {
		f->too_big = true;
		return false;
	}
	if (b != NULL && size > 0)
		buf_append(b, data, size);
	return true;
}

/* pasted_message - pasted headers made into a message: LF kept, a blank line ensured. */
static char *pasted_message(const struct buf *b, size_t *len)
{
	struct buf m;
	const char *p = b->data;
	size_t n = b->len;

	while (n > 0 && (*p == '\n' || *p == '\r' || *p == ' ')) /* leading blank lines of a paste */
		p++, n--;
	buf_init(&m);
	buf_append(&m, p, n);
	if (strstr(m.data ? m.data : "", "\n\n") == NULL && strstr(m.data ? m.data : "", "\r\n\r\n") == NULL)
		buf_puts(&m, m.len > 0 && m.data[m.len - 1] == '\n' ? "\n" : "\n\n");
	*len = m.len;
	return buf_steal(&m);
}

/* rd_form_submit - one report from the form. */
int rd_form_submit(struct rd *rd, const char *reporter_id, struct rd_form *f, struct rd_outcome *out)
{
	if (f->eml.len > 0 && f->headers.len > 0)
		return rd_outcome_fail(out, 400, "invalid_field", "send either \"headers\" or \"eml\", not both");
	if (f->eml.len > 0)
		return rd_intake_mail(rd, reporter_id, "form", f->eml.data, f->eml.len, out);
	if (f->headers.len > 0) {
		size_t len;
		char *msg = pasted_message(&f->headers, &len);
		int rc = rd_intake_mail(rd, reporter_id, "form", msg, len, out);
		xfree(msg);
		return rc;
	}
	if (f->sms_sender.len > 0 || f->sms_text.len > 0) {
		static const char *const names[] = { "sender", "text", "recipient", "received_at" };
		const struct buf *bufs[] = { &f->sms_sender, &f->sms_text, &f->sms_recipient, &f->sms_received_at };
		json_t *sms = json_object();
		for (size_t i = 0; i < 4; i++) {
			if (bufs[i]->len == 0 && i >= 2)
				continue;
			json_t *v = json_stringn(bufs[i]->data ? bufs[i]->data : "", bufs[i]->len);
			if (v == NULL) {
				json_decref(sms);
				return rd_outcome_fail(out, 400, "invalid_field", "\"sms_%s\" is not valid UTF-8 text", names[i]);
			}
			json_object_set_new(sms, names[i], v);
		}
		int rc = rd_intake_sms(rd, reporter_id, "form", sms, out);
		json_decref(sms);
		return rc;
	}
	return rd_outcome_fail(out, 400, "missing_field",
			       "expected \"headers\" (pasted), \"eml\" (an uploaded message), or \"sms_sender\" and "
			       "\"sms_text\"");
}
