/* rdns_zones.c - the set of zones repute-dns serves: snapshot files (mapped) and rbldnsd
 * datasets (compiled in memory, one zone per distinct name, datasets in command-line order),
 * with the apex SOA precomputed; lookup of the zone for a name; and the RCU-like publication
 * of a new set on reload (readers are never blocked and never see a freed zone). */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "repute/alloc.h"
#include "repute/log.h"
#include "repute/zone.h"

#include "rdns.h"

/* prepare - precompute the apex records of a loaded zone. */
static void prepare(struct rdns_zone *rz, struct zone *z)
{
	struct zone_soa soa;

	memset(rz, 0, sizeof(*rz));
	rz->z = z;
	rz->apex = zone_name(z, &rz->apex_len);
	rz->has_soa = zone_get_soa(z, &soa);
	if (!rz->has_soa)
		return;
	struct dns_writer w;
	dns_wr_init(&w, rz->soa_rdata, sizeof(rz->soa_rdata));
	dns_wr_bytes(&w, soa.mname, soa.mname_len);
	dns_wr_bytes(&w, soa.rname, soa.rname_len);
	dns_wr_u32(&w, soa.serial);
	dns_wr_u32(&w, soa.refresh);
	dns_wr_u32(&w, soa.retry);
	dns_wr_u32(&w, soa.expire);
	dns_wr_u32(&w, soa.minimum);
	rz->soa_rdlen = w.len;
	rz->soa_ttl = soa.ttl;
	rz->neg_ttl = soa.minimum < soa.ttl ? soa.minimum : soa.ttl; /* RFC 2308 section 5 */
}

/* warn_line - a bad dataset line, logged once each (up to a limit per load). */
static void warn_line(void *ctx, const char *file, unsigned long line, const char *reason)
{
	unsigned long *n = ctx;

	if ((*n)++ < 50)
		log_warnx("file=%s line=%lu action=skipped reason=\"%s\"", file, line, reason);
}

/* add_zone - append a loaded zone to the set. */
static void add_zone(struct rdns_zoneset *zs, struct zone *z)
{
	zs->zones = xreallocarray(zs->zones, zs->n + 1, sizeof(*zs->zones));
	prepare(&zs->zones[zs->n++], z);
}

/* load_dataset_zone - build the zone named zone from every matching zone:type:file item. */
static struct zone *load_dataset_zone(const struct rdns_config *cfg, const char *zone)
{
	struct zone_builder *b = zone_builder_new(zone);
	unsigned long warned = 0;
	struct rp_diag diag = { 0 };
	struct zone *z = NULL;

	if (b == NULL) {
		log_warnx("zone=%s action=failed reason=\"bad zone name\"", zone);
		return NULL;
	}
	zone_builder_set_ttl(b, (uint32_t)cfg->ttl);
	for (size_t i = 0; i < cfg->datasets.n; i++) {
		char *spec = xstrdup(cfg->datasets.items[i]), *type = strchr(spec, ':'), *files;
		if (type == NULL || (files = strchr(type + 1, ':')) == NULL) {
			log_warnx("dataset=%s action=failed reason=\"not zone:type:file\"", spec);
			goto fail;
		}
		*type++ = 0;
		*files++ = 0;
		if (strcasecmp(spec, zone) == 0) {
			const char *paths[64];
			size_t n = 0;
			for (char *save, *p = strtok_r(files, ",+", &save); p && n < 64; p = strtok_r(NULL, ",+", &save))
				paths[n++] = p;
			if (zone_builder_load(b, type, paths, n, warn_line, &warned, &diag) != RP_OK) {
				log_warnx("zone=%s action=failed reason=\"%s\"", zone, diag.reason);
				xfree(spec);
				goto fail;
			}
		}
		xfree(spec);
	}
	void *img;
	size_t len;
	zone_builder_build(b, &img, &len);
	if (zone_open_mem(img, len, &z, &diag) != RP_OK)
		log_warnx("zone=%s action=failed reason=\"%s\"", zone, diag.reason);
	if (warned)
		log_warnx("zone=%s bad_lines=%lu", zone, warned);
fail:
	zone_builder_free(b);
	return z;
}

/* seen_before - whether dataset item i names a zone an earlier item already named. */
static bool seen_before(const struct cfg_list *l, size_t i)
{
	const char *a = l->items[i], *ca = strchr(a, ':');
	size_t na = ca ? (size_t)(ca - a) : strlen(a);

	for (size_t j = 0; j < i; j++)
		if (strncasecmp(l->items[j], a, na) == 0 && (l->items[j][na] == ':' || l->items[j][na] == 0))
			return true;
	return false;
}

/* rdns_zoneset_load - every snapshot and dataset zone of the configuration. */
struct rdns_zoneset *rdns_zoneset_load(const struct rdns_config *cfg)
{
	struct rdns_zoneset *zs = xcalloc(1, sizeof(*zs));

	atomic_init(&zs->refs, 1);	struct rp_diag diag = { 0 };

	for (size_t i = 0; i < cfg->snapshots.n; i++) {
		struct zone *z;
		if (zone_open_file(cfg->snapshots.items[i], &z, &diag) != RP_OK) {
			log_warnx("snapshot=%s action=failed reason=\"%s\"", cfg->snapshots.items[i], diag.reason);
			return rdns_zoneset_free(zs), NULL;
		}
		add_zone(zs, z);
	}
	for (size_t i = 0; i < cfg->datasets.n; i++) {
		if (seen_before(&cfg->datasets, i))
			continue;
		char *zone = xstrdup(cfg->datasets.items[i]), *c = strchr(zone, ':');
		if (c)
			*c = 0;
		struct zone *z = load_dataset_zone(cfg, zone);
		xfree(zone);
		if (z == NULL)
			return rdns_zoneset_free(zs), NULL;
		add_zone(zs, z);
	}
	return zs;
}

/* rdns_zoneset_free - close every zone; NULL is fine. */
void rdns_zoneset_free(struct rdns_zoneset *zs)
{
	if (zs == NULL)
		return;
	for (unsigned i = 0; i < zs->n; i++)
		zone_close(zs->zones[i].z);
	xfree(zs->zones);
	xfree(zs);
}

/* rdns_zoneset_ref - one more holder. */
void rdns_zoneset_ref(struct rdns_zoneset *zs)
{
	atomic_fetch_add(&zs->refs, 1);
}

/* rdns_zoneset_unref - one holder fewer; the last frees the set. */
void rdns_zoneset_unref(struct rdns_zoneset *zs)
{
	if (zs && atomic_fetch_sub(&zs->refs, 1) == 1)
		rdns_zoneset_free(zs);
}

/* rdns_zoneset_find - the most specific zone containing name. */
const struct rdns_zone *rdns_zoneset_find(const struct rdns_zoneset *zs, const uint8_t *name, size_t len,
					  size_t *prefix_len)
{
	const struct rdns_zone *best = NULL;

	for (unsigned i = 0; i < zs->n; i++) {
		const struct rdns_zone *rz = &zs->zones[i];
		size_t pl;
		if ((best == NULL || rz->apex_len > best->apex_len) &&
		    dns_name_is_subdomain(name, len, rz->apex, rz->apex_len, &pl)) {
			best = rz;
			*prefix_len = pl;
		}
	}
	return best;
}

/* rdns_enter - announce the current epoch on slot r, then read the published set. */
const struct rdns_zoneset *rdns_enter(struct rdns_server *s, unsigned r)
{
	atomic_store(&s->readers[r].epoch, atomic_load(&s->epoch));
	return atomic_load(&s->zones);
}

/* rdns_leave - slot r holds no zone set any more. */
void rdns_leave(struct rdns_server *s, unsigned r)
{
	atomic_store_explicit(&s->readers[r].epoch, 0, memory_order_release);
}

/* rdns_publish - swap the set, wait until no reader may hold the old one, free it. */
void rdns_publish(struct rdns_server *s, struct rdns_zoneset *zs)
{
	struct rdns_zoneset *old = atomic_exchange(&s->zones, zs);
	uint64_t e = atomic_fetch_add(&s->epoch, 1) + 1;

	for (unsigned r = 0; r < s->nreaders; r++)
		for (;;) {
			uint64_t seen = atomic_load(&s->readers[r].epoch);
			if (seen == 0 || seen >= e)
				break;
			sched_yield();
		}
	rdns_zoneset_unref(old); /* freed now, or by the last zone transfer still using it */
}
