/* listing_export.c - publication of the listings (include/repute/listing.h): each zone as
 * rbldnsd dataset text, compiled with the zone builder into a snapshot for repute-dns, plus
 * the rbldnsd files and a BIND master file. Every file is written atomically (temporary file,
 * fsync, rename), the snapshot last, so repute-dns never sees a half-written zone. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/buf.h"
#include "repute/dns.h"
#include "repute/listing.h"
#include "repute/strutil.h"
#include "repute/zone.h"

/* rp_phone_name - E.164 digits reversed, one label each. */
bool rp_phone_name(const char *e164, char *out, size_t cap)
{
	size_t n = strlen(e164), k = 0;

	if (n < 3 || e164[0] != '+' || n > 17 || cap < 2 * n)
		return false;
	for (size_t i = n - 1; i >= 1; i--) {
		if (e164[i] < '0' || e164[i] > '9')
			return false;
		out[k++] = e164[i];
		out[k++] = i > 1 ? '.' : '\0';
	}
	return true;
}

/* code_text - the A value of a reason, dotted. */
static void code_text(enum rp_list_reason r, char out[16])
{
	uint32_t c = rp_list_reason_code(r);

	snprintf(out, 16, "%u.%u.%u.%u", c >> 24, (c >> 16) & 255, (c >> 8) & 255, c & 255);
}

/* reason_text - the TXT wording of a reason. */
static const char *reason_text(enum rp_list_reason r)
{
	switch (r) {
	case RP_LIST_REPORTS: return "spam reports";
	case RP_LIST_TRAP: return "spam trap hits";
	case RP_LIST_RELAY: return "open relay";
	case RP_LIST_MANUAL: return "listed by an analyst";
	case RP_LIST_RANGE: return "range of listed addresses";
	default: return "listed";
	}
}

/* entry - one dataset line "NAME :A:TXT" with the listing's reason, date and lookup URL. */
static void entry(struct buf *out, const char *name, const struct rp_listing *l, const struct rp_publish_config *cfg)
{
	char code[16], day[16];
	time_t t = (time_t)l->listed_at;
	struct tm tm;

	code_text(l->reason, code);
	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	buf_printf(out, "%s :%s:%s since %s, see %s$\n", name, code, reason_text(l->reason), day,
		   cfg->txt_url ? cfg->txt_url : "");
}

/* part_of - which part a listing belongs to, or -1. */
static int part_of(const struct rp_listing *l)
{
	if (!strcmp(l->kind, "ip4") || !strcmp(l->kind, "range4"))
		return RP_PART_IP4;
	if (!strcmp(l->kind, "ip6-64"))
		return RP_PART_IP6;
	if (!strcmp(l->kind, "domain"))
		return RP_PART_DOMAIN;
	if (!strcmp(l->kind, "phone"))
		return RP_PART_PHONE;
	return -1;
}

/* white_part - the provider whitelist parts. */
static void white_part(enum rp_zone_part part, const struct rp_whitelist *w, struct buf *out, long *entries)
{
	char cidr[RP_ADDR_STRLEN + 8];

	if (w == NULL)
		return;
	buf_puts(out, ":127.0.10.1:certified provider\n");
	if (part == RP_PART_WHITEDOM) {
		for (size_t i = 0; i < w->n_domains; i++, (*entries)++)
			buf_printf(out, ".%s\n", w->domains[i]);
		return;
	}
	for (size_t i = 0; i < w->nets.n; i++) {
		const struct rp_cidr *c = &w->nets.items[i];
		if ((c->addr.family == 4) != (part == RP_PART_WHITE4))
			continue;
		buf_printf(out, "%s\n", rp_cidr_format(c, cidr));
		(*entries)++;
	}
}

/* rp_listing_dataset - one part as rbldnsd dataset text. */
void rp_listing_dataset(enum rp_zone_part part, const struct rp_publish_config *cfg, const struct rp_listing *l,
			size_t n, const struct rp_whitelist *w, struct buf *out, long *entries)
{
	char name[300];

	*entries = 0;
	if (part >= RP_PART_WHITE4) {
		white_part(part, w, out, entries);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (part_of(&l[i]) != (int)part)
			continue;
		if (part == RP_PART_PHONE) {
			if (!rp_phone_name(l[i].value, name, sizeof(name)))
				continue;
			entry(out, name, &l[i], cfg);
		} else if (part == RP_PART_DOMAIN) {
			snprintf(name, sizeof(name), ".%s", l[i].value);
			entry(out, name, &l[i], cfg);
		} else {
			entry(out, l[i].value, &l[i], cfg);
		}
		(*entries)++;
	}
}

/* One zone: its name and the parts it holds, with their rbldnsd dataset types. */
struct zone_plan {
	const char *name;
	int n;
	enum rp_zone_part parts[3];
};

static const char *const part_type[RP_N_PARTS] = {
	[RP_PART_IP4] = "ip4set", [RP_PART_IP6] = "ip6trie", [RP_PART_DOMAIN] = "dnset", [RP_PART_PHONE] = "dnset",
	[RP_PART_WHITE4] = "ip4set", [RP_PART_WHITE6] = "ip6trie", [RP_PART_WHITEDOM] = "dnset",
};

/* owner_text - labels before the apex (wire form) as dotted text; "@" for the apex. */
static void owner_text(const uint8_t *w, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	if (n == 0) {
		snprintf(out, cap, "@");
		return;
	}
	for (size_t i = 0; i < n && k + 1 < cap;) {
		size_t len = w[i++];
		if (k > 0)
			out[k++] = '.';
		for (size_t j = 0; j < len && i < n && k + 1 < cap; j++)
			out[k++] = (char)w[i++];
	}
	out[k] = '\0';
}

/* bind_rr - one record of the zone in master file syntax. */
static void bind_rr(struct buf *out, const struct zone *z, const struct zone_rr *rr)
{
	char owner[300], txt[4100];

	owner_text(rr->owner, rr->owner_len, owner, sizeof(owner));
	if (rr->type == DNS_T_A) {
		buf_printf(out, "%s\t%u\tIN\tA\t%u.%u.%u.%u\n", owner, rr->ttl, rr->v->a[0], rr->v->a[1], rr->v->a[2],
			   rr->v->a[3]);
		return;
	}
	size_t n = zone_txt_expand(z, rr->v, rr->subject, txt, sizeof(txt));
	buf_printf(out, "%s\t%u\tIN\tTXT\t\"", owner, rr->ttl);
	for (size_t i = 0; i < n && i < sizeof(txt); i++) {
		if (txt[i] == '"' || txt[i] == '\\')
			buf_putc(out, '\\');
		buf_putc(out, txt[i]);
		if (i % 250 == 249 && i + 1 < n)
			buf_puts(out, "\" \""); /* character-strings hold 255 bytes */
	}
	buf_puts(out, "\"\n");
}

/* bind_text - a BIND master file of a compiled zone. */
static void bind_text(struct buf *out, const struct zone *z, const char *zone, const char *ns, uint32_t ttl)
{
	struct zone_iter it;
	struct zone_rr rr;

	buf_printf(out, "; %s: generated by reputed from its listings; do not edit\n", zone);
	buf_printf(out, "$ORIGIN %s.\n$TTL %u\n", zone, ttl);
	buf_printf(out, "@\tIN\tSOA\t%s. hostmaster.%s. %u 600 300 604800 %u\n", ns, zone, zone_serial(z), ttl);
	buf_printf(out, "@\tIN\tNS\t%s.\n", ns);
	zone_iter_init(&it, z);
	while (zone_iter_next(&it, &rr))
		bind_rr(out, z, &rr);
}

/* write_file - DIR/SUB/NAME atomically; RP_EIO with diag. */
static int write_file(const char *dir, const char *sub, const char *name, const void *p, size_t n,
		      struct rp_diag *diag)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (sub[0] != '\0' && mkdir(path, 0755) != 0 && errno != EEXIST) {
		rp_diag_set(diag, 0, 0, "mkdir %s: %s", path, strerror(errno));
		return RP_EIO;
	}
	snprintf(path, sizeof(path), "%s/%s%s%s", dir, sub, sub[0] ? "/" : "", name);
	if (file_write_atomic(path, p, n) != RP_OK) {
		rp_diag_set(diag, 0, 0, "writing %s: %s", path, strerror(errno));
		return RP_EIO;
	}
	return RP_OK;
}

/* load_part - one part's dataset: text into the builder and the rbldnsd file. */
static int load_part(const struct rp_publish_config *cfg, const struct zone_plan *zp, int i, const struct rp_listing *l,
		     size_t n, const struct rp_whitelist *w, struct zone_builder *b, struct rp_publish_stats *stats,
		     struct rp_diag *diag)
{
	enum rp_zone_part part = zp->parts[i];
	const char *ns = cfg->ns && cfg->ns[0] ? cfg->ns : NULL;
	uint32_t ttl = cfg->ttl ? cfg->ttl : 300;
	char fname[300];
	struct buf t;
	int rc;

	buf_init(&t);
	buf_printf(&t, "$TTL %u\n", ttl);
	if (i == 0) {
		if (ns)
			buf_printf(&t, "$SOA %u %s hostmaster.%s %u 600 300 604800 %u\n$NS %u %s\n", ttl, ns, zp->name,
				   cfg->serial, ttl, ttl, ns);
		else
			buf_printf(&t, "$SOA %u ns.%s hostmaster.%s %u 600 300 604800 %u\n$NS %u ns.%s\n", ttl, zp->name,
				   zp->name, cfg->serial, ttl, ttl, zp->name);
	}
	rp_listing_dataset(part, cfg, l, n, w, &t, &stats->entries[part]);
	snprintf(fname, sizeof(fname), "%s.%s", zp->name, part_type[part]);
	rc = write_file(cfg->dir, "rbldnsd", fname, t.data, t.len, diag);
	if (rc == RP_OK)
		rc = zone_builder_load_text(b, part_type[part], fname, t.data, t.len, NULL, NULL, diag);
	buf_fini(&t);
	return rc;
}

/* publish_zone - build, write the snapshot, then the BIND file from the snapshot image. */
static int publish_zone(const struct rp_publish_config *cfg, const struct zone_plan *zp, const struct rp_listing *l,
			size_t n, const struct rp_whitelist *w, struct rp_publish_stats *stats, struct rp_diag *diag)
{
	struct zone_builder *b = zone_builder_new(zp->name);
	char fname[300], ns[300];
	void *image = NULL;
	size_t len = 0;
	int rc = RP_OK;

	if (b == NULL) {
		rp_diag_set(diag, 0, 0, "bad zone name \"%s\"", zp->name);
		return RP_EINVAL;
	}
	zone_builder_set_serial(b, cfg->serial);
	zone_builder_set_ttl(b, cfg->ttl ? cfg->ttl : 300);
	for (int i = 0; i < zp->n && rc == RP_OK; i++)
		rc = load_part(cfg, zp, i, l, n, w, b, stats, diag);
	if (rc == RP_OK)
		rc = zone_builder_build(b, &image, &len);
	zone_builder_free(b);
	if (rc != RP_OK) {
		xfree(image);
		return rc;
	}
	snprintf(fname, sizeof(fname), "%s.snap", zp->name);
	rc = write_file(cfg->dir, "", fname, image, len, diag);
	stats->snap_bytes += len;
	struct zone *z = NULL;
	if (rc != RP_OK || zone_open_mem(image, len, &z, diag) != RP_OK) {
		if (rc == RP_OK)
			rc = RP_EINVAL;
		else
			xfree(image);
		return rc;
	}
	struct buf t;
	buf_init(&t);
	snprintf(ns, sizeof(ns), "%s%s", cfg->ns && cfg->ns[0] ? "" : "ns.", cfg->ns && cfg->ns[0] ? cfg->ns : zp->name);
	bind_text(&t, z, zp->name, ns, cfg->ttl ? cfg->ttl : 300);
	snprintf(fname, sizeof(fname), "%s.zone", zp->name);
	rc = write_file(cfg->dir, "bind", fname, t.data, t.len, diag);
	buf_fini(&t);
	zone_close(z);
	stats->zones++;
	return rc;
}

/* mkdir_p - create dir and its missing parents. */
static int mkdir_p(const char *dir, struct rp_diag *diag)
{
	char path[1024];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path)) {
		rp_diag_set(diag, 0, 0, "bad publication directory \"%s\"", dir);
		return RP_EINVAL;
	}
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char c = path[i];
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			rp_diag_set(diag, 0, 0, "mkdir %s: %s", path, strerror(errno));
			return RP_EIO;
		}
		path[i] = c;
	}
	return RP_OK;
}

/* rp_listing_publish - every configured zone. */
int rp_listing_publish(const struct rp_publish_config *cfg, const struct rp_listing *l, size_t n,
		       const struct rp_whitelist *w, struct rp_publish_stats *stats, struct rp_diag *diag)
{
	const struct zone_plan plan[] = {
		{ cfg->zone_ip, 2, { RP_PART_IP4, RP_PART_IP6 } },
		{ cfg->zone_domain, 1, { RP_PART_DOMAIN } },
		{ cfg->zone_phone, 1, { RP_PART_PHONE } },
		{ cfg->zone_white, 3, { RP_PART_WHITE4, RP_PART_WHITE6, RP_PART_WHITEDOM } },
	};
	int rc = RP_OK;

	memset(stats, 0, sizeof(*stats));
	if ((rc = mkdir_p(cfg->dir, diag)) != RP_OK)
		return rc;
	for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]) && rc == RP_OK; i++)
		if (plan[i].name != NULL && plan[i].name[0] != '\0')
			rc = publish_zone(cfg, &plan[i], l, n, w, stats, diag);
	return rc;
}
