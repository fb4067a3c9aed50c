/* test_config.c - table-driven INI configuration: defaults, file values, bounds, overrides. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "repute/config.h"

struct test_cfg {
	char *db;
	long port;
	bool verbose;
	long ttl;
	long max_size;
	struct cfg_list trusted;
};

static const struct cfg_opt table[] = {
	{ "", "db", CFG_STR, "var/repute.db", 0, 0, offsetof(struct test_cfg, db), "database path" },
	{ "http", "port", CFG_INT, "8080", 1, 65535, offsetof(struct test_cfg, port), "HTTP port" },
	{ "http", "verbose", CFG_BOOL, "no", 0, 0, offsetof(struct test_cfg, verbose), "verbose" },
	{ "listing", "ttl", CFG_SECONDS, "7d", 60, 0x7fffffff, offsetof(struct test_cfg, ttl), "expiry" },
	{ "intake", "max_size", CFG_SIZE, "10M", 1024, 1L << 30, offsetof(struct test_cfg, max_size), "size" },
	{ "trust", "networks", CFG_LIST, "10/8, 192.168.0.0/16", 0, 0, offsetof(struct test_cfg, trusted), "nets" },
	CFG_END,
};

/* write_temp - a temporary file holding text; returns its path (static buffer). */
static const char *write_temp(const char *text)
{
	static char path[64];
	strcpy(path, "/tmp/repute-test-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_defaults(void **state)
{
	struct test_cfg c = { 0 };

	assert_int_equal(cfg_defaults(table, &c), 0);
	assert_string_equal(c.db, "var/repute.db");
	assert_int_equal(c.port, 8080);
	assert_false(c.verbose);
	assert_int_equal(c.ttl, 7 * 86400);
	assert_int_equal(c.max_size, 10L * 1024 * 1024);
	assert_int_equal(c.trusted.n, 2);
	assert_string_equal(c.trusted.items[1], "192.168.0.0/16");
	cfg_fini(table, &c);
}

static void test_file_overrides_defaults(void **state)
{
	struct test_cfg c = { 0 };
	struct rp_diag d = { 0 };
	const char *path = write_temp("db = /tmp/x.db\n[http]\nport = 9090\nverbose = yes\n[listing]\nttl = 2h\n");

	cfg_defaults(table, &c);
	assert_int_equal(cfg_load_file(table, &c, path, &d), 0);
	assert_string_equal(c.db, "/tmp/x.db");
	assert_int_equal(c.port, 9090);
	assert_true(c.verbose);
	assert_int_equal(c.ttl, 7200);
	unlink(path);
	cfg_fini(table, &c);
}

static void test_bad_values_name_the_line(void **state)
{
	struct test_cfg c = { 0 };
	struct rp_diag d = { 0 };
	const char *path = write_temp("[http]\nport = 70000\n");

	cfg_defaults(table, &c);
	assert_int_equal(cfg_load_file(table, &c, path, &d), RP_EINVAL);
	assert_int_equal(d.line, 2);
	assert_non_null(strstr(d.reason, "outside"));
	unlink(path);

	path = write_temp("[http]\nbogus = 1\n");
	assert_int_equal(cfg_load_file(table, &c, path, &d), RP_EINVAL);
	assert_non_null(strstr(d.reason, "unknown option http.bogus"));
	unlink(path);

	path = write_temp("[http]\nverbose = maybe\n");
	assert_int_equal(cfg_load_file(table, &c, path, &d), RP_EINVAL);
	unlink(path);
	assert_int_equal(cfg_load_file(table, &c, "/nonexistent/repute.conf", &d), RP_EIO);
	cfg_fini(table, &c);
}

static void test_set_override(void **state)
{
	struct test_cfg c = { 0 };
	struct rp_diag d = { 0 };

	cfg_defaults(table, &c);
	assert_int_equal(cfg_set(table, &c, "http.port", "2525", &d), 0);
	assert_int_equal(c.port, 2525);
	assert_int_equal(cfg_set(table, &c, "db", "other.db", &d), 0);
	assert_string_equal(c.db, "other.db");
	assert_int_equal(cfg_set(table, &c, "nosuch", "1", &d), RP_EINVAL);
	assert_int_equal(cfg_set(table, &c, "intake.max_size", "12x", &d), RP_EINVAL);
	cfg_fini(table, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_file_overrides_defaults),
		cmocka_unit_test(test_bad_values_name_the_line),
		cmocka_unit_test(test_set_override),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
