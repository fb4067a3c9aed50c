/* test_dnsbl.c - DNSBL/DNSWL lookups through libunbound against a real authoritative server:
 * rbldnsd on 127.0.0.1 with a block list and an allow list (RFC 5782 test points: 127.0.0.2
 * listed, 127.0.0.1 not), plus a "dead" list server (a UDP socket that never answers) to show
 * a check comes back within its timeout with the other zones answered. Also the query names,
 * the cache (hits, bound) and the conf limits. Skipped when rbldnsd is not installed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "repute/alloc.h"
#include "repute/dnsbl.h"
#include "repute/netaddr.h"

#define RBLDNSD "/usr/sbin/rbldnsd"

struct fixture {
	pid_t rbldnsd;
	int dead_fd;       /* bound UDP socket nobody reads: a list server that never answers */
	int port, dead_port;
	char dir[64];
};

/* udp_bind_any - bind a UDP socket on 127.0.0.1 to a free port; returns fd, port in *port. */
static int udp_bind_any(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* write_file - dir/name := text. */
static void write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	xfree(path);
}

/* wait_ready - poll the server with a raw DNS query (not through libunbound, which would
 * remember a server that was not up yet as dead) until it answers; false after 5 s. */
static bool wait_ready(int port)
{
	static const unsigned char query[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		1, '2', 1, '0', 1, '0', 3, '1', '2', '7', 2, 'b', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		3, 'n', 'e', 't', 0, 0, 1, 0, 1,
	};
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { 0, 100000 };
	unsigned char reply[512];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool up = false;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < 50 && !up; i++) {
		sendto(fd, query, sizeof(query), 0, (struct sockaddr *)&sa, sizeof(sa));
		up = recv(fd, reply, sizeof(reply), 0) > 0;
		if (!up)
			usleep(100000);
	}
	close(fd);
	return up;
}

/* start_rbldnsd - serve bl.example.net and wl.example.net on a free port. */
static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	int fd;

	if (access(RBLDNSD, X_OK) != 0) {
		print_message("rbldnsd not installed: DNS tests skipped\n");
		*state = fx;
		return 0;
	}
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_dnsbl.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	chmod(fx->dir, 0755);
	write_file(fx->dir, "bl.zone",
		   ":127.0.0.2:Listed by test list: $\n127.0.0.2\n192.0.2.99 :127.0.0.3:Spam source $\n");
	write_file(fx->dir, "wl.zone", ":127.0.0.2:whitelisted\n192.0.2.10\n");
	fd = udp_bind_any(&fx->port);
	close(fd); /* rbldnsd binds it next; a race with another binder is unlikely */
	fx->dead_fd = udp_bind_any(&fx->dead_port);
	char bind_arg[64];
	snprintf(bind_arg, sizeof(bind_arg), "127.0.0.1/%d", fx->port);
	fx->rbldnsd = fork();
	assert_true(fx->rbldnsd >= 0);
	if (fx->rbldnsd == 0) {
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		/* as root rbldnsd drops to a user; otherwise it runs as we are */
		if (geteuid() == 0)
			execl(RBLDNSD, "rbldnsd", "-n", "-u", "nobody", "-b", bind_arg, "-w", fx->dir,
			      "bl.example.net:ip4set:bl.zone", "wl.example.net:ip4set:wl.zone", (char *)NULL);
		else
			execl(RBLDNSD, "rbldnsd", "-n", "-b", bind_arg, "-w", fx->dir,
			      "bl.example.net:ip4set:bl.zone", "wl.example.net:ip4set:wl.zone", (char *)NULL);
		_exit(127);
	}
	if (!wait_ready(fx->port))
		print_message("rbldnsd did not answer within 5 s\n");
	*state = fx;
	return 0;
}

/* teardown - stop rbldnsd, remove its files. */
static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->rbldnsd > 0) {
		kill(fx->rbldnsd, SIGTERM);
		waitpid(fx->rbldnsd, NULL, 0);
		close(fx->dead_fd);
		char *cmd = xasprintf("rm -rf %s", fx->dir);
		if (system(cmd) != 0)
			print_message("cannot remove %s\n", fx->dir);
		xfree(cmd);
	}
	xfree(fx);
	return 0;
}

/* make_conf - the live lists, and the dead one when with_dead. */
static void make_conf(struct fixture *fx, struct rp_dnsbl_conf *c, bool with_dead, long timeout_ms)
{
	char live[64], dead[64];

	snprintf(live, sizeof(live), "127.0.0.1@%d", fx->port);
	snprintf(dead, sizeof(dead), "127.0.0.1@%d", fx->dead_port);
	rp_dnsbl_conf_init(c);
	c->timeout_ms = timeout_ms;
	assert_int_equal(rp_dnsbl_conf_add(c, "bl.example.net", RP_DNSBL_BLOCK, live,
					   "https://bl.example.net/remove"), 0);
	assert_int_equal(rp_dnsbl_conf_add(c, "wl.example.net", RP_DNSBL_ALLOW, live, NULL), 0);
	if (with_dead)
		assert_int_equal(rp_dnsbl_conf_add(c, "dead.example.net", RP_DNSBL_BLOCK, dead, NULL), 0);
}

/* check - look up text in d. */
static void check(struct rp_dnsbl *d, const char *text, struct rp_dnsbl_result *r)
{
	struct rp_addr a;

	assert_int_equal(rp_addr_parse(text, &a), 0);
	assert_int_equal(rp_dnsbl_check(d, &a, r), 0);
}

/* test_query_name - RFC 5782 section 2.1 and 2.4 query names. */
static void test_query_name(void **state)
{
	struct rp_addr a;
	char buf[300];

	assert_int_equal(rp_addr_parse("192.0.2.99", &a), 0);
	assert_int_equal(rp_dnsbl_query_name(&a, "bl.example.net", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "99.2.0.192.bl.example.net");
	assert_int_equal(rp_addr_parse("2001:db8:1:2:3:4:567:89ab", &a), 0);
	assert_int_equal(rp_dnsbl_query_name(&a, "ugly.example.com", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com");
	assert_int_equal(rp_dnsbl_query_name(&a, "x", buf, 20), RP_ETOOBIG);
}

/* test_conf_limits - zone count and names are checked. */
static void test_conf_limits(void **state)
{
	struct rp_dnsbl_conf c;

	rp_dnsbl_conf_init(&c);
	assert_int_equal(rp_dnsbl_conf_add(&c, "", RP_DNSBL_BLOCK, NULL, NULL), RP_EINVAL);
	for (int i = 0; i < RP_DNSBL_MAX_ZONES; i++)
		assert_int_equal(rp_dnsbl_conf_add(&c, "z.example", RP_DNSBL_BLOCK, NULL, NULL), 0);
	assert_int_equal(rp_dnsbl_conf_add(&c, "z.example", RP_DNSBL_BLOCK, NULL, NULL), RP_ETOOBIG);
	rp_dnsbl_conf_fini(&c);
}

/* test_listed_and_not - 127.0.0.2 listed with its TXT, 127.0.0.1 not, whitelist hit, cache. */
static void test_listed_and_not(void **state)
{
	struct fixture *fx = *state;
	struct rp_dnsbl_conf c;
	struct rp_dnsbl_result r;
	struct rp_diag d = { 0 };

	if (fx->rbldnsd <= 0)
		skip();
	make_conf(fx, &c, false, 2000);
	struct rp_dnsbl_cache *cache = rp_dnsbl_cache_new(100);
	struct rp_dnsbl *dn = rp_dnsbl_new(&c, cache, &d);
	assert_non_null(dn);

	check(dn, "127.0.0.2", &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.hits[0].status, RP_DNSBL_LISTED);
	assert_int_equal(r.hits[0].code[3], 2);
	assert_string_equal(r.hits[0].txt, "Listed by test list: 127.0.0.2");
	assert_string_equal(r.hits[0].zone->delist_url, "https://bl.example.net/remove");
	assert_int_equal(r.hits[1].status, RP_DNSBL_CLEAN);
	assert_int_equal(r.listed, 1);
	assert_int_equal(r.cache_hits, 0);

	check(dn, "127.0.0.1", &r);
	assert_int_equal(r.hits[0].status, RP_DNSBL_CLEAN);
	assert_int_equal(r.listed + r.allowed + r.errors + r.timeouts, 0);

	check(dn, "192.0.2.99", &r);
	assert_int_equal(r.hits[0].status, RP_DNSBL_LISTED);
	assert_int_equal(r.hits[0].code[3], 3);
	assert_string_equal(r.hits[0].txt, "Spam source 192.0.2.99");

	check(dn, "192.0.2.10", &r);
	assert_int_equal(r.hits[1].status, RP_DNSBL_LISTED);
	assert_int_equal(r.allowed, 1);
	assert_int_equal(r.listed, 0);

	/* the same again comes from the cache, with the same answer */
	check(dn, "127.0.0.2", &r);
	assert_int_equal(r.cache_hits, 2);
	assert_true(r.hits[0].cached);
	assert_int_equal(r.hits[0].status, RP_DNSBL_LISTED);
	assert_string_equal(r.hits[0].txt, "Listed by test list: 127.0.0.2");
	assert_int_equal(rp_dnsbl_cache_size(cache), 8);

	rp_dnsbl_free(dn);
	rp_dnsbl_cache_free(cache);
	rp_dnsbl_conf_fini(&c);
}

/* ms_since - milliseconds since t0. */
static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* test_dead_server - a list server that never answers costs at most the timeout (fail open). */
static void test_dead_server(void **state)
{
	struct fixture *fx = *state;
	struct rp_dnsbl_conf c;
	struct rp_dnsbl_result r;
	struct rp_diag d = { 0 };
	struct timespec t0;

	if (fx->rbldnsd <= 0)
		skip();
	make_conf(fx, &c, true, 500);
	struct rp_dnsbl *dn = rp_dnsbl_new(&c, NULL, &d);
	assert_non_null(dn);
	for (int round = 0; round < 2; round++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		check(dn, "127.0.0.2", &r);
		long ms = ms_since(&t0);
		print_message("dead list: round %d answered in %ld ms\n", round, ms);
		assert_true(ms < 900);
		assert_int_equal(r.hits[0].status, RP_DNSBL_LISTED);
		assert_true(r.hits[2].status == RP_DNSBL_TIMEOUT || r.hits[2].status == RP_DNSBL_ERROR);
		assert_int_equal(r.timeouts + r.errors, 1);
	}
	rp_dnsbl_free(dn);
	rp_dnsbl_conf_fini(&c);
}

/* test_cache_bound - the cache never holds more than its maximum. */
static void test_cache_bound(void **state)
{
	struct fixture *fx = *state;
	struct rp_dnsbl_conf c;
	struct rp_dnsbl_result r;
	struct rp_diag d = { 0 };
	char ip[32];

	if (fx->rbldnsd <= 0)
		skip();
	make_conf(fx, &c, false, 2000);
	struct rp_dnsbl_cache *cache = rp_dnsbl_cache_new(5);
	struct rp_dnsbl *dn = rp_dnsbl_new(&c, cache, &d);
	for (int i = 1; i <= 20; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		check(dn, ip, &r);
		assert_int_equal(r.hits[0].status, RP_DNSBL_CLEAN);
		assert_true(rp_dnsbl_cache_size(cache) <= 5);
	}
	rp_dnsbl_free(dn);
	rp_dnsbl_cache_free(cache);
	rp_dnsbl_conf_fini(&c);
}

/* main - run the tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_name),
		cmocka_unit_test(test_conf_limits),
		cmocka_unit_test(test_listed_and_not),
		cmocka_unit_test(test_dead_server),
		cmocka_unit_test(test_cache_bound),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
