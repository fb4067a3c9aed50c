/* dnsbl_int.h - private to dnsbl*.c: the answer cache shared by resolver contexts. */
#ifndef REPUTE_DNSBL_INT_H
#define REPUTE_DNSBL_INT_H

#include <stdbool.h>

#include "repute/dnsbl.h"

/* dnsbl_cache_get - copy a live cached answer for qname into hit (status, code, txt). */
bool dnsbl_cache_get(struct rp_dnsbl_cache *c, const char *qname, struct rp_dnsbl_hit *hit);
/* dnsbl_cache_put - remember hit's answer for qname for ttl seconds. */
void dnsbl_cache_put(struct rp_dnsbl_cache *c, const char *qname, const struct rp_dnsbl_hit *hit,
		     long ttl);

#endif
