/* test_classify.c - content classifier: tokenizer (Latin, CJK, full-width, URLs, bounds), training and
 * scoring on small synthetic sets, the Chinese test set (two-fold), crash safety of the token database
 * (a killed trainer, an uncommitted batch) and online backup. */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "repute/alloc.h"
#include "repute/classify.h"
#include "repute/message.h"
#include "repute/strutil.h"

/* has - assert that token s is (or is not) in t, naming it on failure. */
static void has(const struct rp_tokens *t, const char *s, bool want)
{
	if (rp_tokens_has(t, s) != want)
		fail_msg("token \"%s\" %s", s, want ? "missing" : "unexpected");
}

/* text_tokens - tokens of one text into a fresh set (caller finis). */
static void text_tokens(struct rp_tokens *t, const char *prefix, const char *text)
{
	rp_tokens_init(t, 0, 0);
	rp_tokens_add_text(t, prefix, text, strlen(text));
}

static void test_tokens_latin(void **state)
{
	struct rp_tokens t;

	text_tokens(&t, NULL, "Hello World, e-mail me: FREE!!! only $100 at http://www.Example.COM/path/offer?id=1 now");
	has(&t, "hello", true);
	has(&t, "world", true);
	has(&t, "hello world", true); /* OSB pair */
	has(&t, "e-mail", true);
	has(&t, "mail", true);
	has(&t, "free!!!", true);
	has(&t, "$100", true);
	has(&t, "url:www.example.com", true);
	has(&t, "url:example.com", true);
	has(&t, "urlp:path", true);
	has(&t, "urlp:offer", true);
	has(&t, "url:http", true);
	has(&t, "Hello", false); /* lower-cased */
	has(&t, "a", false);     /* one-letter words are dropped */
	rp_tokens_fini(&t);

	text_tokens(&t, "subject", "Cheap Meds");
	has(&t, "subject:cheap", true);
	has(&t, "subject:meds", true);
	has(&t, "subject:cheap meds", true);
	has(&t, "cheap", false);
	rp_tokens_fini(&t);

	text_tokens(&t, NULL, "call 13812345678 or mail sales@shop.example.net, ip 192.0.2.77 "
			      "supercalifragilisticexpialidociousandthensomemorewords");
	has(&t, "num:138x11", true);
	has(&t, "@shop.example.net", true);
	has(&t, "192.0.2.77", true);
	has(&t, "ip:192.0.2", true);
	has(&t, "ip:192.0", true);
	has(&t, "skip:a50", true);
	rp_tokens_fini(&t);
}

static void test_tokens_cjk(void **state)
{
	struct rp_tokens t;

	/* no spaces: unigrams and bigrams of every run */
	text_tokens(&t, NULL, "免费领取红包，点击链接");
	has(&t, "免", true);
	has(&t, "免费", true);
	has(&t, "费领", true);
	has(&t, "红包", true);
	has(&t, "包点", false); /* the comma breaks the run */
	has(&t, "点击", true);
	rp_tokens_fini(&t);

	/* full-width letters and digits fold to ASCII; pinyin and numbers split off Chinese */
	text_tokens(&t, NULL, "加ＱＱ：１２３４５６７８ 或微信fapiao8888，ＦＲＥＥ　ｇｉｆｔ 100％");
	has(&t, "加", true);
	has(&t, "qq", true);
	has(&t, "num:123x8", true);
	has(&t, "fapiao8888", true);
	has(&t, "fapiao", true);
	has(&t, "8888", true);
	has(&t, "微信", true);
	has(&t, "free", true);
	has(&t, "free gift", true); /* U+3000 is a space */
	has(&t, "100", true);
	has(&t, "ＦＲＥＥ", false);
	rp_tokens_fini(&t);

	/* kana and Hangul are runs too; Latin-1 letters are word characters, upper case folded */
	text_tokens(&t, "subject", "セール 안녕하세요 Über");
	has(&t, "subject:セー", true);
	has(&t, "subject:안녕", true);
	has(&t, "subject:über", true);
	rp_tokens_fini(&t);
}

static void test_tokens_bad_input(void **state)
{
	struct rp_tokens t;
	static const char bad[] = "abc\xff\xfe def \xe4\xb8 ghi \xed\xa0\x80 jkl \xc0\xaf mno";

	text_tokens(&t, NULL, bad);
	has(&t, "abc", true);
	has(&t, "def", true);
	has(&t, "jkl", true);
	has(&t, "mno", true);
	rp_tokens_fini(&t);

	text_tokens(&t, NULL, "");
	assert_int_equal(t.n, 0);
	rp_tokens_fini(&t);

	/* random bytes (biased to markup, URLs and UTF-8 lead bytes) through every text entry point */
	static const char alphabet[] = "<>=\"' /:.-@$!hHwWtTpP3Daz09\n\r\t\xe4\xb8\xad\xef\xbc\x81\xc3\xff";
	unsigned seed = 77;
	char buf[2048];
	rp_tokens_init(&t, 0, 0);
	for (int round = 0; round < 300; round++) {
		size_t n = 1 + (size_t)(round * 7) % sizeof(buf);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (seed >> 24) % 3 ? alphabet[(seed >> 16) % (sizeof(alphabet) - 1)] : (char)(seed >> 8);
		}
		rp_tokens_reset(&t);
		rp_tokens_add_text(&t, round % 2 ? "subject" : NULL, buf, n);
		rp_tokens_add_url(&t, buf, n);
		rp_tokens_from_raw_html(&t, buf, n);
		assert_true(t.n <= t.added);
	}
	rp_tokens_fini(&t);

	/* 8 MiB of distinct words: bounded occurrences and bytes, flagged truncated */
	size_t len = 8u << 20;
	char *big = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		big[i] = (i % 7 == 6) ? ' ' : (char)('a' + (i * 2654435761u >> 7) % 26);
	big[len] = '\0';
	rp_tokens_init(&t, 1000, 64 * 1024);
	rp_tokens_add_text(&t, NULL, big, len);
	assert_true(t.truncated);
	assert_true(t.added <= 1000);
	assert_true(t.n <= 1000);
	rp_tokens_fini(&t);
	xfree(big);
}

static void test_tokens_reset(void **state)
{
	struct rp_tokens t;
	char w[32];

	rp_tokens_init(&t, 0, 0);
	for (int round = 0; round < 3; round++) {
		rp_tokens_reset(&t);
		for (int i = 0; i < 5000; i++) {
			int n = snprintf(w, sizeof(w), "w%d_%d", round, i);
			rp_tokens_add(&t, NULL, w, (size_t)n);
			rp_tokens_add(&t, NULL, w, (size_t)n); /* duplicates count once */
		}
		assert_int_equal(t.n, 5000);
		has(&t, round ? "w0_1" : "w1_1", false);
		snprintf(w, sizeof(w), "w%d_4999", round);
		has(&t, w, true);
	}
	rp_tokens_fini(&t);
}

static const char msg_gb[] =
	"Received: from mx.spam.example (mx.spam.example [198.51.100.23])\r\n"
	"\tby mail.example.org with ESMTP id 12345; Mon, 2 Jun 2025 10:00:00 +0800\r\n"
	"From: \"=?GB2312?B?zfXQobui?=\" <promo@spam.example>\r\n"
	"To: user@example.org\r\n"
	"Subject: =?GB2312?B?tPq/qreixrE=?=\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=\"gb2312\"; format=flowed\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"tPq/qreixrGjrLzTzqLQxWZhcGlhbzg4ODgNCg==\r\n";

static void test_tokens_message(void **state)
{
	struct rp_message *m = NULL;
	struct rp_diag diag = { 0 };
	struct rp_tokens t;

	assert_int_equal(rp_message_parse(msg_gb, sizeof(msg_gb) - 1, NULL, &m, &diag), 0);
	rp_tokens_init(&t, 0, 0);
	rp_tokens_from_message(&t, m);
	has(&t, "subject:代开", true); /* RFC 2047, GB2312 */
	has(&t, "subject:发票", true);
	has(&t, "代开", true);         /* base64 GB2312 body */
	has(&t, "微信", true);
	has(&t, "fapiao8888", true);
	has(&t, "from:@spam.example", true);
	has(&t, "received:mx.spam.example", true);
	has(&t, "received:198.51.100", true);
	has(&t, "received:198.51", true);
	has(&t, "content-type:text/plain", true);
	has(&t, "charset:gb2312", true);
	has(&t, "hdr:subject", true);
	has(&t, "content-type:format", false); /* parameters other than charset are left out */
	rp_tokens_fini(&t);
	rp_message_free(m);
}

static const char msg_plain[] =
	"From: Alice <alice@example.org>\r\n"
	"To: bob@example.net\r\n"
	"Subject: Lunch on Friday?\r\n"
	"Content-Type: text/plain; charset=\"us-ascii\"\r\n"
	"Content-Transfer-Encoding: 7bit\r\n"
	"\r\n"
	"Hi Bob, are we still on for lunch on Friday? See http://cafe.example.com/menu\r\n";

/* same_tokens - whether two token sets hold the same hashes. */
static bool same_tokens(const struct rp_tokens *a, const struct rp_tokens *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		bool found = false;
		for (size_t j = 0; j < b->n && !found; j++)
			found = a->h[i] == b->h[j];
		if (!found)
			return false;
	}
	return true;
}

static void test_tokenize_paths(void **state)
{
	struct rp_tokens fast, full;
	struct rp_message *m = NULL;
	struct rp_diag diag = { 0 };

	/* a message that needs no decoding skips the decoder and gives the same tokens */
	rp_tokens_init(&fast, 0, 0);
	rp_tokens_init(&full, 0, 0);
	assert_int_equal(rp_classify_tokenize(&fast, msg_plain, sizeof(msg_plain) - 1, &diag), 0);
	assert_int_equal(rp_message_parse(msg_plain, sizeof(msg_plain) - 1, NULL, &m, &diag), 0);
	rp_tokens_from_message(&full, m);
	rp_message_free(m);
	has(&fast, "lunch", true);
	has(&fast, "subject:friday", true);
	has(&fast, "url:cafe.example.com", true);
	if (!same_tokens(&fast, &full))
		fail_msg("fast path: %zu tokens, decoder: %zu", fast.n, full.n);

	/* base64 GB2312 goes through the decoder */
	rp_tokens_reset(&fast);
	assert_int_equal(rp_classify_tokenize(&fast, msg_gb, sizeof(msg_gb) - 1, &diag), 0);
	has(&fast, "代开", true);
	has(&fast, "fapiao8888", true);

	/* not mail */
	rp_tokens_reset(&fast);
	assert_int_equal(rp_classify_tokenize(&fast, "\x01\x02\x03\xff\xfe\x00\x01", 7, &diag), RP_ENOTMAIL);
	rp_tokens_fini(&fast);
	rp_tokens_fini(&full);
}

/* make_tmpdir - a fresh scratch directory (caller removes it with rm_rf). */
static char *make_tmpdir(void)
{
	char *dir = xstrdup("/tmp/test_classify.XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

/* rm_rf - remove a scratch directory and its files (one level). */
static void rm_rf(char *dir)
{
	DIR *d = opendir(dir);

	for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *p = xasprintf("%s/%s", dir, e->d_name);
		if (unlink(p) != 0)
			rm_rf(p);
		xfree(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	xfree(dir);
}

static const char *const spam_words[] = { "viagra", "casino", "lottery", "winner", "cheap", "pills", "bonus",
					  "offer", "credit", "loan", "free", "money", "click", "unsubscribe" };
static const char *const ham_words[] = { "meeting", "project", "report", "review", "agenda", "thanks", "patch",
					 "release", "schedule", "minutes", "draft", "lunch", "deadline", "notes" };
static const char *const common[] = { "the", "and", "you", "for", "this", "with", "please", "today", "we", "our" };

/* synth - tokens of a synthetic message of one class, drawn with a small PRNG. */
static void synth(struct rp_tokens *t, bool spam, unsigned *seed)
{
	char text[512] = "";
	size_t n = 0;

	for (int i = 0; i < 25; i++) {
		*seed = *seed * 1103515245u + 12345u;
		unsigned r = *seed >> 16;
		const char *w = (r % 3 == 0) ? common[r % 10] : spam ? spam_words[r % 14] : ham_words[r % 14];
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s ", w);
	}
	rp_tokens_reset(t);
	rp_tokens_add_text(t, "subject", spam ? "special offer" : "project meeting", spam ? 13 : 15);
	rp_tokens_add_text(t, NULL, text, n);
	rp_tokens_add(t, "marker", "all", 3); /* in every message: its counts equal the message totals */
}

/* train_synth - learn n messages of each class and commit. */
static void train_synth(struct rp_classifier *c, int n, unsigned seed)
{
	struct rp_tokens t;
	struct rp_diag diag = { 0 };

	rp_tokens_init(&t, 0, 0);
	for (int i = 0; i < n; i++) {
		synth(&t, true, &seed);
		rp_classifier_learn(c, &t, true);
		synth(&t, false, &seed);
		rp_classifier_learn(c, &t, false);
	}
	assert_int_equal(rp_classifier_commit(c, &diag), 0);
	rp_tokens_fini(&t);
}

static void test_train_score(void **state)
{
	char *dir = make_tmpdir();
	struct rp_classifier *c;
	struct rp_diag diag = { 0 };
	struct rp_tokens t;
	struct rp_classify_result r;
	struct rp_classifier_stats st;
	struct rp_classify_params def;
	unsigned seed = 4242;

	rp_classify_params_default(&def);

	assert_int_equal(rp_classifier_open(dir, false, 0, &c, &diag), 0);
	/* nothing trained: unsure 0.5 */
	rp_tokens_init(&t, 0, 0);
	synth(&t, true, &seed);
	assert_int_equal(rp_classifier_score(c, &t, NULL, &r, &diag), 0);
	assert_true(r.score == 0.5);
	assert_int_equal(r.verdict, RP_VERDICT_UNSURE);

	train_synth(c, 30, 1);
	assert_int_equal(rp_classifier_stats(c, &st, &diag), 0);
	assert_int_equal(st.n_spam, 30);
	assert_int_equal(st.n_ham, 30);
	assert_true(st.n_tokens > 30);

	for (int pass = 0; pass < 2; pass++) { /* straight from LMDB, then from the preloaded table */
		if (pass == 1)
			assert_int_equal(rp_classifier_preload(c, NULL, &diag), 0);
		for (int i = 0; i < 20; i++) {
			bool spam = i % 2 == 0;
			synth(&t, spam, &seed);
			assert_int_equal(rp_classifier_score(c, &t, NULL, &r, &diag), 0);
			if (r.verdict != (spam ? RP_VERDICT_SPAM : RP_VERDICT_HAM))
				fail_msg("pass %d message %d (%s): %s %.4f", pass, i, spam ? "spam" : "ham",
					 rp_verdict_name(r.verdict), r.score);
			assert_true(r.n_used > 0 && r.n_used <= def.max_sig);
		}
	}
	/* other parameters: straight from LMDB, then from a table built for them; the same scores */
	struct rp_classify_params p;
	rp_classify_params_default(&p);
	p.robs = 2.0;
	p.min_count = 1;
	double before[10];
	unsigned seed2 = seed;
	for (int i = 0; i < 10; i++) {
		synth(&t, i % 2 == 0, &seed2);
		assert_int_equal(rp_classifier_score(c, &t, &p, &r, &diag), 0);
		before[i] = r.score;
	}
	assert_int_equal(rp_classifier_preload(c, &p, &diag), 0);
	seed2 = seed;
	for (int i = 0; i < 10; i++) {
		synth(&t, i % 2 == 0, &seed2);
		assert_int_equal(rp_classifier_score(c, &t, &p, &r, &diag), 0);
		assert_true(r.score == before[i]);
	}
	/* cutoffs are parameters */
	rp_classify_params_default(&p);
	p.spam_cutoff = 1.01;
	synth(&t, true, &seed);
	assert_int_equal(rp_classifier_score(c, &t, &p, &r, &diag), 0);
	assert_int_equal(r.verdict, RP_VERDICT_UNSURE);
	p.max_sig = 0;
	assert_int_equal(rp_classifier_score(c, &t, &p, &r, &diag), RP_EINVAL);
	/* large_n: the large-database min_dev and max_sig apply once each class has large_n messages */
	rp_classify_params_default(&p);
	p.large_n = 31; /* 30 of each trained: not yet */
	p.large_min_dev = 0.45;
	p.large_max_sig = 256;
	synth(&t, true, &seed);
	assert_int_equal(rp_classifier_score(c, &t, &p, &r, &diag), 0);
	size_t small_used = r.n_used;
	double small_score = r.score;
	assert_int_equal(rp_classifier_score(c, &t, NULL, &r, &diag), 0);
	assert_true(r.n_used == small_used && r.score == small_score);
	p.large_n = 30;
	assert_int_equal(rp_classifier_score(c, &t, &p, &r, &diag), 0);
	double large_score = r.score;
	size_t large_used = r.n_used;
	struct rp_classify_params q;
	rp_classify_params_default(&q); /* the same, asked for directly */
	q.min_dev = 0.45;
	q.max_sig = 256;
	assert_int_equal(rp_classifier_score(c, &t, &q, &r, &diag), 0);
	assert_true(r.score == large_score && r.n_used == large_used);
	p.large_max_sig = 0;
	assert_int_equal(rp_classifier_score(c, &t, &p, &r, &diag), RP_EINVAL);

	rp_tokens_fini(&t);
	rp_classifier_close(c);
	rm_rf(dir);
}

/* marker_counts - the spam+ham counts of the "marker:all" token. */
static uint64_t marker_counts(struct rp_classifier *c)
{
	uint32_t s = 0, h = 0;

	rp_classifier_lookup(c, rp_token_hash("marker:all", 10), &s, &h, NULL);
	rp_classifier_read_end(c);
	return (uint64_t)s + h;
}

static void test_db_crash(void **state)
{
	char *dir = make_tmpdir();
	struct rp_classifier *c;
	struct rp_diag diag = { 0 };
	struct rp_classifier_stats st;

	/* a batch learnt but never committed (the process gives up) leaves no trace */
	assert_int_equal(rp_classifier_open(dir, false, 0, &c, &diag), 0);
	train_synth(c, 5, 7);
	struct rp_tokens t;
	unsigned seed = 9;
	rp_tokens_init(&t, 0, 0);
	synth(&t, true, &seed);
	rp_classifier_learn(c, &t, true);
	assert_int_equal(rp_classifier_pending(c), 1);
	rp_tokens_fini(&t);
	rp_classifier_close(c);
	assert_int_equal(rp_classifier_open(dir, false, 0, &c, &diag), 0);
	assert_int_equal(rp_classifier_stats(c, &st, &diag), 0);
	assert_int_equal(st.n_spam, 5);
	assert_int_equal(marker_counts(c), 10);
	rp_classifier_close(c);

	/* a trainer killed at a random moment, often inside a write transaction: after reopening, the totals
	 * and the token counts agree (whole commits only) */
	for (int round = 0; round < 3; round++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct rp_classifier *cc;
			if (rp_classifier_open(dir, false, 0, &cc, NULL) != 0)
				_exit(2);
			for (unsigned i = 0;; i++)
				train_synth(cc, 20, i);
		}
		struct timespec ts = { 0, (50 + 37 * round) * 1000000L };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(rp_classifier_open(dir, false, 0, &c, &diag), 0);
		assert_int_equal(rp_classifier_stats(c, &st, &diag), 0);
		assert_int_equal(marker_counts(c), st.n_spam + st.n_ham);
		assert_int_equal(st.n_spam, st.n_ham);
		assert_true(st.n_spam >= 5);
		/* still usable for training */
		train_synth(c, 1, 99);
		rp_classifier_close(c);
	}
	rm_rf(dir);
}

static void test_backup(void **state)
{
	char *dir = make_tmpdir(), *bak = make_tmpdir();
	struct rp_classifier *c, *b;
	struct rp_diag diag = { 0 };
	struct rp_classifier_stats s1, s2;

	assert_int_equal(rp_classifier_open(dir, false, 0, &c, &diag), 0);
	train_synth(c, 10, 3);
	assert_int_equal(rp_classifier_read_begin(c, &diag), 0); /* a reader is active meanwhile */
	assert_int_equal(rp_classifier_backup(c, bak, &diag), 0);
	rp_classifier_read_end(c);
	assert_int_equal(rp_classifier_stats(c, &s1, &diag), 0);
	assert_int_equal(rp_classifier_open(bak, true, 0, &b, &diag), 0);
	assert_int_equal(rp_classifier_stats(b, &s2, &diag), 0);
	assert_int_equal(s1.n_spam, s2.n_spam);
	assert_int_equal(s1.n_ham, s2.n_ham);
	assert_int_equal(s1.n_tokens, s2.n_tokens);
	/* read-only: no training */
	assert_int_equal(rp_classifier_commit(b, &diag), RP_OK); /* nothing pending */
	struct rp_tokens t;
	unsigned seed = 5;
	rp_tokens_init(&t, 0, 0);
	synth(&t, true, &seed);
	rp_classifier_learn(b, &t, true);
	assert_int_equal(rp_classifier_commit(b, &diag), RP_EINVAL);
	rp_tokens_fini(&t);
	rp_classifier_close(b);
	rp_classifier_close(c);
	/* a missing database cannot be opened read-only */
	char *none = xasprintf("%s/none", bak);
	assert_int_not_equal(rp_classifier_open(none, true, 0, &b, &diag), 0);
	xfree(none);
	rm_rf(dir);
	rm_rf(bak);
}

/* zh_tokens - tokens of one message of the Chinese test set. */
static void zh_tokens(struct rp_tokens *t, const char *kind, int i)
{
	const char *src = getenv("REPUTE_SRC") ? getenv("REPUTE_SRC") : REPUTE_SRC;
	char *path = xasprintf("%s/tests/data/zh/%s/%02d.eml", src, kind, i);
	char *data;
	size_t len;
	struct rp_message *m = NULL;
	struct rp_diag diag = { 0 };

	if (file_read_all(path, 1 << 20, &data, &len) != 0)
		fail_msg("cannot read %s", path);
	if (rp_message_parse(data, len, NULL, &m, &diag) != 0)
		fail_msg("%s: %s", path, diag.reason);
	rp_tokens_reset(t);
	rp_tokens_from_message(t, m);
	rp_message_free(m);
	xfree(data);
	xfree(path);
}

static void test_chinese_twofold(void **state)
{
	struct rp_tokens t;
	struct rp_diag diag = { 0 };

	rp_tokens_init(&t, 0, 0);
	for (int fold = 0; fold < 2; fold++) {
		char *dir = make_tmpdir();
		struct rp_classifier *c;
		struct rp_classify_result r;
		double min_spam = 1, max_ham = 0;

		assert_int_equal(rp_classifier_open(dir, false, 0, &c, &diag), 0);
		for (int i = 1; i <= 20; i++) {
			if (i % 2 == fold)
				continue;
			zh_tokens(&t, "spam", i);
			rp_classifier_learn(c, &t, true);
			zh_tokens(&t, "ham", i);
			rp_classifier_learn(c, &t, false);
		}
		assert_int_equal(rp_classifier_commit(c, &diag), 0);
		for (int i = 1; i <= 20; i++) {
			if (i % 2 != fold)
				continue;
			zh_tokens(&t, "spam", i);
			assert_int_equal(rp_classifier_score(c, &t, NULL, &r, &diag), 0);
			if (r.verdict == RP_VERDICT_HAM)
				fail_msg("fold %d spam/%02d: ham %.4f", fold, i, r.score);
			min_spam = r.score < min_spam ? r.score : min_spam;
			zh_tokens(&t, "ham", i);
			assert_int_equal(rp_classifier_score(c, &t, NULL, &r, &diag), 0);
			if (r.verdict == RP_VERDICT_SPAM)
				fail_msg("fold %d ham/%02d: spam %.4f", fold, i, r.score);
			max_ham = r.score > max_ham ? r.score : max_ham;
		}
		/* trained on only ten of each, every spam still ranks above every ham */
		if (!(min_spam > max_ham))
			fail_msg("fold %d: lowest spam %.4f <= highest ham %.4f", fold, min_spam, max_ham);
		rp_classifier_close(c);
		rm_rf(dir);
	}
	rp_tokens_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens_latin),     cmocka_unit_test(test_tokens_cjk),
		cmocka_unit_test(test_tokens_bad_input), cmocka_unit_test(test_tokens_reset),
		cmocka_unit_test(test_tokens_message),   cmocka_unit_test(test_tokenize_paths),
		cmocka_unit_test(test_train_score),
		cmocka_unit_test(test_db_crash),         cmocka_unit_test(test_backup),
		cmocka_unit_test(test_chinese_twofold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
