#include "tar.h"
#include "core/buf.h"
#include "core/err.h"

#include <string.h>

/* ustar header layout (POSIX.1-1988), offsets in bytes. */
#define H_NAME 0
#define H_MODE 100
#define H_UID 108
#define H_GID 116
#define H_SIZE 124
#define H_MTIME 136
#define H_CHKSUM 148
#define H_TYPE 156
#define H_LINK 157
#define H_MAGIC 257
#define H_VERSION 263
#define H_PREFIX 345

static void put_octal(unsigned char *field, size_t width, uint64_t v)
{
	/* width-1 digits and a NUL; callers keep v in range. */
	field[width - 1] = '\0';
	for (size_t i = width - 1; i-- > 0; v >>= 3)
		field[i] = (unsigned char)('0' + (v & 7));
}

/* Sizes past the 11 octal digits (8 GiB) use GNU's base-256 form, which
 * GNU tar, bsdtar and Python's tarfile all read. */
static void put_size(unsigned char *field, uint64_t v)
{
	if (v < (1ULL << 33)) {
		put_octal(field, 12, v);
		return;
	}
	memset(field, 0, 12);
	field[0] = 0x80;
	for (int i = 11; i > 3; i--, v >>= 8)
		field[i] = (unsigned char)(v & 0xff);
}

static unsigned header_sum(const unsigned char *h)
{
	unsigned sum = 0;

	for (int i = 0; i < TAR_BLOCK; i++)
		sum += (i >= H_CHKSUM && i < H_CHKSUM + 8) ? ' ' : h[i];
	return sum;
}

int tar_write_header(FILE *f, const char *name, uint64_t size, int64_t mtime_s)
{
	unsigned char h[TAR_BLOCK];
	size_t n = strlen(name);

	if (n == 0 || n > TAR_NAME_MAX)
		return ERR_INVALID;
	memset(h, 0, sizeof(h));
	memcpy(h + H_NAME, name, n);
	put_octal(h + H_MODE, 8, 0600);
	put_octal(h + H_UID, 8, 0);
	put_octal(h + H_GID, 8, 0);
	put_size(h + H_SIZE, size);
	put_octal(h + H_MTIME, 12, mtime_s > 0 ? (uint64_t)mtime_s : 0);
	h[H_TYPE] = '0';
	memcpy(h + H_MAGIC, "ustar", 6);
	memcpy(h + H_VERSION, "00", 2);
	put_octal(h + H_CHKSUM, 7, header_sum(h));
	h[H_CHKSUM + 7] = ' ';
	return fwrite(h, 1, sizeof(h), f) == sizeof(h) ? 0 : ERR_UNAVAILABLE;
}

int tar_write_pad(FILE *f, uint64_t size)
{
	static const unsigned char zero[TAR_BLOCK];
	size_t pad = (size_t)((TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK);

	return fwrite(zero, 1, pad, f) == pad ? 0 : ERR_UNAVAILABLE;
}

int tar_write_end(FILE *f)
{
	static const unsigned char zero[2 * TAR_BLOCK];

	return fwrite(zero, 1, sizeof(zero), f) == sizeof(zero) ? 0 : ERR_UNAVAILABLE;
}

static int get_octal(const unsigned char *field, size_t width, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < width && field[i] == ' ')
		i++;
	for (; i < width && field[i] >= '0' && field[i] <= '7'; i++) {
		if (v >> 60)
			return ERR_INVALID;
		v = v << 3 | (uint64_t)(field[i] - '0');
	}
	for (; i < width; i++)
		if (field[i] != ' ' && field[i] != '\0')
			return ERR_INVALID;
	*out = v;
	return 0;
}

static int get_size(const unsigned char *field, uint64_t *out)
{
	uint64_t v = 0;

	if (!(field[0] & 0x80))
		return get_octal(field, 12, out);
	if (field[0] != 0x80 || field[1] || field[2] || field[3] || (field[4] & 0x80))
		return ERR_INVALID;	/* negative or past 2^63 */
	for (int i = 4; i < 12; i++)
		v = v << 8 | field[i];
	*out = v;
	return 0;
}

/* Relative, no "..", no empty or "." segment, letters, digits and ._-/ only:
 * what kura writes, and nothing that could climb out of a directory. */
static const char *name_problem(const char *name)
{
	const char *seg = name;

	if (name[0] == '/')
		return "an absolute path";
	for (const char *p = name;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - seg);

			if ((n == 2 && !strncmp(seg, "..", 2)))
				return "a '..' path";
			if (n == 0 || (n == 1 && seg[0] == '.'))
				return "an empty or '.' path segment";
			if (!*p)
				return NULL;
			seg = p + 1;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return "a character outside [A-Za-z0-9._-/]";
	}
}

static int is_zero_block(const unsigned char *h)
{
	for (int i = 0; i < TAR_BLOCK; i++)
		if (h[i])
			return 0;
	return 1;
}

/* One printable copy of a hostile name for the error line. */
static void add_shown_name(struct buf *err, const unsigned char *field, size_t width)
{
	size_t n = strnlen((const char *)field, width);

	buf_add_quoted(err, (const char *)field, n, 64);
}

int tar_read_header(FILE *f, struct tar_entry *out, struct buf *err)
{
	unsigned char h[TAR_BLOCK];
	uint64_t sum, size;
	const char *why;

	if (fread(h, 1, sizeof(h), f) != sizeof(h)) {
		buf_addstr(err, "the archive is truncated (no end-of-archive marker)");
		return ERR_INVALID;
	}
	if (is_zero_block(h))
		return 0;
	if (get_octal(h + H_CHKSUM, 8, &sum) < 0 || sum != header_sum(h)) {
		buf_addstr(err, "the archive is damaged: a tar header checksum does not match");
		return ERR_INVALID;
	}
	if (h[H_TYPE] != '0' && h[H_TYPE] != '\0') {
		buf_addstr(err, "the archive holds a ");
		buf_addstr(err, h[H_TYPE] == '2' ? "symbolic link" :
				h[H_TYPE] == '1' ? "hard link" :
				h[H_TYPE] == '5' ? "directory" : "special");
		buf_addstr(err, " entry ");
		add_shown_name(err, h + H_NAME, 100);
		buf_addstr(err, "; backups hold regular files only");
		return ERR_INVALID;
	}
	if (h[H_PREFIX] || h[H_NAME + TAR_NAME_MAX]) {
		buf_addstr(err, "the archive holds an entry with a name longer than kura writes");
		return ERR_INVALID;
	}
	memcpy(out->name, h + H_NAME, TAR_NAME_MAX);
	out->name[TAR_NAME_MAX] = '\0';
	why = out->name[0] ? name_problem(out->name) : "an empty name";
	if (why) {
		buf_addstr(err, "the archive holds an entry ");
		add_shown_name(err, h + H_NAME, 100);
		buf_addf(err, " with %s", why);
		return ERR_INVALID;
	}
	if (get_size(h + H_SIZE, &size) < 0) {
		buf_addstr(err, "the archive is damaged: a tar header has a bad size");
		return ERR_INVALID;
	}
	out->size = size;
	return 1;
}

int tar_read_pad(FILE *f, uint64_t size, struct buf *err)
{
	unsigned char pad[TAR_BLOCK];
	size_t n = (size_t)((TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK);

	if (n && fread(pad, 1, n, f) != n) {
		buf_addstr(err, "the archive is truncated");
		return ERR_INVALID;
	}
	return 0;
}
