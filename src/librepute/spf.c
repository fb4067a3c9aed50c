/* spf.c - SPF (RFC 7208) checks over libspf2: rp_spf_new picks the DNS source (system
 * resolver with a cache, or an in-memory zone filled by rp_spf_zone_*), rp_spf_check_mailfrom
 * and rp_spf_check_helo run one check each and copy the result, explanation and comment into
 * caller storage. The checker owns its libspf2 server (and through it the DNS layers). */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <spf2/spf.h>
#include <spf2/spf_dns_cache.h>
#include <spf2/spf_dns_resolv.h>
#include <spf2/spf_dns_zone.h>

#include "repute/alloc.h"
#include "repute/error.h"
#include "repute/spf.h"

/* Our default explanation for a fail without exp= (libspf2's points at the defunct openspf.org).
 * Spaces are written as %_ because Debian's libspf2 1.2.10 garbles literal spaces in
 * explanation strings (see docs/spf.md). */
#define SPF_EXP_DEFAULT "%{i}%_is%_not%_allowed%_to%_send%_mail%_for%_%{d}"

struct rp_spf {
	SPF_server_t *server;
	SPF_dns_server_t *fixup; /* our layer on top of the DNS source (spf_fixup_lookup) */
	SPF_dns_server_t *zone; /* the in-memory zone, NULL for the system resolver */
	char **spf_nodata;      /* names given a NODATA answer for the obsolete SPF RR type */
	size_t n_spf_nodata;
};

static const char *const spf_result_names[] = {
	"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror",
};

/* rp_spf_result_name - text name of a result. */
const char *rp_spf_result_name(enum rp_spf_result r)
{
	if ((unsigned)r >= sizeof(spf_result_names) / sizeof(spf_result_names[0]))
		return "none";
	return spf_result_names[r];
}

/* rp_spf_result_parse - result from its name, -1 when unknown. */
int rp_spf_result_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(spf_result_names) / sizeof(spf_result_names[0]); i++)
		if (strcasecmp(name, spf_result_names[i]) == 0)
			return (int)i;
	return -1;
}

/* spf_fixup_txt - rewrite literal spaces of one non-SPF TXT string as "%_". */
static void spf_fixup_txt(SPF_dns_rr_t *rr, int i)
{
	const char *txt = rr->rr[i]->txt;
	size_t n = 0, len = strlen(txt);

	if (strncasecmp(txt, "v=spf1", 6) == 0 || strchr(txt, ' ') == NULL)
		return;
	for (size_t j = 0; j < len; j++)
		n += txt[j] == ' ';
	char *copy = xstrdup(txt), *d;
	if (SPF_dns_rr_buf_realloc(rr, i, len + n + 1) != SPF_E_SUCCESS) {
		xfree(copy);
		return;
	}
	d = rr->rr[i]->txt;
	for (const char *c = copy; *c != '\0'; c++) {
		if (*c == ' ') {
			*d++ = '%';
			*d++ = '_';
		} else {
			*d++ = *c;
		}
	}
	*d = '\0';
	xfree(copy);
}

/* spf_fixup_lookup - DNS layer that passes lookups down and rewrites the spaces of TXT
 * records that are not SPF records as "%_". Those records can only matter as exp= texts,
 * where both mean a space, and Debian's libspf2 1.2.10 expands literal spaces wrongly (it
 * writes '%' and stops expanding later macros). */
static SPF_dns_rr_t *spf_fixup_lookup(SPF_dns_server_t *d, const char *domain, ns_type type,
				      int should_cache)
{
	SPF_dns_rr_t *rr = SPF_dns_lookup(d->layer_below, domain, type, should_cache);

	if (rr != NULL && type == ns_t_txt && rr->herrno == NETDB_SUCCESS)
		for (int i = 0; i < rr->num_rr; i++)
			spf_fixup_txt(rr, i);
	return rr;
}

/* spf_fixup_destroy - free the fixup layer (SPF_dns_free then frees the layers below). */
static void spf_fixup_destroy(SPF_dns_server_t *d)
{
	xfree(d);
}

/* spf_fixup_new - the fixup layer over below. */
static SPF_dns_server_t *spf_fixup_new(SPF_dns_server_t *below)
{
	SPF_dns_server_t *d = xcalloc(1, sizeof(*d));

	d->destroy = spf_fixup_destroy;
	d->lookup = spf_fixup_lookup;
	d->layer_below = below;
	d->name = "repute-fixup";
	return d;
}

/* spf_system_dns - the system resolver with libspf2's cache in front. */
static SPF_dns_server_t *spf_system_dns(void)
{
	SPF_dns_server_t *r = SPF_dns_resolv_new(NULL, NULL, 0), *c;

	if (r == NULL)
		return NULL;
	c = SPF_dns_cache_new(r, NULL, 0, 8);
	if (c == NULL)
		SPF_dns_free(r);
	return c;
}

/* rp_spf_new - create a checker with the chosen DNS source. */
struct rp_spf *rp_spf_new(enum rp_spf_dns dns, const char *rec_dom)
{
	struct rp_spf *spf = xcalloc(1, sizeof(*spf));
	SPF_response_t *resp = NULL;

	SPF_dns_server_t *below;

	if (dns == RP_SPF_DNS_ZONE)
		below = spf->zone = SPF_dns_zone_new(NULL, "repute-zone", 0);
	else
		below = spf_system_dns();
	if (below == NULL)
		return rp_spf_free(spf);
	spf->fixup = spf_fixup_new(below);
	spf->server = SPF_server_new_dns(spf->fixup, 0);
	if (spf->server == NULL)
		return rp_spf_free(spf);
	spf->server->destroy_resolver = 0;
	if (rec_dom != NULL)
		SPF_server_set_rec_dom(spf->server, rec_dom);
	SPF_server_set_sanitize(spf->server, 1);
	SPF_server_set_explanation(spf->server, SPF_EXP_DEFAULT, &resp);
	if (resp != NULL)
		SPF_response_free(resp);
	return spf;
}

/* rp_spf_free - free the checker, its libspf2 server and DNS layers. */
struct rp_spf *rp_spf_free(struct rp_spf *spf)
{
	if (spf == NULL)
		return NULL;
	if (spf->server != NULL)
		SPF_server_free(spf->server); /* destroy_resolver is 0: the layers are ours */
	if (spf->fixup != NULL)
		SPF_dns_free(spf->fixup); /* frees the layers below too */
	else if (spf->zone != NULL)
		SPF_dns_free(spf->zone);
	for (size_t i = 0; i < spf->n_spf_nodata; i++)
		xfree(spf->spf_nodata[i]);
	xfree(spf->spf_nodata);
	xfree(spf);
	return NULL;
}

/* spf_rr_type - our record type to the resolver's. */
static ns_type spf_rr_type(enum rp_spf_rr type)
{
	switch (type) {
	case RP_SPF_RR_A: return ns_t_a;
	case RP_SPF_RR_AAAA: return ns_t_aaaa;
	case RP_SPF_RR_MX: return ns_t_mx;
	case RP_SPF_RR_TXT: return ns_t_txt;
	case RP_SPF_RR_PTR: return ns_t_ptr;
	}
	return ns_t_invalid;
}

/* spf_zone_hide_spf_rr - make a name answer NODATA for the obsolete SPF RR type, once: libspf2
 * asks for type SPF before TXT and treats NXDOMAIN there as "no record at all". */
static void spf_zone_hide_spf_rr(struct rp_spf *spf, const char *name)
{
	for (size_t i = 0; i < spf->n_spf_nodata; i++)
		if (strcasecmp(spf->spf_nodata[i], name) == 0)
			return;
	spf->spf_nodata = xreallocarray(spf->spf_nodata, spf->n_spf_nodata + 1, sizeof(char *));
	spf->spf_nodata[spf->n_spf_nodata++] = xstrdup(name);
	SPF_dns_zone_add_str(spf->zone, name, ns_t_spf, NO_DATA, NULL);
}

/* rp_spf_zone_add - add one record to the in-memory zone. */
int rp_spf_zone_add(struct rp_spf *spf, const char *name, enum rp_spf_rr type, const char *data)
{
	ns_type t = spf_rr_type(type);

	if (spf == NULL || spf->zone == NULL || name == NULL || data == NULL || t == ns_t_invalid)
		return RP_EINVAL;
	spf_zone_hide_spf_rr(spf, name);
	if (SPF_dns_zone_add_str(spf->zone, name, t, NETDB_SUCCESS, data) != SPF_E_SUCCESS)
		return RP_EINVAL;
	return 0;
}

/* rp_spf_zone_nodata - the name exists but has no record of type. */
int rp_spf_zone_nodata(struct rp_spf *spf, const char *name, enum rp_spf_rr type)
{
	ns_type t = spf_rr_type(type);

	if (spf == NULL || spf->zone == NULL || name == NULL || t == ns_t_invalid)
		return RP_EINVAL;
	spf_zone_hide_spf_rr(spf, name);
	if (SPF_dns_zone_add_str(spf->zone, name, t, NO_DATA, NULL) != SPF_E_SUCCESS)
		return RP_EINVAL;
	return 0;
}

/* rp_spf_zone_timeout - every query for name answers "try again". */
int rp_spf_zone_timeout(struct rp_spf *spf, const char *name)
{
	if (spf == NULL || spf->zone == NULL || name == NULL)
		return RP_EINVAL;
	if (SPF_dns_zone_add_str(spf->zone, name, ns_t_any, TRY_AGAIN, NULL) != SPF_E_SUCCESS)
		return RP_EINVAL;
	return 0;
}

/* spf_result_from - libspf2's result to ours. */
static enum rp_spf_result spf_result_from(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_NEUTRAL: return RP_SPF_NEUTRAL;
	case SPF_RESULT_PASS: return RP_SPF_PASS;
	case SPF_RESULT_FAIL: return RP_SPF_FAIL;
	case SPF_RESULT_SOFTFAIL: return RP_SPF_SOFTFAIL;
	case SPF_RESULT_TEMPERROR: return RP_SPF_TEMPERROR;
	case SPF_RESULT_PERMERROR: return RP_SPF_PERMERROR;
	case SPF_RESULT_NONE:
	case SPF_RESULT_INVALID:
	default: return RP_SPF_NONE;
	}
}

/* spf_has_syntax_error - the response carries an error other than "no SPF record" or DNS
 * failure: libspf2 then leaves the result unset where RFC 7208 says permerror. */
static bool spf_has_syntax_error(SPF_response_t *resp)
{
	for (int i = 0; i < SPF_response_messages(resp); i++) {
		SPF_error_t *e = SPF_response_message(resp, i);
		SPF_errcode_t code = SPF_error_code(e);
		if (SPF_error_errorp(e) && code != SPF_E_NOT_SPF && code != SPF_E_DNS_ERROR)
			return true;
	}
	return false;
}

/* spf_final_result - the result of a query, mapping libspf2's unset result after an error:
 * a DNS failure fetching the record is temperror, a record that does not compile permerror. */
static enum rp_spf_result spf_final_result(SPF_response_t *resp, SPF_errcode_t err)
{
	SPF_result_t r = SPF_response_result(resp);

	if (r != SPF_RESULT_INVALID)
		return spf_result_from(r);
	if (err == SPF_E_DNS_ERROR)
		return RP_SPF_TEMPERROR;
	if (spf_has_syntax_error(resp))
		return RP_SPF_PERMERROR;
	return RP_SPF_NONE;
}

/* spf_copy - copy a possibly NULL string into a fixed buffer. */
static void spf_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

/* spf_set_ip - give the request the client address. */
static int spf_set_ip(SPF_request_t *req, const struct rp_addr *ip)
{
	if (ip->family == 4) {
		struct in_addr a;
		memcpy(&a, ip->b, 4);
		return SPF_request_set_ipv4(req, a) == SPF_E_SUCCESS ? 0 : RP_EINVAL;
	}
	if (ip->family == 6) {
		struct in6_addr a;
		memcpy(&a, ip->b, 16);
		return SPF_request_set_ipv6(req, a) == SPF_E_SUCCESS ? 0 : RP_EINVAL;
	}
	return RP_EINVAL;
}

/* spf_run - one libspf2 query with the request's identities, results copied to out. */
static int spf_run(struct rp_spf *spf, const struct rp_addr *ip, const char *helo,
		   const char *mailfrom, struct rp_spf_answer *out)
{
	SPF_request_t *req;
	SPF_response_t *resp = NULL;

	memset(out, 0, sizeof(*out));
	req = SPF_request_new(spf->server);
	if (req == NULL)
		return RP_ENOMEM;
	if (spf_set_ip(req, ip) != 0) {
		SPF_request_free(req);
		return RP_EINVAL;
	}
	if (helo != NULL && *helo != '\0')
		SPF_request_set_helo_dom(req, helo);
	if (mailfrom != NULL && *mailfrom != '\0')
		SPF_request_set_env_from(req, mailfrom);
	SPF_errcode_t err = SPF_request_query_mailfrom(req, &resp);
	if (resp != NULL) {
		out->result = spf_final_result(resp, err);
		if (out->result == RP_SPF_FAIL)
			spf_copy(out->explanation, sizeof(out->explanation),
				 SPF_response_get_explanation(resp));
		spf_copy(out->comment, sizeof(out->comment), SPF_response_get_header_comment(resp));
		spf_copy(out->received_spf, sizeof(out->received_spf),
			 SPF_response_get_received_spf_value(resp));
		SPF_response_free(resp);
	} else {
		out->result = RP_SPF_TEMPERROR;
	}
	SPF_request_free(req);
	return 0;
}

/* rp_spf_check_mailfrom - check the envelope sender, or postmaster@helo when it is empty. */
int rp_spf_check_mailfrom(struct rp_spf *spf, const struct rp_addr *ip, const char *helo,
			  const char *mailfrom, struct rp_spf_answer *out)
{
	bool has_from = mailfrom != NULL && *mailfrom != '\0';
	bool has_helo = helo != NULL && *helo != '\0';

	if (spf == NULL || ip == NULL || out == NULL || (!has_from && !has_helo))
		return RP_EINVAL;
	return spf_run(spf, ip, helo, mailfrom, out);
}

/* rp_spf_check_helo - check the HELO identity as postmaster@helo. */
int rp_spf_check_helo(struct rp_spf *spf, const struct rp_addr *ip, const char *helo,
		      struct rp_spf_answer *out)
{
	if (spf == NULL || ip == NULL || out == NULL || helo == NULL || *helo == '\0')
		return RP_EINVAL;
	return spf_run(spf, ip, helo, NULL, out);
}
