/* received.c - parse one Received: header value into a relay hop (struct rp_received).
 *
 * A hand-written scanner, no regular expressions: the value is copied once into the arena
 * (CR/LF become spaces), cut into words, parenthesised comments and ';', and read clause by
 * clause (from, by, with, id, for, via, then the date after ';'). The "from" clause is kept
 * as a short token list and interpreted at the end, because MTAs order its parts differently:
 *   Postfix/Sendmail  from HELO (RDNS [IP])            from HELO (ident@RDNS [IP] (may be forged))
 *   Exim 4            from RDNS ([IP]:port helo=HELO)  from [IP] (helo=HELO)
 *   Exim 3, GMX       from RDNS (HELO) [IP]            from RDNS (EHLO HELO) [IP]
 *   qmail             from RDNS (HELO helo) (ident@IP) from RDNS (IP)
 *   CommuniGate       from RDNS ([IP] verified)        from [IP] (account x HELO helo)
 *   Microsoft         from HELO ([IP]) ... SMTPSVC     from HELO (IP) ... Microsoft SMTP Server
 *   ecelerity         from ([IP:port] helo=HELO)       smtpd: from RDNS(IP), claiming to be "HELO"
 * Every string in the result lives in the arena; absent fields are "". Input of any size is
 * accepted: only the first TOK_MAX tokens are looked at. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "repute/arena.h"
#include "repute/error.h"
#include "repute/netaddr.h"
#include "repute/received.h"

#define TOK_MAX 256   /* tokens read per header: real headers have < 60 */
#define FROM_MAX 24   /* tokens kept for the from clause */

enum tok_kind { T_WORD, T_PAREN, T_SEMI };

struct tok {
	const char *p; /* word text, or paren content without the outer parens */
	size_t n;
	enum tok_kind kind;
	bool glued;    /* no white space before it */
	bool lead_sp;  /* paren content starts with white space: "( 1.2.3.4)" */
};

struct lexer {
	const char *s; /* NUL-terminated work copy */
	size_t pos;
};

enum section { S_NONE, S_FROM, S_BY, S_BY_DONE, S_WITH, S_WITH_DONE, S_ID, S_FOR, S_VIA, S_XFROM };

/* Evidence gathered while scanning; resolved into rp_received at the end. */
struct scan {
	struct tok from[FROM_MAX];
	size_t n_from;
	bool saw_from, saw_by;
	bool exim, cgp_verified, postfix_auth, sendmail_auth, critical_path, gmx_mp, via_http;
	bool skip_local;  /* fetchmail, qmail-scanner, "with local", pickup service */
	bool ms_server;   /* "with Microsoft SMTP Server": the name is the HELO, not rDNS */
	bool coremail;
	const char *auth_login; /* "(AUTH: LOGIN x)" */
	size_t auth_login_n;
};

/* Character classes for the scanner: white space, and bytes that end a word. */
enum { C_WS = 1, C_END = 2 };
static const uint8_t char_class[256] = {
	[0] = C_END, [' '] = C_WS | C_END, ['\t'] = C_WS | C_END, ['\r'] = C_WS | C_END,
	['\n'] = C_WS | C_END, ['('] = C_END, [')'] = C_END, [';'] = C_END,
};

/* is_ws - space, tab, CR or LF. */
static inline bool is_ws(char c)
{
	return char_class[(unsigned char)c] & C_WS;
}

/* lc - ASCII lower case. */
static inline char lc(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* lex_next - next token, or false at the end. Parens nest; an unclosed one runs to the end. */
static bool lex_next(struct lexer *lx, struct tok *t)
{
	const char *s = lx->s;
	size_t i = lx->pos;
	bool glued = i > 0 && !is_ws(s[i - 1]);

	while (is_ws(s[i])) {
		i++;
		glued = false;
	}
	if (s[i] == '\0') {
		lx->pos = i;
		return false;
	}
	t->glued = glued;
	t->lead_sp = false;
	if (s[i] == ';') {
		t->kind = T_SEMI;
		t->p = s + i;
		t->n = 1;
		lx->pos = i + 1;
		return true;
	}
	if (s[i] == '(') {
		size_t depth = 1, j = i + 1;
		while (depth) {
			j += strcspn(s + j, "()");
			if (s[j] == '\0')
				break;
			depth += s[j] == '(' ? 1 : -1;
			j++;
		}
		t->kind = T_PAREN;
		t->p = s + i + 1;
		t->n = depth ? j - i - 1 : j - i - 2;
		t->lead_sp = t->n > 0 && is_ws(t->p[0]);
		lx->pos = j;
		return true;
	}
	if (s[i] == ')') { /* stray close: a one-char word */
		t->kind = T_WORD;
		t->p = s + i;
		t->n = 1;
		lx->pos = i + 1;
		return true;
	}
	size_t j = i;
	while (!(char_class[(unsigned char)s[j]] & C_END))
		j++;
	t->kind = T_WORD;
	t->p = s + i;
	t->n = j - i;
	lx->pos = j;
	return true;
}

/* tok_is - case-insensitive whole-token comparison with a literal. */
static bool tok_is(const struct tok *t, const char *lit)
{
	size_t i = 0;

	if (t->kind != T_WORD)
		return false;
	for (; i < t->n && lit[i]; i++)
		if (lc(t->p[i]) != lc(lit[i]))
			return false;
	return i == t->n && lit[i] == '\0';
}

/* mem_has - case-insensitive search for lit (lower case) in n bytes at p. */
static bool mem_has(const char *p, size_t n, const char *lit)
{
	size_t m = strlen(lit);
	for (size_t i = 0; i + m <= n; i++)
		if (lc(p[i]) == lit[0] && strncasecmp(p + i, lit, m) == 0)
			return true;
	return false;
}

/* starts_ci_n - p (n bytes) begins with lit (m bytes), ignoring case. */
static inline bool starts_ci_n(const char *p, size_t n, const char *lit, size_t m)
{
	return n >= m && lc(p[0]) == lc(lit[0]) && strncasecmp(p, lit, m) == 0;
}

/* starts_ci - the same for a string literal (its length is known at compile time). */
#define starts_ci(p, n, lit) starts_ci_n((p), (n), (lit), sizeof(lit) - 1)

/* dup_trim - copy n bytes at p, dropping surrounding <>, quotes and trailing , ; */
static const char *dup_trim(struct arena *a, const char *p, size_t n)
{
	while (n && (*p == '<' || *p == '"' || *p == '\'')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == '>' || p[n - 1] == '"' || p[n - 1] == '\'' || p[n - 1] == ',' ||
		     p[n - 1] == ';'))
		n--;
	return n ? arena_memdup0(a, p, n) : "";
}

/* parse_ip_text - an address as MTAs write it: [1.2.3.4], 1.2.3.4:25, [1.2.3.4]:25,
 * [1.2.3.4.25], [IPv6:2001:db8::1], ::ffff:1.2.3.4, fe80::1%5. */
static bool parse_ip_text(const char *p, size_t n, struct rp_addr *out, bool *bracketed, bool *port_in)
{
	char tmp[64];
	bool br = false;

	*port_in = false;
	while (n && (p[n - 1] == ',' || p[n - 1] == '.' || p[n - 1] == ';'))
		n--;
	if (n && p[0] == '[') {
		size_t close = 1;
		while (close < n && p[close] != ']')
			close++;
		if (close == n)
			return false;
		if (close + 1 < n) { /* "]:port" */
			if (p[close + 1] != ':')
				return false;
			for (size_t k = close + 2; k < n; k++)
				if (p[k] < '0' || p[k] > '9')
					return false;
		}
		p++;
		n = close - 1;
		br = true;
	}
	if (n > 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		p += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(tmp))
		return false;
	for (size_t k = 0; k < n && p[k] != '%'; k++) { /* cheap reject of host names */
		char c = lc(p[k]);
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '.' || c == ':'))
			return false;
	}
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	char *pct = strchr(tmp, '%'); /* IPv6 zone id */
	if (pct)
		*pct = '\0';
	if (rp_addr_parse(tmp, out) == RP_OK)
		goto ok;
	/* IPv4 with a port: a.b.c.d:port or a.b.c.d.port */
	int dots = 0;
	size_t cut = 0;
	for (size_t k = 0; tmp[k]; k++) {
		if (tmp[k] == '.' && ++dots == 4)
			cut = k;
		else if (tmp[k] == ':' && dots == 3 && !cut)
			cut = k;
		else if (tmp[k] != '.' && tmp[k] != ':' && (tmp[k] < '0' || tmp[k] > '9'))
			return false;
	}
	if (!cut)
		return false;
	bool colon = tmp[cut] == ':';
	tmp[cut] = '\0';
	if (rp_addr_parse(tmp, out) != RP_OK || out->family != 4)
		return false;
	*port_in = br && colon; /* ecelerity "[ip:port]"; Exim 3 "[ip.port]" is not */
ok:
	*bracketed = br;
	return true;
}

/* is_hostname - looks like a DNS name we may report as rDNS: has a dot (or is localhost),
 * no '@', not an address. */
static bool is_hostname(const char *p, size_t n)
{
	struct rp_addr a;
	bool br, port;
	bool dot = false;

	if (n == 0 || p[0] == '[')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '@' || p[i] == '"' || p[i] == '=')
			return false;
		if (p[i] == '.')
			dot = true;
	}
	if (!dot)
		return n == 9 && strncasecmp(p, "localhost", 9) == 0;
	return !parse_ip_text(p, n, &a, &br, &port);
}

/* dup_host - copy a host name, dropping a trailing root dot (Gmail writes "x.google.com."). */
static const char *dup_host(struct arena *a, const char *p, size_t n)
{
	while (n > 1 && (p[n - 1] == '.' || p[n - 1] == ',' || p[n - 1] == ';'))
		n--;
	return n ? arena_memdup0(a, p, n) : "";
}

/* ---- dates ---- */

static const char month_names[] = "janfebmaraprmayjunjulaugsepoctnovdec";

/* month_of - 0..11 for a three-letter English month name, -1 otherwise. */
static int month_of(const char *p)
{
	if (!p[0] || !p[1] || !p[2])
		return -1;
	char m3[3] = { lc(p[0]), lc(p[1]), lc(p[2]) };
	for (int m = 0; m < 12; m++)
		if (memcmp(m3, month_names + 3 * m, 3) == 0)
			return m;
	return -1;
}

/* read_num - up to maxd digits; -1 when none. */
static long read_num(const char **pp, int maxd)
{
	const char *p = *pp;
	long v = 0;
	int d = 0;

	while (d < maxd && *p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		d++;
	}
	if (d == 0)
		return -1;
	*pp = p;
	return v;
}

static const char *skip_ws(const char *p)
{
	while (is_ws(*p))
		p++;
	return p;
}

/* days_from_civil - days since 1970-01-01 for a proleptic Gregorian date (m 1..12). */
static long days_from_civil(long y, long m, long d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* read_time - hh:mm[:ss]. */
static bool read_time(const char **pp, long *secs)
{
	const char *p = *pp;
	long h = read_num(&p, 2), mi, s = 0;

	if (h < 0 || *p++ != ':')
		return false;
	if ((mi = read_num(&p, 2)) < 0)
		return false;
	if (*p == ':') {
		p++;
		if ((s = read_num(&p, 2)) < 0)
			return false;
	}
	if (h > 23 || mi > 59 || s > 60)
		return false;
	*secs = h * 3600 + mi * 60 + s;
	*pp = p;
	return true;
}

/* read_zone - +hhmm/-hhmm or an RFC 822 zone name; unknown names count as UTC. */
static long read_zone(const char **pp)
{
	static const struct { const char *name; int hours; } zones[] = {
		{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
		{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
	};
	const char *p = skip_ws(*pp);

	if ((*p == '+' || *p == '-') && p[1] >= '0' && p[1] <= '9') {
		int sign = *p == '-' ? -1 : 1;
		const char *q = p + 1;
		long v = read_num(&q, 4);
		if (q - p != 5)
			return 0;
		*pp = q;
		return sign * ((v / 100) * 3600 + (v % 100) * 60);
	}
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strncasecmp(p, zones[i].name, 3) == 0) {
			*pp = p + 3;
			return zones[i].hours * 3600L;
		}
	return 0;
}

/* parse_date - RFC 5322 date (obsolete forms too) or asctime; returns UTC time and sets
 * *end, or 0 when p holds no date. */
static time_t parse_date(const char *p, const char **end)
{
	long day, mon, year, secs, off;

	p = skip_ws(p);
	if ((p[0] < '0' || p[0] > '9') && month_of(p) < 0 && p[0] && p[1] && p[2] &&
	    ((p[0] | 32) >= 'a' && (p[0] | 32) <= 'z')) {
		p += 3; /* day name */
		while (*p && !is_ws(*p) && *p != ',')
			p++;
		if (*p == ',')
			p++;
		p = skip_ws(p);
	}
	if ((mon = month_of(p)) >= 0 && is_ws(p[3])) { /* asctime: Nov 13 14:50:12 2005 */
		p = skip_ws(p + 3);
		if ((day = read_num(&p, 2)) < 0 || !is_ws(*p))
			return 0;
		p = skip_ws(p);
		if (!read_time(&p, &secs))
			return 0;
		p = skip_ws(p);
		if ((year = read_num(&p, 4)) < 0)
			return 0;
		off = read_zone(&p);
	} else {
		if ((day = read_num(&p, 2)) < 0)
			return 0;
		p = skip_ws(p);
		if ((mon = month_of(p)) < 0)
			return 0;
		p = skip_ws(p + 3);
		const char *y0 = p;
		if ((year = read_num(&p, 4)) < 0)
			return 0;
		if (p - y0 <= 2)
			year += year < 50 ? 2000 : 1900;
		else if (p - y0 == 3)
			year += 1900;
		p = skip_ws(p);
		if (!read_time(&p, &secs))
			return 0;
		off = read_zone(&p);
	}
	if (day < 1 || day > 31 || year < 1970 || year > 9999)
		return 0;
	*end = p;
	return (time_t)(days_from_civil(year, mon + 1, day) * 86400 + secs - off);
}

/* ---- clauses ---- */

/* note_paren - evidence any comment may carry, wherever it appears. */
static void note_paren(struct scan *sc, const struct tok *t, struct rp_received *out, struct arena *a)
{
	const char *p = t->p;
	size_t n = t->n;

	while (n && is_ws(*p)) {
		p++;
		n--;
	}
	if (starts_ci(p, n, "Exim "))
		sc->exim = true;
	else if (starts_ci(p, n, "fetchmail"))
		sc->skip_local = true;
	else if (starts_ci(p, n, "Coremail"))
		sc->coremail = true;
	else if (starts_ci(p, n, "via HTTP"))
		sc->via_http = true;
	else if (starts_ci(p, n, "authenticated as "))
		sc->critical_path = true;
	if (!out->envfrom[0]) {
		static const char *const keys[] = { "envelope-from ", "envelope-from=", "envelope-sender ",
						    "return-path: ", "return-path ", "mailfrom:" /* Aliyun */ };
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k]);
			if (starts_ci_n(p, n, keys[k], kl)) {
				size_t m = kl;
				while (m < n && !is_ws(p[m]) && p[m] != ',')
					m++;
				out->envfrom = dup_trim(a, p + kl, m - kl);
				break;
			}
		}
	}
}

/* with_is_auth - RFC 3848/6531 and friends: protocols only used after authentication
 * (ESMTPA, ESMTPSA, LMTPA, LMTPSA, ASMTP, UTF8SMTPA, ... and webmail HTTP/HTTPU/HTTPS). */
static bool with_is_auth(const char *w)
{
	static const char *const names[] = { "ESMTPA", "ESMTPSA", "LMTPA", "LMTPSA", "ASMTP", "HTTP", "HTTPU",
					      "HTTPS", "UTF8SMTPA", "UTF8SMTPSA", "UTF8LMTPA", "UTF8LMTPSA" };
	size_t n = strlen(w);

	if (n < 4 || n > 10 || !(lc(w[n - 1]) == 'a' || lc(w[0]) == 'h' || lc(w[0]) == 'a'))
		return false; /* every name ends in A except ASMTP and the HTTP family */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(w, names[i]) == 0)
			return true;
	return false;
}

/* keyword_switch - a clause keyword moves *sec to its section; false for any other word. */
static bool keyword_switch(const struct tok *t, struct scan *sc, const struct rp_received *out, enum section *sec)
{
	if (tok_is(t, "from")) {
		if (*sec == S_FROM) /* Smail: "from HOST from [IP] by ..." */
			return true;
		if (!sc->saw_from && !sc->saw_by && out->with[0] == '\0') {
			sc->saw_from = true;
			*sec = S_FROM;
		} else {
			*sec = S_XFROM;
		}
	} else if (tok_is(t, "by")) {
		*sec = sc->saw_by ? S_BY_DONE : S_BY;
		sc->saw_by = true;
	} else if (tok_is(t, "with")) {
		*sec = out->with[0] ? S_WITH_DONE : S_WITH;
	} else if (tok_is(t, "id")) {
		*sec = S_ID;
	} else if (tok_is(t, "for")) {
		*sec = S_FOR;
	} else if (tok_is(t, "via")) {
		*sec = S_VIA;
	} else {
		return false;
	}
	return true;
}

/* take_with - the protocol after "with"; Microsoft's takes two or three words. */
static void take_with(struct lexer *lx, const struct tok *t, struct scan *sc, struct rp_received *out,
		      struct arena *a)
{
	if (tok_is(t, "Microsoft")) {
		const char *s = skip_ws(lx->s + lx->pos);
		if (strncasecmp(s, "SMTP Server", 11) == 0) {
			out->with = "Microsoft SMTP Server";
			sc->ms_server = true;
			lx->pos = (size_t)(s + 11 - lx->s);
		} else if (strncasecmp(s, "SMTPSVC", 7) == 0) {
			out->with = "Microsoft SMTPSVC";
			lx->pos = (size_t)(s + 7 - lx->s);
		} else {
			out->with = "Microsoft";
		}
		return;
	}
	out->with = t->p[0] == '[' ? dup_trim(a, t->p + 1, t->n - 1) : dup_trim(a, t->p, t->n);
	if (starts_ci(t->p, t->n, "qmail-scanner") || tok_is(t, "local") || tok_is(t, "IMAP") || tok_is(t, "POP3"))
		sc->skip_local = true; /* virus scanner, local delivery, fetchmail */
}

/* clause_word - a word that is not a keyword, in section *sec. */
static void clause_word(struct lexer *lx, const struct tok *t, struct scan *sc, struct rp_received *out,
			struct arena *a, enum section *sec)
{
	switch (*sec) {
	case S_FROM:
		if (sc->n_from < FROM_MAX)
			sc->from[sc->n_from++] = *t;
		return;
	case S_BY:
		out->by = dup_host(a, t->p, t->n);
		*sec = S_BY_DONE;
		return;
	case S_WITH:
		take_with(lx, t, sc, out, a);
		*sec = S_WITH_DONE;
		return;
	case S_ID: /* as SpamAssassin: at least three characters */
		if (!out->id[0] && t->n >= 3) {
			const char *id = dup_trim(a, t->p, t->n);
			if (strlen(id) >= 3)
				out->id = id;
		}
		break;
	case S_FOR:
		if (!out->for_addr[0])
			out->for_addr = dup_trim(a, t->p, t->n);
		break;
	case S_XFROM: /* XMail: "... for <rcpt> from <sender>" */
		if (!out->envfrom[0] && memchr(t->p, '@', t->n))
			out->envfrom = dup_trim(a, t->p, t->n);
		break;
	case S_VIA:
		if (tok_is(t, "HTTP"))
			sc->via_http = true;
		break;
	default:
		if (starts_ci(t->p, t->n, "envelope-from=") && !out->envfrom[0])
			out->envfrom = dup_trim(a, t->p + 14, t->n - 14);
		return;
	}
	*sec = S_NONE;
}

/* scan_clauses - one pass over the tokens: fills by/with/id/for/envfrom/date, keeps the
 * from clause in sc->from. */
static void scan_clauses(struct lexer *lx, struct scan *sc, struct rp_received *out, struct arena *a)
{
	enum section sec = S_NONE;
	struct tok t;
	size_t ntok = 0;

	while (ntok++ < TOK_MAX && lex_next(lx, &t)) {
		if (t.kind == T_SEMI) {
			const char *end;
			time_t d;
			if (!out->date && (d = parse_date(lx->s + lx->pos, &end)) != 0) {
				out->date = d;
				lx->pos = (size_t)(end - lx->s);
			}
			if (sec != S_FROM) /* SquirrelMail: "from IP (...); by host with HTTP; date" */
				sec = S_NONE;
		} else if (t.kind == T_PAREN) {
			note_paren(sc, &t, out, a);
			if (sec == S_FROM && sc->n_from < FROM_MAX)
				sc->from[sc->n_from++] = t;
			else if (sec == S_BY_DONE && starts_ci(t.p, t.n, "mp") && strcasecmp(out->by, "mail.gmx.net") == 0)
				sc->gmx_mp = true;
		} else if (sec == S_FROM && sc->n_from == 0 && !tok_is(&t, "by")) {
			sc->from[sc->n_from++] = t; /* the first word after "from" is the name, whatever it is */
		} else if (!keyword_switch(&t, sc, out, &sec)) {
			clause_word(lx, &t, sc, out, a, &sec);
		}
	}
}

/* ---- the from clause ---- */

struct from_info {
	const char *name; size_t name_n;       /* first word after "from", or NULL */
	const char *rdns; size_t rdns_n;       /* name before the address inside a comment */
	const char *helo_kw; size_t helo_kw_n; /* "(HELO x)", "(EHLO x)", "(LHLO x)", "account y HELO x" */
	bool has_helo_kw;
	const char *helo_eq; size_t helo_eq_n; /* "helo=x" */
	const char *claim; size_t claim_n;     /* smtpd: claiming to be "x" */
	const char *pname; size_t pname_n;     /* Exim 3: a one-word comment without address */
	const char *ident; size_t ident_n;
	struct rp_addr ip;
	bool ip_from_name, ip_in_paren, ip_bare_paren, ip_port_in, ip_glued, ip_lead_sp, verified;
};

/* take_helo_kw - "HELO x" at word w of a comment (x may be missing). */
static void take_helo_kw(struct from_info *fi, const char *rest, size_t n)
{
	size_t i = 0;
	while (i < n && is_ws(rest[i]))
		i++;
	size_t j = i;
	while (j < n && !is_ws(rest[j]) && rest[j] != ')')
		j++;
	fi->helo_kw = rest + i;
	fi->helo_kw_n = j - i;
	fi->has_helo_kw = true;
}

/* Walking the words of one from-clause comment. */
struct pwalk {
	const struct tok *t;
	const char *end;                      /* end of the comment */
	const char *prev;                     /* previous word: a host name before an address is rDNS */
	size_t prev_n;
	const char *pend_ident, *pend_host;   /* "ident@host" waiting for its address */
	size_t pend_n;
	bool first;                           /* the word is the first of the comment */
};

/* flag_word - words that are evidence rather than names: helo=, AUTH:, verified,
 * authenticated. *p may move past a value. Returns true when the word was one of them. */
static bool flag_word(struct pwalk *pw, struct from_info *fi, struct scan *sc, const char *w, size_t n,
		      const char **p)
{
	if (n > 5 && strncasecmp(w, "helo=", 5) == 0) {
		fi->helo_eq = w + 5;
		fi->helo_eq_n = n - 5;
	} else if (n == 5 && strncasecmp(w, "AUTH:", 5) == 0) { /* Courier: "(AUTH: LOGIN user, ...)" */
		const char *q = *p;
		while (q < pw->end && is_ws(*q))
			q++;
		const char *m = q;
		while (q < pw->end && !is_ws(*q) && *q != ',' && *q != ')')
			q++;
		if (!sc->auth_login) {
			sc->auth_login = m;
			sc->auth_login_n = (size_t)(q - m);
		}
	} else if (n == 8 && strncasecmp(w, "verified", 8) == 0) { /* CommuniGate */
		fi->verified = true;
	} else if (pw->first && n == 13 && strncasecmp(w, "Authenticated", 13) == 0 &&
		   starts_ci(*p, (size_t)(pw->end - *p), " sender:")) {
		sc->postfix_auth = true;
	} else if (mem_has(w, n, "authenticated")) { /* Sendmail "(authenticated bits=0)" */
		if (!mem_has(pw->t->p, pw->t->n, "authenticated user")) /* SquirrelMail, NaSMail: HTTP */
			sc->sendmail_auth = true;
	} else {
		return false;
	}
	return true;
}

/* set_paren_ip - the client address found inside a comment. */
static void set_paren_ip(struct pwalk *pw, struct from_info *fi, const struct rp_addr *ad, bool bare)
{
	fi->ip = *ad;
	fi->ip_in_paren = true;
	fi->ip_bare_paren = bare;
	fi->ip_glued = pw->t->glued;
	fi->ip_lead_sp = pw->t->lead_sp;
}

/* addr_word - an address ("[ip]", "ip", "ident@ip") or "ident@host"; true when used. */
static bool addr_word(struct pwalk *pw, struct from_info *fi, const char *w, size_t n, bool last)
{
	struct rp_addr ad;
	bool br, port_in;

	if (fi->ip.family)
		return false;
	if (parse_ip_text(w, n, &ad, &br, &port_in)) {
		bool port = ad.family == 4 && memchr(w, ':', n);
		set_paren_ip(pw, fi, &ad, !br && pw->first && last && !port);
		fi->ip_port_in = port_in;
		if (pw->prev && is_hostname(pw->prev, pw->prev_n)) {
			fi->rdns = pw->prev;
			fi->rdns_n = pw->prev_n;
		}
		if (pw->pend_ident && pw->prev == pw->pend_host) { /* Sendmail "(ident@rdns [ip])" */
			fi->ident = pw->pend_ident;
			fi->ident_n = pw->pend_n;
		}
		pw->prev = w;
		pw->prev_n = n;
		pw->first = false;
		return true;
	}
	const char *at = memrchr(w, '@', n); /* qmail "ident@ip"; split at the last '@' */
	if (at == NULL)
		return false;
	size_t host_n = (size_t)(w + n - at - 1);
	if (parse_ip_text(at + 1, host_n, &ad, &br, &port_in)) {
		set_paren_ip(pw, fi, &ad, !br && pw->first && last);
		fi->ident = w;
		fi->ident_n = (size_t)(at - w);
	} else { /* remember it: an address may follow */
		pw->pend_ident = w;
		pw->pend_n = (size_t)(at - w);
		pw->pend_host = at + 1;
		w = at + 1;
		n = host_n;
	}
	pw->prev = w;
	pw->prev_n = n;
	pw->first = false;
	return true;
}

/* read_paren_words - walk the words of one from-clause comment. */
static void read_paren_words(struct from_info *fi, struct scan *sc, const struct tok *t)
{
	struct pwalk pw = { .t = t, .end = t->p + t->n, .first = true };
	const char *p = t->p;

	while (p < pw.end) {
		while (p < pw.end && (is_ws(*p) || *p == '(' || *p == ')'))
			p++;
		if (p >= pw.end)
			break;
		const char *w = p;
		while (p < pw.end && !is_ws(*p) && *p != '(' && *p != ')')
			p++;
		size_t n = (size_t)(p - w);

		if (n == 4 && (strncasecmp(w, "HELO", 4) == 0 || strncasecmp(w, "EHLO", 4) == 0 ||
			       strncasecmp(w, "LHLO", 4) == 0)) {
			take_helo_kw(fi, p, (size_t)(pw.end - p));
			p = fi->helo_kw + fi->helo_kw_n;
			pw.first = false;
			continue;
		}
		if (flag_word(&pw, fi, sc, w, n, &p))
			;
		else if (addr_word(&pw, fi, w, n, p >= pw.end))
			continue;
		else if (pw.first && fi->ip.family == 0 && !fi->pname && p >= pw.end && is_hostname(w, n)) {
			fi->pname = w; /* Exim 3: "(HELO)" alone */
			fi->pname_n = n;
		}
		pw.prev = w;
		pw.prev_n = n;
		pw.first = false;
	}
}

/* read_from - interpret the from clause tokens. */
static void read_from(struct scan *sc, struct from_info *fi)
{
	size_t i = 0;

	memset(fi, 0, sizeof(*fi));
	if (sc->n_from && sc->from[0].kind == T_WORD) {
		fi->name = sc->from[0].p;
		fi->name_n = sc->from[0].n;
		i = 1;
	}
	for (; i < sc->n_from; i++) {
		const struct tok *t = &sc->from[i];
		struct rp_addr ad;
		bool br, port_in;

		if (t->kind == T_PAREN) {
			read_paren_words(fi, sc, t);
		} else if (tok_is(t, "claiming") && i + 3 < sc->n_from && tok_is(&sc->from[i + 1], "to") &&
			   tok_is(&sc->from[i + 2], "be")) {
			fi->claim = sc->from[i + 3].p;
			fi->claim_n = sc->from[i + 3].n;
			i += 3;
		} else if (t->p[0] == '[' && fi->ip.family == 0 && parse_ip_text(t->p, t->n, &ad, &br, &port_in)) {
			fi->ip = ad; /* fetchmail, Exim 3, GMX: address outside the comment */
		} else if (starts_ci(t->p, t->n, "helo=")) {
			fi->helo_eq = t->p + 5;
			fi->helo_eq_n = t->n - 5;
		}
	}
}

struct span {
	const char *p;
	size_t n;
};

/* pick_names - which text is the HELO and which the verified rDNS, by the MTA's layout. */
static void pick_names(const struct scan *sc, const struct from_info *fi, bool name_br, struct span *helo,
		       struct span *rdns)
{
	const struct span name = { fi->name, fi->name_n };
	bool name_host = fi->name && is_hostname(fi->name, fi->name_n);
	bool name_is_rdns = false;

	*rdns = (struct span){ fi->rdns, fi->rdns_n };
	*helo = (struct span){ NULL, 0 };
	if (fi->helo_eq) { /* Exim 4, ecelerity: "([IP] helo=HELO)" */
		*helo = (struct span){ fi->helo_eq, fi->helo_eq_n };
		name_is_rdns = true;
	} else if (fi->has_helo_kw) { /* qmail, CommuniGate, GMX: "(HELO x)", "(EHLO x)" */
		*helo = (struct span){ fi->helo_kw, fi->helo_kw_n };
		name_is_rdns = true;
	} else if (fi->claim || (fi->ip_glued && fi->ip_bare_paren)) { /* smtpd: "RDNS(IP), claiming to be" */
		*helo = (struct span){ fi->claim, fi->claim_n };
		name_is_rdns = true;
	} else if (fi->pname && fi->ip.family && !fi->ip_in_paren) { /* Exim 3: "RDNS (HELO) [IP]" */
		*helo = (struct span){ fi->pname, fi->pname_n };
		name_is_rdns = true;
	} else if (fi->ip_port_in) { /* ecelerity writes the HELO only as helo= */
		name_is_rdns = true;
	} else if (fi->ip_from_name && !name_br) { /* webmail: "from 1.2.3.4 by" records no HELO */
	} else if (fi->name && !memchr(fi->name, '@', fi->name_n)) {
		*helo = name; /* Postfix, Sendmail, Microsoft: the name is the HELO */
		name_is_rdns = fi->ip_in_paren && ((fi->ip_bare_paren && !fi->ip_lead_sp && !sc->ms_server) ||
						   fi->verified || sc->exim); /* qmail "(IP)", CommuniGate, Exim */
	}
	if (name_is_rdns && name_host && !rdns->p && !(name.n == 7 && strncasecmp(name.p, "unknown", 7) == 0))
		*rdns = name;
}

/* resolve_from - choose ip, helo, rdns, ident from what read_from found. */
static void resolve_from(const struct scan *sc, struct from_info *fi, struct rp_received *out, struct arena *a)
{
	struct rp_addr ad;
	bool name_br = false, port_in;
	struct span helo, rdns;

	if (fi->name && parse_ip_text(fi->name, fi->name_n, &ad, &name_br, &port_in) && fi->ip.family == 0) {
		fi->ip = ad; /* "from 1.2.3.4 by", "from [1.2.3.4] (HELO x)" */
		fi->ip_from_name = true;
	}
	out->ip = fi->ip;
	pick_names(sc, fi, name_br, &helo, &rdns);
	if (strcasecmp(out->auth, "HTTP") == 0 || strcasecmp(out->auth, "HTTPU") == 0)
		helo.p = NULL; /* HTTP has no HELO */
	if (helo.p && helo.n) {
		out->helo = dup_host(a, helo.p, helo.n);
		if (out->helo[0] == '"' || out->helo[0] == '\'')
			out->helo = dup_trim(a, helo.p, helo.n);
		out->helo_is_literal =
			out->helo[0] == '[' && parse_ip_text(out->helo, strlen(out->helo), &ad, &name_br, &port_in);
	}
	if (rdns.p && rdns.n)
		out->rdns = dup_host(a, rdns.p, rdns.n);
	if (fi->ident && fi->ident_n)
		out->ident = arena_memdup0(a, fi->ident, fi->ident_n);
}

/* by_from_comment - QQ writes "from [ip] ( by host )": take by from the comment. */
static void by_from_comment(const struct scan *sc, struct rp_received *out, struct arena *a)
{
	for (size_t i = 0; i < sc->n_from; i++) {
		const struct tok *t = &sc->from[i];
		const char *p = t->p, *end = t->p + t->n;
		if (t->kind != T_PAREN)
			continue;
		while (p < end && is_ws(*p))
			p++;
		if (end - p < 4 || strncasecmp(p, "by", 2) != 0 || !is_ws(p[2]))
			continue;
		p += 3;
		while (p < end && is_ws(*p))
			p++;
		const char *h = p;
		while (p < end && !is_ws(*p))
			p++;
		if (p > h)
			out->by = dup_host(a, h, (size_t)(p - h));
		return;
	}
}

/* resolve_auth - authentication evidence, strongest signal first. */
static void resolve_auth(struct scan *sc, struct rp_received *out, struct arena *a)
{
	if (out->with[0] && with_is_auth(out->with))
		out->auth = out->with;
	else if (sc->via_http)
		out->auth = "HTTP";
	else if (sc->gmx_mp && strcasecmp(out->with, "SMTP") == 0)
		out->auth = "GMX (SMTP / mail.gmx.net)";
	else if (sc->auth_login && sc->auth_login_n)
		out->auth = arena_memdup0(a, sc->auth_login, sc->auth_login_n);
	else if (sc->postfix_auth)
		out->auth = "Postfix";
	else if (sc->sendmail_auth)
		out->auth = "Sendmail";
	else if (sc->critical_path)
		out->auth = "CriticalPath";
}

/* work_copy - the text to scan: raw itself, or a copy where a leading "(from ...)" comment is
 * unwrapped (NAVGW writes the whole from clause inside one). */
static const char *work_copy(struct arena *a, const char *raw, size_t n)
{
	size_t i = strspn(raw, " \t");

	if (raw[i] != '(' || strncasecmp(raw + i + 1, "from ", 5) != 0)
		return raw;
	char *w = arena_memdup0(a, raw, n);
	size_t depth = 0;
	for (size_t j = i; w[j]; j++) {
		if (w[j] == '(')
			depth++;
		else if (w[j] == ')' && --depth == 0) {
			w[j] = ' ';
			break;
		}
	}
	w[i] = ' ';
	return w;
}

/* rp_received_parse - see received.h: scan, read the from clause, decide relay or not. */
int rp_received_parse(const char *value, struct arena *a, struct rp_received *out)
{
	struct scan sc;
	struct from_info fi;
	struct lexer lx;

	memset(out, 0, sizeof(*out));
	out->raw = out->helo = out->rdns = out->ip_text = out->by = out->with = out->id = "";
	out->for_addr = out->envfrom = out->ident = out->auth = "";
	if (value == NULL)
		return RP_EPARSE;
	size_t n = strlen(value);
	char *raw = arena_memdup0(a, value, n);
	for (char *q = raw; (q = strpbrk(q, "\r\n")) != NULL;) /* unfold */
		*q = ' ';
	out->raw = raw;
	memset(&sc, 0, sizeof(sc));
	lx.s = work_copy(a, out->raw, n);
	lx.pos = 0;
	scan_clauses(&lx, &sc, out, a);

	if (!sc.saw_from) /* "(qmail ... invoked by uid 0)", "by host (Postfix, from userid 0)" */
		return sc.saw_by || value[strspn(value, " \t\r\n")] == '(' ? RP_ESKIP : RP_EPARSE;
	read_from(&sc, &fi);
	if (!out->by[0])
		by_from_comment(&sc, out, a);
	resolve_auth(&sc, out, a);
	resolve_from(&sc, &fi, out, a);
	if (sc.coremail && !out->auth[0] && mem_has(out->by, strlen(out->by), "webmail")) {
		out->auth = "Coremail"; /* "from user@163.com ( [ip] ) by ajax-webmail-... (Coremail)" */
		out->helo = "";         /* webmail over HTTP: no HELO */
		out->helo_is_literal = false;
	}
	if (out->ip.family) {
		char buf[RP_ADDR_STRLEN];
		out->ip_text = arena_strdup(a, rp_addr_format(&out->ip, buf));
	}
	if (sc.skip_local)
		return RP_ESKIP;
	if (fi.name && fi.name_n == 4 && strncasecmp(fi.name, "mail", 4) == 0 && sc.n_from > 2 &&
	    tok_is(&sc.from[1], "pickup"))
		return RP_ESKIP;
	if (out->ip.family == 0)
		return RP_ESKIP;
	return RP_OK;
}
