/* zone_parse.c - rbldnsd dataset files into a zone builder: ip4set/ip4tset/ip4trie,
 * ip6trie/ip6tset, dnset and generic, with the specials $SOA, $NS, $TTL, ":A:TXT" default
 * lines, per-entry values and '!' exclusions.
 *
 * Each bad line is reported to the warn callback (file, line, reason) and skipped, as rbldnsd's
 * dswarn does; only an unreadable file fails a load. Entries are collected raw here; overlaps,
 * exclusions and ordering are resolved by zone_builder_build (zone_build.c). */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "repute/alloc.h"
#include "repute/strutil.h"
#include "repute/zone.h"

#include "zone_int.h"

/* Per-file parse state: rbldnsd's defaults last to the end of the current file. */
struct zp_state {
	struct zone_builder *b;
	struct zb_dataset *ds;
	const char *file;
	unsigned long line;
	zone_warn_fn warn;
	void *ctx;
	uint8_t def_a[4];
	const char *def_txt;  /* points into the line buffer copy held in def_txt_buf */
	char *def_txt_buf;
	bool def_has_txt;
	uint32_t *ttl;        /* the dataset's $TTL */
	/* the last value interned, reused while lines repeat it (most lines use the defaults) */
	const char *last_txt;
	size_t last_tlen;
	uint8_t last_a[4];
	uint32_t last_ttl, last_val;
	bool last_has_txt, last_valid;
};

/* zp_warn - report one bad line. */
static void zp_warn(struct zp_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void zp_warn(struct zp_state *st, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->b->warnings++;
	if (st->warn)
		st->warn(st->ctx, st->file, st->line, msg);
}

/* zone_builder_new - an empty builder for zone. */
struct zone_builder *zone_builder_new(const char *zone)
{
	uint8_t wire[DNS_MAXNAME];
	int n = dns_name_from_text(zone, wire);

	if (n < 0)
		return NULL;
	struct zone_builder *b = xcalloc(1, sizeof(*b));
	memcpy(b->zone, wire, (size_t)n);
	b->zlen = (size_t)n;
	buf_init(&b->strings);
	b->def_ttl = ZONE_DEFAULT_TTL;
	return b;
}

/* zone_builder_free - release a builder; NULL is fine. */
struct zone_builder *zone_builder_free(struct zone_builder *b)
{
	if (b == NULL)
		return NULL;
	for (unsigned i = 0; i < b->nds; i++) {
		xfree(b->ds[i].r);
		xfree(b->ds[i].d);
	}
	buf_fini(&b->strings);
	xfree(b->values);
	xfree(b->vtab);
	xfree(b);
	return NULL;
}

/* zone_builder_set_ttl - default TTL for datasets without $TTL. */
void zone_builder_set_ttl(struct zone_builder *b, uint32_t ttl)
{
	b->def_ttl = ttl;
}

/* zone_builder_set_serial - force the SOA serial. */
void zone_builder_set_serial(struct zone_builder *b, uint32_t serial)
{
	b->serial_forced = true;
	b->serial = serial;
}

/* zone_builder_warnings - bad lines so far. */
unsigned long zone_builder_warnings(const struct zone_builder *b)
{
	return b->warnings;
}

/* parse_time - seconds with an optional unit s, m, h, d, w; false if malformed. */
static bool parse_time(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s)
		return false;
	switch (tolower((unsigned char)*end)) {
	case 'w': v *= 7; /* fall through */
	case 'd': v *= 24; /* fall through */
	case 'h': v *= 60; /* fall through */
	case 'm': v *= 60; end++; break;
	case 's': end++; break;
	default: break;
	}
	if (*end != 0 || v > 0x7fffffffUL)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* next_word - split off the next blank-separated word of *s (NUL-terminating it). */
static char *next_word(char **s)
{
	char *p = *s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == 0)
		return NULL;
	char *w = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = 0;
	*s = p;
	return w;
}

/* name_string - a text domain name as a wire name in the string table. */
static bool name_string(struct zone_builder *b, const char *text, uint32_t *off, uint32_t *len)
{
	uint8_t wire[DNS_MAXNAME];
	int n = dns_name_from_text(text, wire);

	if (n <= 1)
		return false;
	*off = zb_string(b, wire, (size_t)n);
	*len = (uint32_t)n;
	return true;
}

/* special_soa - "$SOA ttl origin person serial refresh retry expire minttl" (first one wins). */
static void special_soa(struct zp_state *st, char *args)
{
	struct zone_builder *b = st->b;
	char *w[8];
	uint32_t t[8] = { 0 };

	for (int i = 0; i < 8; i++)
		if ((w[i] = next_word(&args)) == NULL) {
			zp_warn(st, "$SOA needs 8 fields");
			return;
		}
	for (int i = 0; i < 8; i++)
		if (i != 1 && i != 2 && !parse_time(w[i], &t[i])) {
			zp_warn(st, "$SOA: bad number \"%s\"", w[i]);
			return;
		}
	if (b->have_soa)
		return;
	if (!name_string(b, w[1], &b->mname_off, &b->mname_len) ||
	    !name_string(b, w[2], &b->rname_off, &b->rname_len)) {
		zp_warn(st, "$SOA: bad name");
		return;
	}
	b->have_soa = true;
	b->soa_ttl = t[0] ? t[0] : *st->ttl;
	b->soa_serial = t[3];
	b->refresh = t[4], b->retry = t[5], b->expire = t[6], b->minimum = t[7];
}

/* special_ns - "$NS ttl ns..." (first one wins; "-name" is skipped). */
static void special_ns(struct zp_state *st, char *args)
{
	struct zone_builder *b = st->b;
	char *w = next_word(&args);
	uint32_t ttl;

	if (w == NULL || !parse_time(w, &ttl)) {
		zp_warn(st, "$NS: bad TTL");
		return;
	}
	if (b->have_ns)
		return;
	b->have_ns = true;
	b->ns_ttl = ttl ? ttl : *st->ttl;
	while ((w = next_word(&args)) != NULL && b->n_ns < ZONE_MAXNS) {
		if (w[0] == '-')
			continue;
		if (!name_string(b, w, &b->ns_off[b->n_ns], &b->ns_len[b->n_ns]))
			zp_warn(st, "$NS: bad name \"%s\"", w);
		else
			b->n_ns++;
	}
}

/* special_line - a line starting with '$' (after "#" or ":" if any). */
static void special_line(struct zp_state *st, char *s)
{
	char *kw = next_word(&s);

	if (kw == NULL)
		return;
	if (strcasecmp(kw, "SOA") == 0)
		special_soa(st, s);
	else if (strcasecmp(kw, "NS") == 0)
		special_ns(st, s);
	else if (strcasecmp(kw, "TTL") == 0) {
		char *w = next_word(&s);
		if (w == NULL || !parse_time(w, st->ttl))
			zp_warn(st, "$TTL: bad value");
	} else
		zp_warn(st, "special $%s is not supported; line ignored", kw);
}

/* parse_a - an A value: "127.0.0.2", or "2" for 127.0.0.2; empty keeps dflt. */
static bool parse_a(const char *s, size_t n, const uint8_t dflt[4], uint8_t out[4])
{
	char tmp[32];

	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0) {
		memcpy(out, dflt, 4);
		return true;
	}
	if (n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (strchr(tmp, '.') == NULL) {
		char *end;
		unsigned long v = strtoul(tmp, &end, 10);
		if (*end || v > 255)
			return false;
		out[0] = 127, out[1] = 0, out[2] = 0, out[3] = (uint8_t)v;
		return true;
	}
	return inet_pton(AF_INET, tmp, out) == 1;
}

/* parse_value - ":A:TXT", ":A", or plain "TXT" after an entry; fills a and txt. */
static bool parse_value(struct zp_state *st, char *s, uint8_t a[4], const char **txt, size_t *tlen,
			bool *has_txt)
{
	while (*s == ' ' || *s == '\t')
		s++;
	memcpy(a, st->def_a, 4);
	*txt = st->def_txt;
	*tlen = st->def_txt ? strlen(st->def_txt) : 0;
	*has_txt = st->def_has_txt;
	if (*s == 0 || *s == '#' || *s == ';')
		return true;
	if (*s != ':') {
		*txt = str_trim(s);
		*tlen = strlen(*txt);
		*has_txt = *tlen > 0;
		return true;
	}
	s++;
	char *colon = strchr(s, ':');
	size_t alen = colon ? (size_t)(colon - s) : strlen(s);
	if (!parse_a(s, alen, st->def_a, a))
		return false;
	if (colon == NULL) {
		*has_txt = false;
		return true;
	}
	*txt = str_trim(colon + 1);
	*tlen = strlen(*txt);
	*has_txt = *tlen > 0;
	return true;
}

/* default_line - ":A:TXT" sets the defaults for the rest of the file. */
static void default_line(struct zp_state *st, char *s)
{
	uint8_t a[4];
	const char *txt;
	size_t tlen;
	bool has_txt;
	static const uint8_t listed[4] = { 127, 0, 0, 2 };

	memcpy(st->def_a, listed, 4);
	st->def_txt = NULL;
	st->def_has_txt = false;
	if (!parse_value(st, s, a, &txt, &tlen, &has_txt)) {
		zp_warn(st, "bad default A value");
		return;
	}
	memcpy(st->def_a, a, 4);
	st->last_valid = false;
	xfree(st->def_txt_buf);
	st->def_txt_buf = has_txt ? xmemdup0(txt, tlen) : NULL;
	st->def_txt = st->def_txt_buf;
	st->def_has_txt = has_txt;
}

/* add_range - append a raw interval with its value to an IP dataset. */
static void add_range(struct zp_state *st, zu128 lo, zu128 hi, uint32_t val)
{
	struct zb_dataset *ds = st->ds;

	if (ds->nr == ds->capr) {
		ds->capr = ds->capr ? ds->capr * 2 : 1024;
		ds->r = xreallocarray(ds->r, ds->capr, sizeof(*ds->r));
	}
	ds->r[ds->nr++] = (struct zb_range){ lo, hi, val, st->b->seq++ };
}

/* parse_octets - "a", "a.b", "a.b.c" or "a.b.c.d" into v (missing octets 0); count in *n. */
static bool parse_octets(const char *s, const char *end, uint32_t *v, int *n)
{
	*v = 0;
	*n = 0;
	while (s < end) {
		unsigned o = 0;
		int digits = 0;
		while (s < end && *s >= '0' && *s <= '9' && digits < 4)
			o = o * 10 + (unsigned)(*s++ - '0'), digits++;
		if (digits == 0 || digits > 3 || o > 255 || *n == 4)
			return false;
		*v |= o << (24 - 8 * *n);
		(*n)++;
		if (s < end && *s++ != '.')
			return false;
		if (s == end && end[-1] == '.')
			return false;
	}
	return *n > 0;
}

/* parse_ip4 - the forms of an ip4set entry: prefix, a.b.c.d, CIDR, and prefix ranges. */
static bool parse_ip4(const char *s, uint32_t *lo, uint32_t *hi, const char **why)
{
	const char *end = s + strlen(s), *slash = strchr(s, '/'), *dash = strchr(s, '-');
	uint32_t v, v2;
	int n, n2;

	*why = "bad IPv4 address";
	if (slash) {
		char *e;
		unsigned long len = strtoul(slash + 1, &e, 10);
		if (*e || slash[1] == 0 || len > 32 || !parse_octets(s, slash, &v, &n))
			return false;
		uint32_t mask = len ? ~0u << (32 - len) : 0;
		if (v & ~mask) {
			*why = "CIDR prefix has host bits set";
			return false;
		}
		*lo = v, *hi = v | ~mask;
		return true;
	}
	if (dash) {
		if (!parse_octets(s, dash, &v, &n) || !parse_octets(dash + 1, end, &v2, &n2))
			return false;
		if (n2 == 1 && n > 1) {
			/* "127.16-31": the single octet replaces the last one given */
			int shift = 24 - 8 * (n - 1);
			v2 = (v & ~(0xffu << shift)) | (v2 >> 24 << shift);
			n2 = n;
		}
		*lo = v;
		*hi = v2 | (n2 == 4 ? 0 : ~0u >> (8 * n2));
		if (*hi < *lo) {
			*why = "range ends before it starts";
			return false;
		}
		return true;
	}
	if (!parse_octets(s, end, &v, &n))
		return false;
	*lo = v;
	*hi = v | (n == 4 ? 0 : ~0u >> (8 * n));
	return true;
}

/* u128_from - 16 big-endian bytes as a number. */
static zu128 u128_from(const uint8_t b[16])
{
	zu128 x = 0;
	for (int i = 0; i < 16; i++)
		x = x << 8 | b[i];
	return x;
}

/* parse_ip6 - "2001:db8::/32", "2001:21ab:c000/36" (trailing groups omitted), "::1",
 * four groups as a /64 (ip6tset). */
static bool parse_ip6(const char *s, zu128 *lo, zu128 *hi, const char **why)
{
	char tmp[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint8_t b[16] = { 0 };
	unsigned long len = 128;

	*why = "bad IPv6 address";
	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (strstr(tmp, "::")) {
		if (inet_pton(AF_INET6, tmp, b) != 1)
			return false;
	} else {
		int groups = 0;
		for (char *save, *g = strtok_r(tmp, ":", &save); g; g = strtok_r(NULL, ":", &save)) {
			char *e;
			unsigned long x = strtoul(g, &e, 16);
			if (*e || e == g || strlen(g) > 4 || groups == 8)
				return false;
			b[2 * groups] = (uint8_t)(x >> 8), b[2 * groups + 1] = (uint8_t)x;
			groups++;
		}
		len = 16 * (unsigned long)groups;
	}
	if (slash) {
		char *e;
		len = strtoul(slash + 1, &e, 10);
		if (*e || slash[1] == 0 || len > 128)
			return false;
	}
	zu128 v = u128_from(b), mask = len ? ~(zu128)0 << (128 - len) : 0;
	if (v & ~mask) {
		*why = "CIDR prefix has host bits set";
		return false;
	}
	*lo = v, *hi = v | ~mask;
	return true;
}

/* entry_value - intern the value for an entry line. */
static bool entry_value(struct zp_state *st, char *rest, uint32_t *val)
{
	uint8_t a[4];
	const char *txt;
	size_t tlen;
	bool has_txt;

	if (!parse_value(st, rest, a, &txt, &tlen, &has_txt)) {
		zp_warn(st, "bad A value");
		return false;
	}
	if (tlen > 4000) {
		zp_warn(st, "TXT longer than 4000 bytes");
		return false;
	}
	if (st->last_valid && txt == st->last_txt && tlen == st->last_tlen && has_txt == st->last_has_txt &&
	    *st->ttl == st->last_ttl && memcmp(a, st->last_a, 4) == 0) {
		*val = st->last_val;
		return true;
	}
	*val = zb_value(st->b, a, *st->ttl, txt, tlen, has_txt);
	/* only the defaults' text outlives this line, so only it may be remembered */
	st->last_valid = txt == st->def_txt;
	st->last_txt = txt, st->last_tlen = tlen, st->last_has_txt = has_txt;
	st->last_ttl = *st->ttl, st->last_val = *val;
	memcpy(st->last_a, a, 4);
	return true;
}

/* ip_line - one IPv4 or IPv6 entry. */
static void ip_line(struct zp_state *st, char *s)
{
	bool excl;
	char *rest, *glued = NULL;
	const char *why;
	zu128 lo, hi;
	uint32_t val = ZS_EXCLUDED;

	char *e = s + (*s == '!');
	while (*e && *e != ' ' && *e != '\t' && *e != ';' && *e != '#' && !(*e == ':' && st->ds->kind == ZS_IP4))
		e++;
	if (*e == ':' || *e == ';' || *e == '#')
		glued = e;
	excl = *s == '!';
	rest = *e ? e + (glued ? 0 : 1) : e;
	char word[80];
	size_t wl = (size_t)(e - s - excl);
	if (wl == 0 || wl >= sizeof(word)) {
		zp_warn(st, "bad entry");
		return;
	}
	memcpy(word, s + excl, wl);
	word[wl] = 0;
	if (st->ds->kind == ZS_IP4) {
		uint32_t l4, h4;
		if (!parse_ip4(word, &l4, &h4, &why)) {
			zp_warn(st, "%s \"%s\"", why, word);
			return;
		}
		lo = l4, hi = h4;
	} else if (!parse_ip6(word, &lo, &hi, &why)) {
		zp_warn(st, "%s \"%s\"", why, word);
		return;
	}
	if (!excl && !entry_value(st, rest, &val))
		return;
	add_range(st, lo, hi, val);
}

/* add_dom - append a domain entry to a dnset or generic dataset. */
static struct zb_dom *add_dom(struct zp_state *st, const uint8_t *wire, size_t n, uint8_t kind, uint32_t val)
{
	struct zb_dataset *ds = st->ds;

	if (ds->nd == ds->capd) {
		ds->capd = ds->capd ? ds->capd * 2 : 256;
		ds->d = xreallocarray(ds->d, ds->capd, sizeof(*ds->d));
	}
	struct zb_dom *d = &ds->d[ds->nd++];
	memset(d, 0, sizeof(*d));
	d->hash = zs_name_hash(wire, n);
	d->name_off = zb_string(st->b, wire, n);
	d->name_len = (uint16_t)n;
	d->kind = kind;
	d->val = val;
	d->seq = st->b->seq++;
	return d;
}

/* dom_wire - a relative domain name as labels without the root; false if invalid. */
static bool dom_wire(const char *text, uint8_t *out, size_t *n)
{
	int len = dns_name_from_text(text, out);

	if (len <= 1)
		return false;
	*n = (size_t)len - 1;
	return true;
}

/* dnset_line - "name", "*.name", ".name", with '!' exclusions and a value. */
static void dnset_line(struct zp_state *st, char *s)
{
	bool excl = false, wild = false, both = false;
	uint8_t wire[DNS_MAXNAME];
	size_t n;
	uint32_t val = ZS_EXCLUDED;

	if (*s == '!')
		excl = true, s++;
	if (s[0] == '*' && s[1] == '.')
		wild = true, s += 2;
	else if (s[0] == '.')
		both = true, s++;
	char *e = s;
	while (*e && *e != ' ' && *e != '\t' && *e != ':' && *e != '#' && *e != ';')
		e++;
	char c = *e;
	*e = 0;
	if (!dom_wire(s, wire, &n)) {
		zp_warn(st, "bad domain name \"%s\"", s);
		return;
	}
	*e = c;
	if (!excl && !entry_value(st, e, &val))
		return;
	if (!wild)
		add_dom(st, wire, n, ZS_DOM_EXACT, val);
	if (wild || both)
		add_dom(st, wire, n, ZS_DOM_WILD, val);
}

/* generic_line - "name [ttl] A|TXT value" relative to the zone ("@" is the apex). */
static void generic_line(struct zp_state *st, char *s)
{
	char *name = next_word(&s), *w = next_word(&s);
	uint32_t ttl = *st->ttl;
	uint8_t wire[DNS_MAXNAME];
	size_t n = 0;

	if (name == NULL || w == NULL) {
		zp_warn(st, "generic: need name, type and value");
		return;
	}
	if (isdigit((unsigned char)w[0])) {
		if (!parse_time(w, &ttl) || (w = next_word(&s)) == NULL) {
			zp_warn(st, "generic: bad TTL");
			return;
		}
	}
	if (strcmp(name, "@") != 0 && !dom_wire(name, wire, &n)) {
		zp_warn(st, "generic: bad name \"%s\"", name);
		return;
	}
	char *val = str_trim(s);
	if (strcasecmp(w, "A") == 0) {
		uint8_t a[4];
		if (inet_pton(AF_INET, val, a) != 1) {
			zp_warn(st, "generic: bad A value \"%s\"", val);
			return;
		}
		struct zb_dom *d = add_dom(st, wire, n, ZS_DOM_EXACT, 0);
		memcpy(d->a, a, 4);
		d->flags = ZV_A;
		d->ttl = ttl;
	} else if (strcasecmp(w, "TXT") == 0) {
		size_t l = strlen(val);
		if (l >= 2 && val[0] == '"' && val[l - 1] == '"')
			val++, l -= 2;
		if (l > 4000) {
			zp_warn(st, "generic: TXT too long");
			return;
		}
		struct zb_dom *d = add_dom(st, wire, n, ZS_DOM_EXACT, 0);
		d->txt_off = zb_string(st->b, val, l);
		d->txt_len = (uint16_t)l;
		d->flags = ZV_TXT;
		d->ttl = ttl;
	} else
		zp_warn(st, "generic: record type %s is not supported", w);
}

/* parse_line - dispatch one line (already without its newline). */
static void parse_line(struct zp_state *st, char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	if (n == 0)
		return;
	if (s[0] == '$')
		return special_line(st, s + 1);
	if ((s[0] == '#' || s[0] == ':' || s[0] == ';') && s[1] == '$')
		return special_line(st, s + 2);
	if (s[0] == '#' || s[0] == ';')
		return;
	if (s[0] == ':' && !st->ds->generic) {
		if (st->ds->kind == ZS_IP6 && s[1] == ':')
			return ip_line(st, s); /* "::1" is an address */
		return default_line(st, s);
	}
	if (st->ds->generic)
		generic_line(st, s);
	else if (st->ds->kind == ZS_DOM)
		dnset_line(st, s);
	else
		ip_line(st, s);
}

/* parse_text - all lines of one file (modified in place) into the current dataset. */
static void parse_text(struct zp_state *st, char *text, size_t len)
{
	char *p = text, *end = text + len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p[n] = 0;
		st->line++;
		parse_line(st, p);
		p += n + 1;
	}
}

/* dataset_kind - the kind for an rbldnsd type name; false when unknown. */
static bool dataset_kind(const char *type, enum zs_kind *kind, bool *generic)
{
	*generic = false;
	if (!strcmp(type, "ip4set") || !strcmp(type, "ip4tset") || !strcmp(type, "ip4trie"))
		*kind = ZS_IP4;
	else if (!strcmp(type, "ip6trie") || !strcmp(type, "ip6tset"))
		*kind = ZS_IP6;
	else if (!strcmp(type, "dnset"))
		*kind = ZS_DOM;
	else if (!strcmp(type, "generic"))
		*kind = ZS_DOM, *generic = true;
	else
		return false;
	return true;
}

/* begin_dataset - start a new dataset of type. */
static int begin_dataset(struct zone_builder *b, const char *type, struct rp_diag *diag)
{
	enum zs_kind kind;
	bool generic;

	if (!dataset_kind(type, &kind, &generic)) {
		rp_diag_set(diag, 0, 0, "unsupported dataset type \"%s\"", type);
		return RP_EUNSUPP;
	}
	if (b->nds == ZONE_MAXDS) {
		rp_diag_set(diag, 0, 0, "more than %d datasets", ZONE_MAXDS);
		return RP_ETOOBIG;
	}
	struct zb_dataset *ds = &b->ds[b->nds++];
	memset(ds, 0, sizeof(*ds));
	ds->kind = kind;
	ds->generic = generic;
	return RP_OK;
}

/* run_file - parse one file's text with fresh per-file defaults. */
static void run_file(struct zone_builder *b, const char *name, char *text, size_t len,
		     uint32_t *ttl, zone_warn_fn warn, void *ctx)
{
	struct zp_state st = { .b = b, .ds = &b->ds[b->nds - 1], .file = name, .warn = warn, .ctx = ctx,
			       .def_a = { 127, 0, 0, 2 }, .ttl = ttl };
	parse_text(&st, text, len);
	xfree(st.def_txt_buf);
}

/* zone_builder_load_text - one dataset from memory. */
int zone_builder_load_text(struct zone_builder *b, const char *type, const char *name, const char *text,
			   size_t len, zone_warn_fn warn, void *ctx, struct rp_diag *diag)
{
	int rc = begin_dataset(b, type, diag);
	uint32_t ttl = b->def_ttl;

	if (rc == RP_OK) {
		char *copy = xmemdup0(text, len);
		run_file(b, name, copy, len, &ttl, warn, ctx);
		xfree(copy);
	}
	return rc;
}

/* zone_builder_load - one dataset from its files, read as one. */
int zone_builder_load(struct zone_builder *b, const char *type, const char *const *paths, size_t npaths,
		      zone_warn_fn warn, void *ctx, struct rp_diag *diag)
{
	int rc = begin_dataset(b, type, diag);
	uint32_t ttl = b->def_ttl;

	for (size_t i = 0; rc == RP_OK && i < npaths; i++) {
		char *text;
		size_t len;
		struct stat sb;
		if (file_read_all(paths[i], (size_t)1 << 31, &text, &len) != RP_OK) {
			rp_diag_set(diag, 0, 0, "%s: cannot read", paths[i]);
			b->nds--;
			xfree(b->ds[b->nds].r);
			xfree(b->ds[b->nds].d);
			return RP_EIO;
		}
		if (stat(paths[i], &sb) == 0 && sb.st_mtime > b->newest_mtime)
			b->newest_mtime = sb.st_mtime;
		run_file(b, paths[i], text, len, &ttl, warn, ctx);
		xfree(text);
	}
	return rc;
}
