/* message_text.c - bytes in any mail charset to clean UTF-8, and RFC 2047 encoded-words.
 *
 * Mail lies about charsets, so labels are mapped to the superset that senders really use
 * (GB2312/GBK -> GB18030, Big5 -> CP950, ISO-8859-1/US-ASCII -> windows-1252, KS C 5601 ->
 * CP949). Conversion goes through iconv; every invalid or truncated sequence becomes U+FFFD
 * and conversion carries on, so no input can make it fail. Unknown labels fall back to
 * "UTF-8 if it is valid, else GB18030 if it is valid and mostly high bytes, else windows-1252".
 *
 * glibc loads a gconv module (GB18030.so, GBK.so, ...) on iconv_open and unloads it on the
 * last iconv_close, which made a GB2312 message cost a dlopen + dlclose per part (3x slower
 * than the parse itself). charset_pin() opens one descriptor per common multi-byte charset
 * once per process (pthread_once) and never closes or uses it, which keeps the modules
 * loaded for us and for GMime. That array is the only global state here; it never changes
 * after the once-call, so threads may parse concurrently. */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "message_int.h"

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */


/* utf8_valid comes from libutil (include/repute/utf8.h). */

/* utf8_repair - copy runs of valid UTF-8, U+FFFD for each bad byte. */
void utf8_repair(struct buf *out, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t run = 0; /* start of the current run of good bytes */

	buf_reserve(out, len);
	for (size_t i = 0; i < len;) {
		size_t k = p[i] == 0 ? 0 : utf8_sequence_len(p + i, len - i);
		if (k > 0) {
			i += k;
			continue;
		}
		buf_append(out, data + run, i - run);
		if (p[i] != 0)
			buf_append(out, REPLACEMENT, 3);
		run = ++i;
	}
	buf_append(out, data + run, len - run);
}

/* utf8_put - encode one code point. */
void utf8_put(struct buf *out, unsigned long cp)
{
	char s[4];

	if (cp == 0 || cp > 0x10FFFF) {
		buf_append(out, REPLACEMENT, 3);
		return;
	}
	buf_append(out, s, utf8_encode((uint32_t)cp, s));
}

/* charset_alias - the iconv name to use for a mail charset label (lower case, no quotes),
 * or NULL when the label means "guess". */
static const char *charset_alias(const char *cs)
{
	static const struct { const char *label, *iconv; } map[] = {
		{ "gb2312", "GB18030" },      { "gbk", "GB18030" },       { "x-gbk", "GB18030" },
		{ "gb_2312-80", "GB18030" },  { "csgb2312", "GB18030" },  { "x-gb2312", "GB18030" },
		{ "euc-cn", "GB18030" },      { "cp936", "GB18030" },     { "ms936", "GB18030" },
		{ "windows-936", "GB18030" }, { "gb18030", "GB18030" },   { "chinese", "GB18030" },
		{ "big5", "CP950" },          { "x-big5", "CP950" },      { "cn-big5", "CP950" },
		{ "csbig5", "CP950" },        { "big-5", "CP950" },       { "cp950", "CP950" },
		{ "big5-hkscs", "BIG5-HKSCS" },
		{ "iso-8859-1", "WINDOWS-1252" }, { "iso8859-1", "WINDOWS-1252" },
		{ "latin1", "WINDOWS-1252" },     { "l1", "WINDOWS-1252" },
		{ "ks_c_5601-1987", "CP949" },    { "euc-kr", "CP949" },    { "ks_c_5601", "CP949" },
		{ "shift_jis", "CP932" },         { "x-sjis", "CP932" },     { "sjis", "CP932" },
		{ "shift-jis", "CP932" },         { "windows-31j", "CP932" },
		{ "tis-620", "CP874" },           { "iso-8859-11", "CP874" },
	};

	if (cs == NULL || *cs == '\0' || strcmp(cs, "us-ascii") == 0 || strcmp(cs, "ascii") == 0 ||
	    strcmp(cs, "unknown-8bit") == 0 || strcmp(cs, "x-unknown") == 0 || strcmp(cs, "default") == 0)
		return NULL;
	if (strcmp(cs, "utf-8") == 0 || strcmp(cs, "utf8") == 0)
		return "UTF-8";
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(cs, map[i].label) == 0)
			return map[i].iconv;
	return cs;
}

static pthread_once_t pin_once = PTHREAD_ONCE_INIT;
static iconv_t pinned[16]; /* kept reachable so leak checkers stay quiet */

/* pin_modules - open (and keep) one descriptor per common charset; see the file comment. */
static void pin_modules(void)
{
	static const char *const names[] = {
		"GB18030", "GBK", "CP950", "BIG5", "BIG5-HKSCS", "CP949", "EUC-KR", "CP932",
		"EUC-JP", "ISO-2022-JP", "KOI8-R", "WINDOWS-1251", "WINDOWS-1252", "ISO-8859-2",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && i < sizeof(pinned) / sizeof(pinned[0]); i++)
		pinned[i] = iconv_open("UTF-8", names[i]);
}

/* charset_pin - make sure the common gconv modules stay loaded (cheap after the first call). */
void charset_pin(void)
{
	pthread_once(&pin_once, pin_modules);
}

/* iconv_append - convert with cd into out; strict stops at the first invalid sequence and
 * returns false (out is then left with a partial result the caller discards). */
static bool iconv_append(struct buf *out, iconv_t cd, const char *data, size_t len, bool strict)
{
	char *in = (char *)data;
	size_t inleft = len;

	while (inleft > 0) {
		buf_reserve(out, inleft * 2 + 16);
		char *o = out->data + out->len;
		size_t oleft = out->cap - out->len - 1;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		out->len = (size_t)(o - out->data);
		out->data[out->len] = '\0';
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		if (strict)
			return false;
		buf_append(out, REPLACEMENT, 3);
		if (errno == EINVAL) /* truncated sequence at the end */
			break;
		in++, inleft--; /* EILSEQ: skip one byte and resynchronise */
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* flush a stateful encoder's shift state */
	buf_reserve(out, 16);
	char *o = out->data + out->len;
	size_t oleft = out->cap - out->len - 1;
	iconv(cd, NULL, NULL, &o, &oleft);
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return true;
}

/* drop_nuls - remove NUL bytes from out at and after from (iconv may produce U+0000). */
static void drop_nuls(struct buf *out, size_t from)
{
	size_t w = from;

	if (memchr(out->data + from, '\0', out->len - from) == NULL)
		return;
	for (size_t r = from; r < out->len; r++)
		if (out->data[r] != '\0')
			out->data[w++] = out->data[r];
	out->len = w;
	out->data[w] = '\0';
}

/* convert - from charset to out; false when iconv does not know it or (strict) input is bad. */
static bool convert(struct buf *out, const char *charset, const char *data, size_t len, bool strict)
{
	charset_pin();
	iconv_t cd = iconv_open("UTF-8", charset);
	size_t from = out->len;

	if (cd == (iconv_t)-1)
		return false;
	bool ok = iconv_append(out, cd, data, len, strict);
	iconv_close(cd);
	if (!ok) {
		out->len = from;
		out->data[from] = '\0';
		return false;
	}
	drop_nuls(out, from);
	return true;
}

/* mostly_high_bytes - at least a quarter of the bytes are >= 0x80, as in any text written in
 * a double-byte Chinese charset; Latin-1 prose has a few percent. */
static bool mostly_high_bytes(const char *data, size_t len)
{
	size_t high = 0;

	for (size_t i = 0; i < len; i++)
		high += (unsigned char)data[i] >= 0x80;
	return high * 4 >= len;
}

/* guess_to_utf8 - no usable label: UTF-8, else GB18030 when the bytes look like double-byte
 * text and convert strictly, else windows-1252. GB18030 accepts almost any pair of bytes, so
 * without the share test a lone Latin-1 byte (0xA0) swallowed the letter after it. */
static void guess_to_utf8(struct buf *out, const char *data, size_t len)
{
	if (utf8_valid(data, len) || memchr(data, '\0', len) != NULL) {
		utf8_repair(out, data, len);
		return;
	}
	if (mostly_high_bytes(data, len) && convert(out, "GB18030", data, len, true))
		return;
	if (!convert(out, "WINDOWS-1252", data, len, false))
		utf8_repair(out, data, len);
}

/* text_to_utf8 - map the label, skip pure ASCII, convert or guess. */
void text_to_utf8(struct buf *out, const char *charset, const char *data, size_t len)
{
	char label[64];
	size_t n = 0;

	buf_reserve(out, len);
	if (charset != NULL) {
		for (const char *p = charset; *p && n + 1 < sizeof(label); p++)
			if (*p != '"' && *p != '\'' && !isspace((unsigned char)*p))
				label[n++] = (char)tolower((unsigned char)*p);
	}
	label[n] = '\0';
	const char *cs = charset_alias(label);
	bool ascii = true;
	for (size_t i = 0; i < len && ascii; i++)
		ascii = (unsigned char)data[i] < 0x80;
	bool seven_bit_cs = cs != NULL && (strncmp(cs, "utf-7", 5) == 0 || strncmp(cs, "hz", 2) == 0);
	if ((ascii && !seven_bit_cs) || cs == NULL) {
		if (ascii && memchr(data, '\0', len) == NULL && memchr(data, 0x1b, len) == NULL) {
			buf_append(out, data, len);
			return;
		}
		if (cs == NULL) {
			guess_to_utf8(out, data, len);
			return;
		}
	}
	if (strcmp(cs, "UTF-8") == 0) {
		utf8_repair(out, data, len);
		return;
	}
	if (!convert(out, cs, data, len, false))
		guess_to_utf8(out, data, len); /* unknown or unsupported label */
}

/* b64_val - value of a base64 digit or -1. */
static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* hex_val - value of a hex digit or -1. */
static int hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* word_decode - decode the text of one encoded-word (B or Q) into raw bytes. */
static void word_decode(struct buf *raw, char enc, const char *t, size_t n)
{
	if (enc == 'b') {
		unsigned long acc = 0;
		int bits = 0;
		for (size_t i = 0; i < n; i++) {
			int v = b64_val((unsigned char)t[i]);
			if (v < 0)
				continue; /* padding and junk */
			acc = (acc << 6) | (unsigned long)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				buf_putc(raw, (char)((acc >> bits) & 0xFF));
			}
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (t[i] == '_')
			buf_putc(raw, ' ');
		else if (t[i] == '=' && i + 2 < n && (h = hex_val((unsigned char)t[i + 1])) >= 0 &&
			 (l = hex_val((unsigned char)t[i + 2])) >= 0) {
			buf_putc(raw, (char)(h * 16 + l));
			i += 2;
		} else
			buf_putc(raw, t[i]);
	}
}

#define WORD_NO_END ((size_t)-1) /* no "?=" anywhere ahead: no later word can end either */

/* parse_word - recognise "=?charset?e?text?=" at p; fills the pieces and returns its
 * length, 0 when there is no word here, or WORD_NO_END (which keeps decoding linear). */
static size_t parse_word(const char *p, const char *end, char *cs, size_t cslen, char *enc,
			 const char **text, size_t *tlen)
{
	const char *q = p + 2, *cs_start = q;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	while (q < end && *q != '?' && !isspace((unsigned char)*q) && (size_t)(q - cs_start) < cslen)
		q++;
	if (q >= end || *q != '?' || q == cs_start || (size_t)(q - cs_start) >= cslen)
		return 0;
	memcpy(cs, cs_start, (size_t)(q - cs_start));
	cs[q - cs_start] = '\0';
	char *star = strchr(cs, '*'); /* RFC 2231 language suffix */
	if (star)
		*star = '\0';
	q++;
	if (q + 2 >= end || q[1] != '?')
		return 0;
	*enc = (char)tolower((unsigned char)q[0]);
	if (*enc != 'b' && *enc != 'q')
		return 0;
	q += 2;
	*text = q;
	const char *e = memmem(q, (size_t)(end - q), "?=", 2);
	if (e == NULL)
		return WORD_NO_END;
	*tlen = (size_t)(e - *text);
	return (size_t)(e + 2 - p);
}

/* flush_raw - convert pending encoded-word bytes in charset cs and append them. */
static void flush_raw(struct buf *out, struct buf *raw, const char *cs)
{
	if (raw->len == 0)
		return;
	text_to_utf8(out, cs, raw->data, raw->len);
	buf_reset(raw);
}

/* rfc2047_decode - join adjacent words of one charset before converting (split multibyte characters). */
void rfc2047_decode(struct buf *out, const char *value, size_t len)
{
	const char *p = value, *end = value + len, *plain = value;
	struct buf raw;
	char cs[64], prev_cs[64] = "";

	buf_init(&raw);
	while (p < end) {
		const char *hit = memchr(p, '=', (size_t)(end - p));
		char enc;
		const char *text;
		size_t tlen, wl;

		if (hit == NULL)
			break;
		wl = parse_word(hit, end, cs, sizeof(cs), &enc, &text, &tlen);
		if (wl == WORD_NO_END)
			break;
		if (wl == 0) {
			p = hit + 1;
			continue;
		}
		/* white space between two adjacent encoded-words is dropped (RFC 2047 6.2) */
		bool only_ws = raw.len > 0;
		for (const char *s = plain; s < hit && only_ws; s++)
			only_ws = isspace((unsigned char)*s);
		if (!only_ws || strcasecmp(cs, prev_cs) != 0) {
			flush_raw(out, &raw, prev_cs);
			if (!only_ws)
				text_to_utf8(out, NULL, plain, (size_t)(hit - plain));
		}
		word_decode(&raw, enc, text, tlen);
		snprintf(prev_cs, sizeof(prev_cs), "%s", cs);
		p = plain = hit + wl;
	}
	flush_raw(out, &raw, prev_cs);
	text_to_utf8(out, NULL, plain, (size_t)(end - plain));
	buf_fini(&raw);
}
