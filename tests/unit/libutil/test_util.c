/* test_util.c - libutil basics: buffers, arenas, UTF-8 repair, string and file helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "repute/alloc.h"
#include "repute/arena.h"
#include "repute/buf.h"
#include "repute/error.h"
#include "repute/strutil.h"
#include "repute/utf8.h"

static void test_buf_grows_and_steals(void **state)
{
	struct buf b;

	buf_init(&b);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.data));
	assert_true(str_startswith(b.data, "0,1,2,"));
	buf_putc(&b, 'x');
	assert_int_equal(b.data[b.len - 1], 'x');
	char *s = buf_steal(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	xfree(s);
	s = buf_steal(&b); /* empty buffer gives "" */
	assert_string_equal(s, "");
	xfree(s);
}

static void test_arena_alignment_and_large(void **state)
{
	struct arena *a = arena_new(64);

	for (int i = 1; i < 200; i++) {
		void *p = arena_alloc(a, (size_t)i);
		assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
		memset(p, 0xab, (size_t)i);
	}
	char *big = arena_alloc(a, 1 << 20); /* bigger than a chunk */
	big[(1 << 20) - 1] = 1;
	assert_string_equal(arena_printf(a, "%s-%d", "x", 7), "x-7");
	assert_string_equal(arena_memdup0(a, "abcdef", 3), "abc");
	assert_true(arena_used(a) > (1 << 20));
	assert_null(arena_free(a));
	assert_null(arena_free(NULL));
}

static void test_utf8(void **state)
{
	static const struct { const char *s; size_t n; bool valid; } cases[] = {
		{ "plain ascii", 11, true },
		{ "\xe4\xbd\xa0\xe5\xa5\xbd", 6, true },           /* 你好 */
		{ "\xf0\x9f\x98\x80", 4, true },                   /* emoji */
		{ "\xc0\xaf", 2, false },                          /* overlong '/' */
		{ "\xed\xa0\x80", 3, false },                      /* surrogate */
		{ "\xf4\x90\x80\x80", 4, false },                  /* > U+10FFFF */
		{ "\xe4\xbd", 2, false },                          /* truncated */
		{ "a\0b", 3, false },                              /* NUL */
		{ "\xff", 1, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (utf8_valid(cases[i].s, cases[i].n) != cases[i].valid)
			fail_msg("case %zu: validity wrong", i);
		char *clean = utf8_sanitize(cases[i].s, cases[i].n);
		assert_true(utf8_valid(clean, strlen(clean)));
		xfree(clean);
	}
	char *c = utf8_sanitize("a\xffz", 3);
	assert_string_equal(c, "a\xef\xbf\xbdz");
	xfree(c);
}

static void test_strings(void **state)
{
	char s[] = "  \tHello World \n";
	assert_string_equal(str_trim(s), "Hello World");
	char t[] = "MiXeD";
	assert_string_equal(str_lower(t), "mixed");
	assert_true(str_istartswith("Received: x", "received:"));
	assert_false(str_startswith("Rec", "Received"));
	const char hay[] = "abc RECEIVED def";
	assert_ptr_equal(mem_icasemem(hay, sizeof(hay) - 1, "received"), hay + 4);
	assert_null(mem_icasemem(hay, 6, "received"));
	char hex[65];
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_files(void **state)
{
	char path[] = "/tmp/repute-test-util-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(file_write_atomic(path, "hello", 5), 0);
	char *data;
	size_t len;
	assert_int_equal(file_read_all(path, 100, &data, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	xfree(data);
	assert_int_equal(file_read_all(path, 4, &data, &len), RP_ETOOBIG);
	assert_int_equal(file_read_all("/nonexistent/x", 4, &data, &len), RP_EIO);
	assert_int_equal(file_write_atomic("/nonexistent/dir/x", "a", 1), RP_EIO);
	unlink(path);
	assert_string_equal(rp_strerror(RP_ENOTMAIL), "not a mail message");
	assert_string_equal(rp_strerror(12345), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_steals),
		cmocka_unit_test(test_arena_alignment_and_large),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
