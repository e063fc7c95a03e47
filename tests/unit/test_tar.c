/* The backup archive's tar reader and writer: what the writer emits reads
 * back, and hostile headers (climbing names, links, damaged checksums,
 * truncation, odd sizes) are refused with one sentence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backup/tar.h"
#include "core/buf.h"
#include "core/err.h"

#include <stdio.h>
#include <string.h>

/* A header as tar_write_header makes it, then patched by the case. */
static void make_header(unsigned char h[TAR_BLOCK], const char *name, uint64_t size)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	assert_int_equal(tar_write_header(f, name, size, 0), 0);
	rewind(f);
	assert_int_equal(fread(h, 1, TAR_BLOCK, f), TAR_BLOCK);
	fclose(f);
}

static void fix_checksum(unsigned char h[TAR_BLOCK])
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

/* Reads one header from the bytes given: the return and the error text. */
static int read_one(const unsigned char *data, size_t n, struct tar_entry *e, struct buf *err)
{
	FILE *f = tmpfile();
	int ret;

	assert_non_null(f);
	if (n)
		assert_int_equal(fwrite(data, 1, n, f), n);
	rewind(f);
	ret = tar_read_header(f, e, err);
	fclose(f);
	return ret;
}

static void test_round_trip(void **state)
{
	static const char *const names[] = { "manifest.json", "db/users.jsonl",
					     "repos/12345.bundle", "secrets/mirror.key" };
	unsigned char h[TAR_BLOCK];
	struct tar_entry e;
	struct buf err = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		make_header(h, names[i], 1000 + i);
		assert_int_equal(read_one(h, sizeof(h), &e, &err), 1);
		assert_string_equal(e.name, names[i]);
		assert_int_equal(e.size, 1000 + i);
	}
	/* Past 8 GiB the size switches to base-256. */
	make_header(h, "repos/1.bundle", 10ULL << 30);
	assert_int_equal(h[124], 0x80);
	assert_int_equal(read_one(h, sizeof(h), &e, &err), 1);
	assert_true(e.size == 10ULL << 30);
	assert_int_equal(err.len, 0);
	buf_release(&err);
}

static void test_writer_refuses_long_names(void **state)
{
	char name[TAR_NAME_MAX + 2];
	FILE *f = tmpfile();

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(tar_write_header(f, name, 1, 0), ERR_INVALID);
	assert_int_equal(tar_write_header(f, "", 1, 0), ERR_INVALID);
	fclose(f);
}

struct name_case {
	const char *name;
	const char *why;	/* a word of the expected sentence */
};

static void test_hostile_names(void **state)
{
	static const struct name_case cases[] = {
		{ "../evil", "'..'" },
		{ "db/../../evil", "'..'" },
		{ "..", "'..'" },
		{ "/etc/passwd", "absolute" },
		{ "a//b", "empty" },
		{ "./a", "'.'" },
		{ "a/", "empty" },
		{ "a\x01" "b", "character" },
		{ "a b", "character" },
		{ "a\\b", "character" },
		{ "-rf", NULL },		/* a name kura never writes, but harmless here */
	};
	unsigned char h[TAR_BLOCK];
	struct tar_entry e;
	struct buf err = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		make_header(h, "x", 1);
		memset(h, 0, 100);
		memcpy(h, cases[i].name, strlen(cases[i].name));
		fix_checksum(h);
		buf_reset(&err);
		if (!cases[i].why) {
			assert_int_equal(read_one(h, sizeof(h), &e, &err), 1);
			continue;
		}
		assert_int_equal(read_one(h, sizeof(h), &e, &err), ERR_INVALID);
		assert_non_null(strstr(err.ptr, cases[i].why));
		assert_null(strchr(err.ptr, '\n'));
	}
	buf_release(&err);
}

static void test_hostile_headers(void **state)
{
	static const struct { char type; const char *why; } types[] = {
		{ '2', "symbolic link" }, { '1', "hard link" }, { '5', "directory" },
		{ '3', "special" }, { 'L', "special" }, { 'x', "special" },
	};
	unsigned char h[TAR_BLOCK], zero[2 * TAR_BLOCK];
	struct tar_entry e;
	struct buf err = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++) {
		make_header(h, "secrets/k", 0);
		h[156] = (unsigned char)types[i].type;
		fix_checksum(h);
		buf_reset(&err);
		assert_int_equal(read_one(h, sizeof(h), &e, &err), ERR_INVALID);
		assert_non_null(strstr(err.ptr, types[i].why));
	}
	make_header(h, "db/users.jsonl", 5);
	h[0] ^= 1;				/* a flipped bit: checksum mismatch */
	buf_reset(&err);
	assert_int_equal(read_one(h, sizeof(h), &e, &err), ERR_INVALID);
	assert_non_null(strstr(err.ptr, "checksum"));
	make_header(h, "db/users.jsonl", 5);
	memcpy(h + 124, "9999", 4);		/* not octal */
	fix_checksum(h);
	buf_reset(&err);
	assert_int_equal(read_one(h, sizeof(h), &e, &err), ERR_INVALID);
	make_header(h, "db/users.jsonl", 5);
	h[124] = 0xff;				/* negative base-256 */
	fix_checksum(h);
	buf_reset(&err);
	assert_int_equal(read_one(h, sizeof(h), &e, &err), ERR_INVALID);
	make_header(h, "db/users.jsonl", 5);
	h[345] = 'p';				/* a ustar prefix kura never writes */
	fix_checksum(h);
	buf_reset(&err);
	assert_int_equal(read_one(h, sizeof(h), &e, &err), ERR_INVALID);
	buf_reset(&err);
	assert_int_equal(read_one(h, 100, &e, &err), ERR_INVALID);	/* truncated */
	assert_non_null(strstr(err.ptr, "truncated"));
	buf_reset(&err);
	assert_int_equal(read_one(NULL, 0, &e, &err), ERR_INVALID);	/* empty file */
	memset(zero, 0, sizeof(zero));
	assert_int_equal(read_one(zero, sizeof(zero), &e, &err), 0);	/* the end marker */
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_writer_refuses_long_names),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_hostile_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
