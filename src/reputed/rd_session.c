/* rd_session.c - web console sessions in reputed (docs/web-console.md): login and logout,
 * the session cookie, CSRF tokens, login rate limiting, and the analyst's case queue.
 *
 * rd_session_check runs for every request before its route's own checks. A request with an
 * Authorization header is an API client and is left to the key. Otherwise the cookie
 * repute_session (HttpOnly, SameSite=Strict, Secure with web.cookie_secure) names a session
 * in the database (only the token's hash is stored); its user becomes the request's
 * principal, so every /v1 endpoint enforces the same roles for the console as for keys. A
 * POST from a session must carry the session's CSRF token in X-CSRF-Token; an anonymous
 * console visitor gets a repute_csrf cookie from GET /v1/session and must echo it (double
 * submit), and POST /v1/session (login) always needs it. Failures are 403 csrf.
 * Logins take a token from two buckets (per address and per user name), so guessing is
 * slow; argon2id makes each guess costly as well. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <sodium.h>

#include "repute/alloc.h"
#include "repute/log.h"

#include "rd.h"
#include "rd_http.h"

#define SESSION_COOKIE "repute_session"
#define CSRF_COOKIE "repute_csrf"
#define LOGIN_RATE_IP (1.0 / 6)     /* per client address: 10 a minute after a burst of 20 */
#define LOGIN_BURST_IP 20.0
#define LOGIN_RATE_USER (1.0 / 30)  /* per user name: 2 a minute after a burst of 5 */
#define LOGIN_BURST_USER 5.0

/* token_eq - two tokens are equal (constant time in their length); NULLs never are. */
static bool token_eq(const char *a, const char *b)
{
	size_t n = a ? strlen(a) : 0;

	return a != NULL && b != NULL && n > 0 && n == strlen(b) && sodium_memcmp(a, b, n) == 0;
}

/* unsafe_method - methods that change something need a CSRF token. */
static bool unsafe_method(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* csrf_fail - answer 403 for a missing or wrong CSRF token. */
static enum MHD_Result csrf_fail(struct MHD_Connection *c, struct req *r)
{
	r->answered = true;
	return rd_reply_error(c, 403, "csrf", 0, "missing or wrong CSRF token (send X-CSRF-Token from GET /v1/session)");
}

/* rd_session_check - the session's principal and the CSRF rule (see the file comment). */
enum MHD_Result rd_session_check(struct rd *rd, struct MHD_Connection *c, struct req *r, const char *method)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, SESSION_COOKIE);
	const char *anon = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, CSRF_COOKIE);
	const char *sent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
	bool unsafe = unsafe_method(method);

	if (auth != NULL)
		return MHD_YES;
	if (tok != NULL) {
		struct rp_user u;
		char csrf[RP_TOKEN_LEN];
		pthread_mutex_lock(&rd->reader_lock);
		int rc = rp_store_session_get(rd->reader, tok, &u, csrf);
		pthread_mutex_unlock(&rd->reader_lock);
		if (rc == RP_OK) {
			snprintf(r->who.reporter_id, sizeof(r->who.reporter_id), "%s", u.reporter_id);
			snprintf(r->who.name, sizeof(r->who.name), "%s", u.name);
			snprintf(r->who.role, sizeof(r->who.role), "%s", u.role);
			r->who.key_id = -u.id; /* its own rate-limit bucket, apart from any key's */
			r->authed = true;
			if (unsafe && !token_eq(sent, csrf))
				return csrf_fail(c, r);
			return MHD_YES;
		}
	}
	if (unsafe && (anon != NULL || r->route == R_LOGIN) && !token_eq(sent, anon))
		return csrf_fail(c, r);
	return MHD_YES;
}

/* set_cookie - add a Set-Cookie header with the console's attributes (max_age 0 deletes). */
static void set_cookie(struct rd *rd, struct MHD_Response *resp, const char *name, const char *value, long max_age)
{
	char h[256];

	snprintf(h, sizeof(h), "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s", name, value, max_age,
		 rd->cfg.web_cookie_secure ? "; Secure" : "");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, h);
}

/* reply_cookies - a JSON answer that also sets (or clears) cookies. */
static enum MHD_Result reply_cookies(struct rd *rd, struct MHD_Connection *c, int status, json_t *j,
				     const char *session, long session_age, const char *csrf_cookie)
{
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL)
		return rd_reply_error(c, 500, "internal", 0, "the answer could not be encoded");
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (session != NULL)
		set_cookie(rd, resp, SESSION_COOKIE, session, session_age);
	if (csrf_cookie != NULL)
		set_cookie(rd, resp, CSRF_COOKIE, csrf_cookie, 86400);
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	rd_metrics_http(status);
	return rc;
}

/* lang_of - "zh" or "en" from Accept-Language: whichever the browser names first. */
static const char *lang_of(struct MHD_Connection *c)
{
	const char *al = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE);

	for (const char *p = al; p != NULL && *p != '\0'; p++) {
		if ((p == al || p[-1] == ',' || p[-1] == ' ') && strncasecmp(p, "zh", 2) == 0)
			return "zh";
		if ((p == al || p[-1] == ',' || p[-1] == ' ') && strncasecmp(p, "en", 2) == 0)
			return "en";
	}
	return "en";
}

/* rd_session_get - GET /v1/session: who is logged in, the CSRF token, the language. */
enum MHD_Result rd_session_get(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, SESSION_COOKIE);
	const char *anon = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, CSRF_COOKIE);
	char csrf[RP_TOKEN_LEN] = "";
	struct rp_user u;
	bool logged_in = false;

	if (tok != NULL && MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION) == NULL) {
		pthread_mutex_lock(&rd->reader_lock);
		logged_in = rp_store_session_get(rd->reader, tok, &u, csrf) == RP_OK;
		pthread_mutex_unlock(&rd->reader_lock);
	}
	json_t *j = json_pack("{s:s}", "lang", lang_of(c));
	if (logged_in) {
		json_object_set_new(j, "user", json_pack("{s:s, s:s}", "name", u.name, "role", u.role));
		json_object_set_new(j, "csrf", json_string(csrf));
		return reply_cookies(rd, c, 200, j, NULL, 0, NULL);
	}
	json_object_set_new(j, "user", json_null());
	bool fresh = anon == NULL || strlen(anon) != RP_TOKEN_LEN - 5;
	if (fresh)
		rp_random_token(csrf);
	else
		snprintf(csrf, sizeof(csrf), "%s", anon);
	json_object_set_new(j, "csrf", json_string(csrf));
	(void)r;
	return reply_cookies(rd, c, 200, j, NULL, 0, fresh ? csrf : NULL);
}

/* client_addr - the client's address as text, for the login bucket. */
static void client_addr(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(out, len, "?");
	if (ci == NULL || ci->client_addr == NULL)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)len);
}

/* login_allowed - one token from the address's and the name's login buckets. */
static bool login_allowed(struct rd *rd, struct MHD_Connection *c, const char *name, long *retry)
{
	char addr[INET6_ADDRSTRLEN], key[160];

	client_addr(c, addr, sizeof(addr));
	snprintf(key, sizeof(key), "login-ip:%s", addr);
	if (!rd_ratelimit_take(rd->rl, key, LOGIN_RATE_IP, LOGIN_BURST_IP, retry))
		return false;
	snprintf(key, sizeof(key), "login-user:%.100s", name);
	return rd_ratelimit_take(rd->rl, key, LOGIN_RATE_USER, LOGIN_BURST_USER, retry);
}

/* new_session - verify the password and create the session; RP_ENOTFOUND for a wrong one. */
static int new_session(struct rd *rd, const char *name, const char *password, struct rp_user *u,
		       char token[RP_TOKEN_LEN], char csrf[RP_TOKEN_LEN])
{
	struct rp_diag diag = { 0 };
	struct rp_store *st = rd->reader;

	/* the argon2id check (tens of ms) holds the reader lock; logins are rate-limited */
	pthread_mutex_lock(&rd->reader_lock);
	int rc = rp_store_user_login(st, name, password, u);
	if (rc == RP_OK)
		rc = rp_store_session_create(st, u->id, rd->cfg.web_session_ttl, token, csrf, &diag);
	if (rc == RP_OK)
		rc = rp_store_audit_append(st, u->name, "user.login", "session", "web console", &diag);
	pthread_mutex_unlock(&rd->reader_lock);
	if (rc != RP_OK && rc != RP_ENOTFOUND)
		log_warnx("web: login of user=%s failed: %s", name, diag.reason[0] ? diag.reason : rp_strerror(rc));
	return rc;
}

/* rd_session_login - POST /v1/session {"name", "password"}: a session cookie, or 401/429. */
enum MHD_Result rd_session_login(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	json_error_t err;
	const char *name = NULL, *password = NULL;
	char token[RP_TOKEN_LEN], csrf[RP_TOKEN_LEN];
	struct rp_user u;
	long retry = 0;

	if (!rd_content_type_is(c, "application/json"))
		return rd_reply_error(c, 415, "unsupported_media_type", 0, "POST /v1/session takes application/json");
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &err);
	if (j == NULL || json_unpack(j, "{s:s, s:s}", "name", &name, "password", &password) != 0) {
		json_decref(j);
		return rd_reply_error(c, 400, "missing_field", 0, "\"name\" and \"password\" (strings) are required");
	}
	if (!login_allowed(rd, c, name, &retry)) {
		log_warnx("web: login rate limited user=%.64s", name);
		json_decref(j);
		return rd_reply_error(c, 429, "rate_limited", retry, "too many login attempts; retry after %ld s", retry);
	}
	int rc = new_session(rd, name, password, &u, token, csrf);
	json_decref(j);
	if (rc == RP_ENOTFOUND)
		return rd_reply_error(c, 401, "unauthorized", 0, "wrong name or password");
	if (rc != RP_OK)
		return rd_reply_error(c, 500, "internal", 0, "the session could not be stored");
	log_info("web: login user=%s role=%s", u.name, u.role);
	json_t *ans = json_pack("{s:{s:s, s:s}, s:s}", "user", "name", u.name, "role", u.role, "csrf", csrf);
	enum MHD_Result m = reply_cookies(rd, c, 200, ans, token, rd->cfg.web_session_ttl, NULL);
	sodium_memzero(token, sizeof(token));
	return m;
}

/* rd_session_logout - POST /v1/session/logout: end the session, clear the cookie. */
enum MHD_Result rd_session_logout(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	const char *tok = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, SESSION_COOKIE);
	struct rp_diag diag = { 0 };

	if (!r->authed || r->who.key_id >= 0)
		return rd_reply_error(c, 401, "unauthorized", 0, "not logged in");
	pthread_mutex_lock(&rd->reader_lock);
	int rc = rp_store_session_delete(rd->reader, tok, &diag);
	pthread_mutex_unlock(&rd->reader_lock);
	if (rc != RP_OK)
		return rd_reply_error(c, 500, "internal", 0, "the session could not be ended");
	return reply_cookies(rd, c, 200, json_pack("{s:b}", "logged_out", 1), "", 0, NULL);
}

/* rd_session_cases - GET /v1/cases[?state=new][&limit=N]: the analyst queue. */
enum MHD_Result rd_session_cases(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	const char *state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state");
	const char *lim = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	long limit = lim ? strtol(lim, NULL, 10) : 100;
	json_t *j = NULL;

	if (!r->authed)
		return rd_reply_error(c, 401, "unauthorized", 0, "log in or send \"Authorization: Bearer KEY\"");
	if (!rd_is_analyst(r->who.role))
		return rd_reply_error(c, 403, "forbidden", 0, "only analysts and admins see the case queue");
	if (state != NULL && strcmp(state, "new") != 0 && strcmp(state, "confirmed") != 0 &&
	    strcmp(state, "listed") != 0 && strcmp(state, "resolved") != 0 && strcmp(state, "rejected") != 0)
		return rd_reply_error(c, 400, "invalid_field", 0, "\"state\" must be a case state");
	if (limit < 1 || limit > 500)
		return rd_reply_error(c, 400, "invalid_field", 0, "\"limit\" must be 1 to 500");
	pthread_mutex_lock(&rd->reader_lock);
	int rc = rp_store_case_queue_json(rd->reader, state, (size_t)limit, &j);
	pthread_mutex_unlock(&rd->reader_lock);
	if (rc != RP_OK)
		return rd_reply_error(c, 500, "internal", 0, "the case queue could not be read");
	return rd_reply_json(c, 200, j, 0);
}
