#include "secret.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "git/repo_store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_PREFIX "sb1:"
#define SECRET_PLAIN_MAX 4096

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char key[crypto_secretbox_KEYBYTES];
static int key_loaded;

static int read_key(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_UNAVAILABLE;
	n = read(fd, key, sizeof(key));
	close(fd);
	if (n != (ssize_t)sizeof(key)) {
		log_error("secret", "key file is damaged path=%s", path);
		return ERR_UNAVAILABLE;
	}
	return 0;
}

/* Writes a fresh key to a temporary file and links it into place: of two
 * processes creating it at once, one wins and both then read its key. */
static int create_key(const char *dir, const char *path)
{
	struct buf tmp = BUF_INIT;
	unsigned char fresh[crypto_secretbox_KEYBYTES];
	int fd, ret = ERR_UNAVAILABLE;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ERR_UNAVAILABLE;
	buf_addf(&tmp, "%s/.mirror.key.%d", dir, (int)getpid());
	crypto_secretbox_keygen(fresh);
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		if (write(fd, fresh, sizeof(fresh)) == (ssize_t)sizeof(fresh) && fsync(fd) == 0)
			ret = 0;
		close(fd);
	}
	if (ret == 0 && link(tmp.ptr, path) < 0 && errno != EEXIST)
		ret = ERR_UNAVAILABLE;
	if (fd >= 0)
		unlink(tmp.ptr);
	sodium_memzero(fresh, sizeof(fresh));
	buf_release(&tmp);
	return ret == 0 ? read_key(path) : ret;
}

static int key_load(void)
{
	struct buf dir = BUF_INIT, path = BUF_INIT;
	int ret = 0;

	pthread_mutex_lock(&key_lock);
	if (key_loaded)
		goto out;
	buf_addf(&dir, "%s/secrets", repo_store_data_dir());
	buf_addf(&path, "%s/mirror.key", dir.ptr);
	ret = read_key(path.ptr);
	if (ret == ERR_NOTFOUND)
		ret = create_key(dir.ptr, path.ptr);
	if (ret == 0)
		key_loaded = 1;
	else
		log_error("secret", "cannot read or create the secrets key path=%s", path.ptr);
out:
	pthread_mutex_unlock(&key_lock);
	buf_release(&dir);
	buf_release(&path);
	return ret;
}

int secret_seal(struct buf *out, const char *plain)
{
	size_t n = strlen(plain), clen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
	size_t b64len = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
	unsigned char *c;
	char *b64;
	int ret = key_load();

	if (ret < 0)
		return ret;
	if (n > SECRET_PLAIN_MAX)
		return ERR_TOOBIG;
	c = xmalloc(clen);
	b64 = xmalloc(b64len);
	randombytes_buf(c, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(c + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, n, c,
			      key);
	sodium_bin2base64(b64, b64len, c, clen, sodium_base64_VARIANT_ORIGINAL);
	buf_addstr(out, SECRET_PREFIX);
	buf_addstr(out, b64);
	free(c);
	free(b64);
	return 0;
}

int secret_open(char **out, const char *sealed)
{
	size_t plen = strlen(SECRET_PREFIX), n = strlen(sealed), clen = 0;
	unsigned char *c = NULL;
	char *plain = NULL;
	int ret = key_load();

	if (ret < 0)
		return ret;
	if (strncmp(sealed, SECRET_PREFIX, plen) || n - plen > 2 * SECRET_PLAIN_MAX)
		return ERR_INVALID;
	c = xmalloc(n);
	ret = ERR_INVALID;
	if (sodium_base642bin(c, n, sealed + plen, n - plen, NULL, &clen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) < 0 ||
	    clen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
		goto out;
	plain = xmalloc(clen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES + 1);
	if (crypto_secretbox_open_easy((unsigned char *)plain, c + crypto_secretbox_NONCEBYTES,
				       clen - crypto_secretbox_NONCEBYTES, c, key) < 0) {
		free(plain);
		plain = NULL;
		goto out;
	}
	plain[clen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES] = '\0';
	*out = plain;
	ret = 0;
out:
	free(c);
	return ret;
}
