/* Command lines for `git archive`. The spawner (gitproc) runs them; this file
 * only decides the arguments, so every client-derived piece is checked here:
 * the commit is a resolved 40-hex id, the prefix is attached to its option,
 * and the path comes after --end-of-options with pathspec magic disabled. */
#include "repo_read.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/strvec.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *suffix;
	enum repo_archive_format fmt;
} archive_suffixes[] = {
	{ "tar.gz", REPO_ARCHIVE_TAR_GZ }, { "tgz", REPO_ARCHIVE_TAR_GZ },
	{ "gz", REPO_ARCHIVE_TAR_GZ }, { "tar.bz2", REPO_ARCHIVE_TAR_BZ2 },
	{ "tbz", REPO_ARCHIVE_TAR_BZ2 }, { "tbz2", REPO_ARCHIVE_TAR_BZ2 },
	{ "tb2", REPO_ARCHIVE_TAR_BZ2 }, { "bz2", REPO_ARCHIVE_TAR_BZ2 },
	{ "tar", REPO_ARCHIVE_TAR }, { "zip", REPO_ARCHIVE_ZIP },
};

int repo_archive_format_parse(const char *s, enum repo_archive_format *out)
{
	if (!s)
		return ERR_INVALID;
	for (size_t i = 0; i < sizeof(archive_suffixes) / sizeof(archive_suffixes[0]); i++) {
		if (!strcmp(s, archive_suffixes[i].suffix)) {
			*out = archive_suffixes[i].fmt;
			return 0;
		}
	}
	return ERR_INVALID;
}

/* '/' would nest the prefix directory; control bytes have no place in a
 * name shown in tar listings. */
static void add_name_part(struct buf *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		buf_addch(out, c == '/' || c < 0x20 || c == 0x7f ? '-' : (char)c);
	}
}

void repo_archive_prefix(struct buf *out, const char *project, const char *ref,
			 const char *sha, const char *path)
{
	add_name_part(out, project);
	buf_addch(out, '-');
	add_name_part(out, ref);
	buf_addch(out, '-');
	add_name_part(out, sha);
	if (path && *path) {
		buf_addch(out, '-');
		add_name_part(out, path);
	}
	buf_addch(out, '/');
}

static int is_full_oid(const char *s)
{
	return s && strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

int repo_archive_argv(struct strvec *out, enum repo_archive_format fmt, const char *sha,
		      const char *prefix, const char *path)
{
	struct buf ignored = BUF_INIT;
	size_t plen = path ? strlen(path) : 0;
	int ret = 0;

	if (plen > 1 && path[plen - 1] == '/')
		plen--;
	if (plen)
		ret = repo_path_check(path, plen, &ignored);
	buf_release(&ignored);
	if (ret < 0 || !is_full_oid(sha) || !prefix || strchr(prefix, '\n'))
		return ERR_INVALID;
	/* A pathspec like ":(glob)*" or ":!x" must mean the file of that name. */
	strvec_push(out, "--literal-pathspecs");
	/* git has no built-in bzip2; a fixed command keeps the output stable.
	 * A bare word (no space) is executed directly: the image has no shell,
	 * and bzip2 compresses stdin to stdout by default. */
	if (fmt == REPO_ARCHIVE_TAR_BZ2) {
		strvec_push(out, "-c");
		strvec_push(out, "tar.tar.bz2.command=bzip2");
	}
	strvec_push(out, "archive");
	switch (fmt) {
	case REPO_ARCHIVE_TAR:
		strvec_push(out, "--format=tar");
		break;
	case REPO_ARCHIVE_TAR_GZ:
		/* git's internal gzip (>= 2.38) writes no timestamp: same bytes each time. */
		strvec_push(out, "--format=tar.gz");
		break;
	case REPO_ARCHIVE_TAR_BZ2:
		strvec_push(out, "--format=tar.bz2");
		break;
	case REPO_ARCHIVE_ZIP:
		strvec_push(out, "--format=zip");
		break;
	}
	strvec_pushf(out, "--prefix=%s", prefix);
	/* After this, git reads operands only; a later "--" would be a pathspec. */
	strvec_push(out, "--end-of-options");
	/* A commit id (not a tree) makes the entries' mtime the commit time. */
	strvec_push(out, sha);
	if (plen) {
		struct buf p = BUF_INIT;

		buf_add(&p, path, plen);
		strvec_push(out, p.ptr);
		buf_release(&p);
	}
	return 0;
}
