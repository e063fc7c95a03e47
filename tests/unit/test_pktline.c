/* pkt-line framing: what git's reader accepts, what it refuses, and that a
 * packet split across reads asks for more instead of guessing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "git/pktline.h"

#include <string.h>

struct read_case {
	const char *in;
	int ret;
	enum pktline_kind kind;
	const char *data;	/* payload without the trailing newline */
	size_t next;		/* offset after the packet */
};

static void test_pktline_next(void **state)
{
	static const struct read_case cases[] = {
		{ "0000", 0, PKTLINE_FLUSH, "", 4 },
		{ "0001", 0, PKTLINE_DELIM, "", 4 },
		{ "0002", 0, PKTLINE_END, "", 4 },
		{ "0009peel\n", 0, PKTLINE_DATA, "peel", 9 },
		{ "0008peel0000", 0, PKTLINE_DATA, "peel", 8 },	/* no newline is fine */
		{ "000Apeel\n\n", 0, PKTLINE_DATA, "peel\n", 10 },	/* only one is chomped */
		{ "0004", 0, PKTLINE_DATA, "", 4 },
		{ "0003", ERR_INVALID, 0, NULL, 0 },
		{ "zzzz", ERR_INVALID, 0, NULL, 0 },
		{ "00-9peel\n", ERR_INVALID, 0, NULL, 0 },
		{ "fff1", ERR_INVALID, 0, NULL, 0 },		/* over git's maximum */
		{ "000", ERR_NOTFOUND, 0, NULL, 0 },		/* wait for more */
		{ "0009pe", ERR_NOTFOUND, 0, NULL, 0 },
		{ "", ERR_NOTFOUND, 0, NULL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct read_case *c = &cases[i];
		struct pktline pkt = { 0 };
		size_t off = 0;
		int ret = pktline_next(c->in, strlen(c->in), &off, &pkt);

		assert_int_equal(ret, c->ret);
		if (ret < 0) {
			assert_int_equal(off, 0);	/* nothing consumed */
			continue;
		}
		assert_int_equal(pkt.kind, c->kind);
		assert_int_equal(pkt.len, strlen(c->data));
		assert_memory_equal(pkt.data, c->data, pkt.len);
		assert_int_equal(off, c->next);
	}
}

static void test_pktline_sequence(void **state)
{
	static const char in[] = "0014command=ls-refs\n00010009peel\n0000";
	struct pktline pkt;
	size_t off = 0;

	(void)state;
	assert_int_equal(pktline_next(in, sizeof(in) - 1, &off, &pkt), 0);
	assert_int_equal(pkt.len, strlen("command=ls-refs"));
	assert_int_equal(pktline_next(in, sizeof(in) - 1, &off, &pkt), 0);
	assert_int_equal(pkt.kind, PKTLINE_DELIM);
	assert_int_equal(pktline_next(in, sizeof(in) - 1, &off, &pkt), 0);
	assert_memory_equal(pkt.data, "peel", 4);
	assert_int_equal(pktline_next(in, sizeof(in) - 1, &off, &pkt), 0);
	assert_int_equal(pkt.kind, PKTLINE_FLUSH);
	assert_int_equal(pktline_next(in, sizeof(in) - 1, &off, &pkt), ERR_NOTFOUND);
}

static void test_pktline_write(void **state)
{
	struct buf out = BUF_INIT;
	char big[PKTLINE_MAX_DATA + 1];

	(void)state;
	pktline_addf(&out, "%s %s%c%s\n", "abc", "HEAD", '\0', "caps");
	pktline_add(&out, "x", 1);
	pktline_flush(&out);
	assert_int_equal(out.len, 4 + 14 + 5 + 4);
	assert_memory_equal(out.ptr, "0012abc HEAD\0caps\n0005x0000", out.len);
	/* A payload over the maximum is refused whole, not written cut. */
	memset(big, 'a', sizeof(big));
	pktline_add(&out, big, sizeof(big));
	assert_int_equal(buf_error(&out), ERR_TOOBIG);
	assert_int_equal(out.len, 27);
	buf_release(&out);
	buf_init(&out, SIZE_MAX - 1);
	pktline_add(&out, big, PKTLINE_MAX_DATA);
	assert_int_equal(buf_error(&out), 0);
	assert_memory_equal(out.ptr, "fff0", 4);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pktline_next),
		cmocka_unit_test(test_pktline_sequence),
		cmocka_unit_test(test_pktline_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
