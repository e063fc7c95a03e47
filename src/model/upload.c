#include "upload.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "git/repo_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UPLOAD_SECRET_BYTES 16

int upload_sanitise_name(struct buf *out, const char *name, size_t len, struct buf *err)
{
	size_t start = 0, n;

	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\\')
			start = i + 1;
	n = len - start;
	if (!n || n > LIMIT_NAME || strspn(name + start, ".") >= n) {
		buf_addstr(err, "file name is invalid");
		return ERR_INVALID;
	}
	for (size_t i = start; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';

		buf_addch(out, ok ? (char)ch : '_');
	}
	return 0;
}

/* DATA/uploads/@hashed/ab/cd/<sha256 of the id>: the repository's hashed
 * path below its storage root, without ".git". */
static void upload_dir(struct buf *out, int64_t project_id)
{
	struct buf repo = BUF_INIT;
	const char *at;

	repo_store_path(&repo, project_id);
	at = strstr(repo.ptr, "/@hashed/");
	buf_addf(out, "%s/uploads%s", repo_store_data_dir(), at ? at : "/@unknown");
	if (out->len > 4 && !strcmp(out->ptr + out->len - 4, ".git"))
		buf_truncate(out, out->len - 4);
	buf_release(&repo);
}

/* mkdir -p for the directories of path below the data directory. */
static int mkdirs(const char *path)
{
	struct buf p = BUF_INIT;
	int ret = 0;

	buf_addstr(&p, path);
	for (char *s = p.ptr + strlen(repo_store_data_dir()) + 1; ret == 0 && *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p.ptr, 0750) != 0 && errno != EEXIST)
			ret = ERR_UNAVAILABLE;
		*s = '/';
	}
	if (ret == 0 && mkdir(p.ptr, 0750) != 0 && errno != EEXIST)
		ret = ERR_UNAVAILABLE;
	buf_release(&p);
	return ret;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ERR_UNAVAILABLE;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int upload_store(int64_t project_id, const char *name, const void *data, size_t len,
		 struct buf *secret_out)
{
	unsigned char raw[UPLOAD_SECRET_BYTES];
	char hex[UPLOAD_SECRET_BYTES * 2 + 1];
	struct buf dir = BUF_INIT, tmp = BUF_INIT, final = BUF_INIT;
	int fd = -1, ret;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	upload_dir(&dir, project_id);
	buf_addf(&dir, "/%s", hex);
	buf_addf(&tmp, "%s/.tmp-%s", dir.ptr, name);
	buf_addf(&final, "%s/%s", dir.ptr, name);
	ret = mkdirs(dir.ptr);
	if (ret == 0) {
		fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
		ret = fd < 0 ? ERR_UNAVAILABLE : write_all(fd, data, len);
	}
	if (ret == 0 && fsync(fd) != 0)
		ret = ERR_UNAVAILABLE;
	if (fd >= 0 && close(fd) != 0 && ret == 0)
		ret = ERR_UNAVAILABLE;
	if (ret == 0 && rename(tmp.ptr, final.ptr) != 0)
		ret = ERR_UNAVAILABLE;
	if (ret < 0) {
		log_error("upload", "store failed project_id=%lld errno=%d", (long long)project_id,
			  errno);
		unlink(tmp.ptr);
	} else {
		buf_addstr(secret_out, hex);
	}
	buf_release(&dir);
	buf_release(&tmp);
	buf_release(&final);
	return ret;
}

int upload_path(struct buf *out, int64_t project_id, const char *secret, const char *name)
{
	struct buf clean = BUF_INIT, err = BUF_INIT;
	size_t n = strlen(secret);
	int ret = 0;

	if (n != UPLOAD_SECRET_BYTES * 2 || strspn(secret, "0123456789abcdef") != n)
		ret = ERR_NOTFOUND;
	/* Only names upload_store could have written. */
	if (ret == 0 && (upload_sanitise_name(&clean, name, strlen(name), &err) < 0 ||
			 strcmp(clean.ptr, name)))
		ret = ERR_NOTFOUND;
	if (ret == 0) {
		upload_dir(out, project_id);
		buf_addf(out, "/%s/%s", secret, name);
	}
	buf_release(&clean);
	buf_release(&err);
	return ret;
}
