/* rd_web.c - the web console's static files (web.root, default "web/"), served under /
 * by reputed (docs/web-console.md). Paths are checked character by character (no "..", no
 * hidden files); files are read whole (at most 4 MB) and sent with a strict
 * Content-Security-Policy. Pages that need a role are listed in page_roles[]: without a
 * session they redirect to the login page, with the wrong role they are 403. The data of
 * every page comes from the /v1 API, which checks the role again on each request. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "repute/alloc.h"
#include "repute/log.h"

#include "rd.h"
#include "rd_http.h"

#define WEB_MAX_FILE (4L << 20)

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
			  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
			  "object-src 'none'";

/* Pages only some roles may open (their data is guarded by the API as well). */
static const struct {
	const char *path;
	const char *roles; /* space-separated */
} page_roles[] = {
	{ "/queue.html", "analyst admin" },
	{ "/my.html", "reporter provider partner analyst admin" },
	{ "/provider.html", "provider partner analyst admin" },
};

/* rd_web_path - a console file: GET or HEAD, not an API path, only safe characters. */
bool rd_web_path(const char *method, const char *url)
{
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return false;
	if (url[0] != '/' || strncmp(url, "/v1/", 4) == 0 || strcmp(url, "/v1") == 0 || strlen(url) > 200)
		return false;
	for (const char *p = url; *p != '\0'; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			  *p == '/' || *p == '-' || *p == '_' || *p == '.';
		if (!ok || (p[0] == '/' && (p[1] == '.' || p[1] == '/')))
			return false; /* no "..", no hidden files, no "//" */
	}
	return true;
}

/* content_type - by file extension. */
static const char *content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" }, { ".mjs", "text/javascript; charset=utf-8" },
		{ ".json", "application/json" }, { ".svg", "image/svg+xml" }, { ".png", "image/png" },
		{ ".ico", "image/x-icon" }, { ".txt", "text/plain; charset=utf-8" }, { ".md", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* free_body - MHD's free callback for bodies from read_file and text_page. */
static void free_body(void *p)
{
	xfree(p);
}

/* web_send - queue a response with the console's security headers (takes body, xmalloc'd or NULL). */
static enum MHD_Result web_send(struct MHD_Connection *c, int status, const char *ctype, char *body, size_t len,
			    const char *location)
{
	struct MHD_Response *resp = body != NULL
		? MHD_create_response_from_buffer_with_free_callback(len, body, free_body)
		: MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	if (location != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	rd_metrics_http(status);
	return rc;
}

/* text_page - a short plain answer (403, 404). */
static enum MHD_Result text_page(struct MHD_Connection *c, int status, const char *msg)
{
	char *b = xstrdup(msg);

	return web_send(c, status, "text/plain; charset=utf-8", b, strlen(b), NULL);
}

/* role_in - role is one of the space-separated words of roles. */
static bool role_in(const char *role, const char *roles)
{
	size_t n = strlen(role);

	for (const char *p = roles; *p != '\0';) {
		if (strncmp(p, role, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return n > 0;
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	return false;
}

/* guard - true when r may open path; else false with an answer queued (its result in *rc). */
static bool guard(struct MHD_Connection *c, struct req *r, const char *path, enum MHD_Result *rc)
{
	char where[256];

	for (size_t i = 0; i < sizeof(page_roles) / sizeof(page_roles[0]); i++) {
		if (strcmp(path, page_roles[i].path) != 0)
			continue;
		if (!r->authed) {
			snprintf(where, sizeof(where), "/login.html?next=%s", path);
			*rc = web_send(c, 303, "text/plain; charset=utf-8", NULL, 0, where);
			return false;
		}
		if (!role_in(r->who.role, page_roles[i].roles)) {
			*rc = text_page(c, 403, "403 forbidden: your role may not open this page\n");
			return false;
		}
	}
	return true;
}

/* read_file - the whole regular file at path into *out (xmalloc); false when missing or too big. */
static bool read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat sb;

	if (fd < 0)
		return false;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > WEB_MAX_FILE) {
		close(fd);
		return false;
	}
	char *b = xmalloc((size_t)sb.st_size + 1);
	size_t got = 0;
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, b + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*out = b;
	*len = got;
	return true;
}

/* rd_web_serve - a console file, after its page guard. */
enum MHD_Result rd_web_serve(struct rd *rd, struct MHD_Connection *c, struct req *r)
{
	const char *url = r->arg ? r->arg : "/";
	char rel[256], path[1024];
	enum MHD_Result rc = MHD_YES;
	char *body = NULL;
	size_t len = 0;

	snprintf(rel, sizeof(rel), "%s%s", url, url[strlen(url) - 1] == '/' ? "index.html" : "");
	if (!guard(c, r, rel, &rc))
		return rc;
	snprintf(path, sizeof(path), "%s%s", rd->cfg.web_root ? rd->cfg.web_root : "web", rel);
	if (!read_file(path, &body, &len)) /* the API's 404, so unknown paths answer as before */
		return rd_reply_error(c, 404, "not_found", 0, "no such resource: %s", url);
	return web_send(c, 200, content_type(rel), body, len, NULL);
}
