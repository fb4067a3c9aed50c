/* extract_phone.c - phone numbers in text, normalised to E.164.
 *
 * rp_phone_normalize() turns one written number into "+<cc><national>": an explicit
 * "+CC" or "00CC" prefix is checked against a table of country calling codes, otherwise
 * the default country applies. China (+86) is validated strictly (mobile 1[3-9] plus 9
 * digits, landline with a 0 trunk and area code, 400/800 service numbers); NANP (+1) by
 * its area/exchange rules; other countries by length only (7..15 digits in all).
 * extract_phones() finds candidates (digit groups joined by short "-. ()" separators),
 * rejects dates, times, prices, IP addresses and digit runs longer than 15, and tries the
 * longest valid sub-sequence of groups so "call 2 138 0013 8000" still yields the number. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "repute/ascii.h"
#include "repute/error.h"
#include "repute/extract.h"
#include "extract_priv.h"

#define PHONE_MAX_DIGITS 15
#define PHONE_MAX_GROUPS 8

/* Assigned country calling codes (ITU-T E.164); the set is prefix-free. */
static const char *const cc_table =
	" 1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58"
	" 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 211 212 213 216 218 220 221"
	" 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242"
	" 243 244 245 246 247 248 249 250 251 252 253 254 255 256 257 258 260 261 262 263 264"
	" 265 266 267 268 269 290 291 297 298 299 350 351 352 353 354 355 356 357 358 359 370"
	" 371 372 373 374 375 376 377 378 379 380 381 382 383 385 386 387 389 420 421 423 500"
	" 501 502 503 504 505 506 507 508 509 590 591 592 593 594 595 596 597 598 599 670 672"
	" 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692 800 808"
	" 850 852 853 855 856 870 878 880 881 882 883 886 888 960 961 962 963 964 965 966 967"
	" 968 970 971 972 973 974 975 976 977 979 992 993 994 995 996 998 ";

/* cc_len - length (1..3) of the country code that digits start with, or 0. */
static size_t cc_len(const char *digits)
{
	char key[6];

	for (size_t n = 1; n <= 3 && digits[n - 1]; n++) {
		snprintf(key, sizeof(key), " %.*s ", (int)n, digits);
		if (strstr(cc_table, key) != NULL)
			return n;
	}
	return 0;
}

/* cn_ok - a Chinese national number (without trunk 0); trunk says whether a 0 was written. */
static bool cn_ok(const char *nsn, bool domestic, bool trunk)
{
	size_t n = strlen(nsn);

	if (!trunk && n == 11 && nsn[0] == '1' && nsn[1] >= '3' && nsn[1] <= '9')
		return true;
	if (!trunk && n == 10 && (strncmp(nsn, "400", 3) == 0 || strncmp(nsn, "800", 3) == 0))
		return true;
	if (domestic && !trunk)
		return false;
	if (nsn[0] == '1')
		return nsn[1] == '0' && n == 10;
	if (nsn[0] == '2')
		return n == 10;
	return nsn[0] >= '3' && nsn[0] <= '9' && (n == 10 || n == 11);
}

/* nanp_ok - a North American number: NPA and exchange start with 2..9. */
static bool nanp_ok(const char *nsn)
{
	return strlen(nsn) == 10 && nsn[0] >= '2' && nsn[3] >= '2';
}

/* fold_digits - the digits of text (full-width folded); "+" or "00" and "(0)" noted. */
static int fold_digits(const char *text, char *digits, size_t cap, bool *intl)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = 0;
	bool seen_digit = false;

	*intl = false;
	for (size_t i = 0; s[i];) {
		unsigned c = s[i];
		size_t cl = 1;
		if (c == 0xEF && s[i + 1] == 0xBC && s[i + 2] >= 0x81 && s[i + 2] <= 0xBF) {
			c = (unsigned)s[i + 2] - 0x80 + 0x20; /* U+FF01..FF3F -> '!'..'_' */
			cl = 3;
		}
		if (c == '+' && !seen_digit && !*intl) {
			*intl = true;
		} else if (isdigit(c)) {
			if (n + 1 >= cap)
				return RP_EINVAL;
			digits[n++] = (char)c;
			seen_digit = true;
		} else if (c == '(' && *intl && s[i + cl] == '0' && s[i + cl + 1] == ')' && seen_digit) {
			cl += 2; /* "+44 (0)20": the trunk 0 is not dialled from abroad */
		} else if (!strchr(" -.()/\t", (int)c)) {
			return RP_EINVAL;
		}
		i += cl;
	}
	digits[n] = '\0';
	return n == 0 ? RP_EINVAL : 0;
}

/* nanp_style - written the North American way: "1-800-555-0123", "1 (800) 555 0123" or
 * "(800) 555-0123"; such numbers are +1 whatever the default country. */
static bool nanp_style(const char *text)
{
	size_t run[5], n = 0, len = 0;
	bool paren_first = false;

	for (const char *p = text;; p++) {
		if (*p >= '0' && *p <= '9') {
			len++;
			continue;
		}
		if (len > 0) {
			if (n == 5)
				return false;
			run[n++] = len;
			len = 0;
		}
		if (*p == '(' && n == 0)
			paren_first = true;
		if (*p == '\0')
			break;
		if (*p == '+')
			return false;
	}
	if (n == 4 && run[0] == 1 && text[strcspn(text, "0123456789")] == '1')
		return run[1] == 3 && run[2] == 3 && run[3] == 4;
	return n == 3 && paren_first && run[0] == 3 && run[1] == 3 && run[2] == 4;
}

/* rp_phone_normalize - E.164 form of a written number, or RP_EINVAL when it is not one. */
int rp_phone_normalize(const char *text, const char *default_cc, char *out, size_t outlen)
{
	char digits[40], cc[4];
	const char *nsn;
	bool intl, ok;
	size_t cl;

	if (text == NULL || fold_digits(text, digits, sizeof(digits), &intl) != 0)
		return RP_EINVAL;
	if (default_cc == NULL || *default_cc == '\0')
		default_cc = "86";
	if (*default_cc == '+')
		default_cc++;
	nsn = digits;
	if (!intl && strncmp(digits, "00", 2) == 0 && digits[2] != '0') {
		intl = true;
		nsn = digits + 2;
	}
	if (intl) {
		if ((cl = cc_len(nsn)) == 0)
			return RP_EINVAL;
		snprintf(cc, sizeof(cc), "%.*s", (int)cl, nsn);
		nsn += cl;
		if (strcmp(cc, "86") == 0 && nsn[0] == '0')
			nsn++;
	} else if (nanp_style(text)) {
		snprintf(cc, sizeof(cc), "1");
	} else {
		snprintf(cc, sizeof(cc), "%.3s", default_cc);
	}
	if (strlen(cc) + strlen(nsn) > PHONE_MAX_DIGITS || strlen(cc) + strlen(nsn) < 7 || strlen(nsn) < 4)
		return RP_EINVAL;
	if (strcmp(cc, "86") == 0) {
		bool trunk = !intl && nsn[0] == '0';
		ok = cn_ok(nsn + trunk, !intl, trunk);
		nsn += trunk;
	} else if (strcmp(cc, "1") == 0) {
		if (!intl && strlen(nsn) == 11 && nsn[0] == '1')
			nsn++;
		ok = nanp_ok(nsn);
	} else {
		if (!intl && nsn[0] == '0')
			nsn++;
		ok = strlen(nsn) >= 6 && nsn[0] != '0';
	}
	if (!ok || (size_t)snprintf(out, outlen, "+%s%s", cc, nsn) >= outlen)
		return RP_EINVAL;
	return 0;
}

struct groups {
	size_t n;
	size_t at[PHONE_MAX_GROUPS], end[PHONE_MAX_GROUPS];
	bool too_long; /* a digit run longer than PHONE_MAX_DIGITS: no phone in here */
	bool dotted;   /* some separator holds a '.' */
};

/* sep_end - end of a separator between digit groups at i (1..3 bytes of " -.()"), or i. */
static size_t sep_end(const char *t, size_t i, size_t len, bool *dot)
{
	size_t j = i;
	int spaces = 0;

	while (j < len && j - i < 3 && strchr(" -.()", t[j]) && t[j] != '\0') {
		spaces += t[j] == ' ';
		*dot |= t[j] == '.';
		j++;
	}
	if (j < len && isdigit((unsigned char)t[j]) && spaces <= 2)
		return j;
	return i;
}

/* find_groups - digit groups of a candidate starting at the digit at i. */
static void find_groups(const char *t, size_t i, size_t len, struct groups *g)
{
	size_t j = i;

	memset(g, 0, sizeof(*g));
	while (g->n < PHONE_MAX_GROUPS) {
		size_t s = j, k;
		bool dot = false;
		while (j < len && isdigit((unsigned char)t[j]))
			j++;
		if (j - s > PHONE_MAX_DIGITS)
			g->too_long = true;
		g->at[g->n] = s;
		g->end[g->n++] = j;
		k = sep_end(t, j, len, &dot);
		if (k == j)
			break;
		g->dotted |= dot;
		j = k;
	}
	while (g->too_long == false && j < len && isdigit((unsigned char)t[j]))
		j++; /* more groups than we look at: treat the tail as one run */
}

/* looks_like_ip - four dotted groups of one to three digits. */
static bool looks_like_ip(const struct groups *g)
{
	if (!g->dotted || g->n < 4)
		return false;
	for (size_t k = 0; k < 4; k++)
		if (g->end[k] - g->at[k] > 3)
			return false;
	return true;
}

/* bad_after - what follows the number makes it a decimal, time, code or percentage. */
static bool bad_after(const char *t, size_t j, size_t len)
{
	if (j >= len)
		return false;
	if (isalnum((unsigned char)t[j]) || t[j] == '%' || t[j] == '_' || t[j] == '@')
		return true;
	return j + 1 < len && strchr(".,:/", t[j]) && isdigit((unsigned char)t[j + 1]);
}

/* bad_before - what precedes the number makes it a price, code or part of something else. */
static bool bad_before(const char *t, size_t i)
{
	const unsigned char *s = (const unsigned char *)t;

	if (i == 0)
		return false;
	if (isalnum(s[i - 1]) || (s[i - 1] != 0 && strchr("$#_/@&=%\\", s[i - 1])))
		return true;
	if (strchr(".,-:", s[i - 1]) && i >= 2 && isdigit(s[i - 2]))
		return true;
	if (i >= 2 && s[i - 2] == 0xC2 && (s[i - 1] == 0xA5 || s[i - 1] == 0xA3)) /* yen, pound */
		return true;
	if (i >= 3 && ((s[i - 3] == 0xE2 && s[i - 2] == 0x82 && s[i - 1] == 0xAC) || /* euro */
		       (s[i - 3] == 0xEF && s[i - 2] == 0xBF && s[i - 1] == 0xA5)))  /* full-width yen */
		return true;
	return false;
}

/* try_groups - longest valid number in groups [gs, ge); its end index or 0. */
static size_t try_groups(struct rp_extractor *x, struct rp_extract *e, const char *t, size_t len, size_t start,
			 const struct groups *g, size_t gs)
{
	char buf[80], out[24];

	for (size_t ge = g->n; ge > gs; ge--) {
		size_t from = gs == 0 ? start : g->at[gs], n = g->end[ge - 1] - from;
		if (n >= sizeof(buf) || bad_after(t, g->end[ge - 1], len))
			continue;
		memcpy(buf, t + from, n);
		buf[n] = '\0';
		if (rp_phone_normalize(buf, x->default_cc, out, sizeof(out)) == 0) {
			extract_add_phone(e, out);
			return g->end[ge - 1];
		}
	}
	return 0;
}

/* phone_at - a number starting at i ('+', '(' or a digit); returns where to continue. */
static size_t phone_at(struct rp_extractor *x, struct rp_extract *e, const char *t, const unsigned char *m,
		       size_t i, size_t len)
{
	size_t d = i, end;
	struct groups g;

	while (d < len && d - i < 3 && (t[d] == '+' || t[d] == '(' || t[d] == ' '))
		d++;
	if (d >= len || !isdigit((unsigned char)t[d]) || bad_before(t, i))
		return d + 1;
	find_groups(t, d, len, &g);
	end = g.end[g.n - 1];
	if (g.too_long || looks_like_ip(&g))
		return end;
	for (size_t k = d; k < end; k++)
		if (m[k] & XM_USED)
			return end;
	for (size_t gs = 0; gs < g.n; gs++) {
		size_t r;
		if (gs > 0 && !memchr(t + g.end[gs - 1], ' ', g.at[gs] - g.end[gs - 1]))
			continue; /* a later group only starts a number after a space */
		r = try_groups(x, e, t, len, i, &g, gs);
		if (r > 0)
			return r;
	}
	return end;
}

/* extract_phones - every phone number in text not already used by a URL or address. */
void extract_phones(struct rp_extractor *x, struct rp_extract *e, const char *t, const unsigned char *m,
		    size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)t[i];
		if ((m[i] & XM_USED) || !(ascii_is(c, ASCII_DIGIT) || c == '+' || c == '(')) {
			i++;
			continue;
		}
		i = phone_at(x, e, t, m, i, len);
	}
}
