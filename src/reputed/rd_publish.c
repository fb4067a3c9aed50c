/* rd_publish.c - publication: the active listings and the provider whitelist compiled into
 * every configured zone (snapshot for repute-dns, rbldnsd datasets, BIND master file) by
 * rp_listing_publish, then SIGHUP to repute-dns (publish.dns_pidfile) so it loads the new
 * snapshots. Runs in the listing thread, with its database connection. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "repute/alloc.h"
#include "repute/log.h"

#include "rd.h"

/* signal_dns - SIGHUP to the pid in the pid file, when one is configured. */
static void signal_dns(const char *pidfile)
{
	FILE *f;
	long pid = 0;

	if (pidfile == NULL || pidfile[0] == '\0')
		return;
	if ((f = fopen(pidfile, "r")) == NULL) {
		log_warn("publish: %s", pidfile);
		return;
	}
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1)
		log_warnx("publish: %s holds no pid", pidfile);
	else if (kill((pid_t)pid, SIGHUP) != 0)
		log_warn("publish: SIGHUP to repute-dns pid %ld", pid);
	fclose(f);
}

/* rd_publish - compile, write, announce. */
int rd_publish(struct rd *rd, struct rp_store *st, uint32_t serial)
{
	const struct rd_config *cfg = &rd->cfg;
	struct rp_publish_config pc = {
		.dir = cfg->publish_dir, .zone_ip = cfg->zone_ip, .zone_domain = cfg->zone_domain,
		.zone_phone = cfg->zone_phone, .zone_white = cfg->zone_white, .ns = cfg->publish_ns,
		.txt_url = cfg->publish_txt_url, .ttl = (uint32_t)cfg->publish_ttl, .serial = serial,
	};
	struct rp_publish_stats ps;
	struct rp_whitelist w;
	struct rp_listing *l = NULL;
	struct rp_diag diag = { 0 };
	size_t n = 0;
	double t0 = rd_now();
	int rc;

	rp_whitelist_init(&w);
	rc = rp_store_whitelist_load(st, &w);
	if (rc == RP_OK)
		rc = rp_listing_collect(st, &l, &n);
	if (rc == RP_OK)
		rc = rp_listing_publish(&pc, l, n, &w, &ps, &diag);
	xfree(l);
	rp_whitelist_fini(&w);
	if (rc != RP_OK) {
		log_warnx("publish: serial=%u failed: %s", serial, diag.reason[0] ? diag.reason : rp_strerror(rc));
		return rc;
	}
	signal_dns(cfg->dns_pidfile);
	log_info("publish: serial=%u zones=%d listings=%zu ip4=%ld ip6=%ld domains=%ld phones=%ld bytes=%zu in %.1f ms",
		 serial, ps.zones, n, ps.entries[RP_PART_IP4], ps.entries[RP_PART_IP6], ps.entries[RP_PART_DOMAIN],
		 ps.entries[RP_PART_PHONE], ps.snap_bytes, (rd_now() - t0) * 1000.0);
	return RP_OK;
}
