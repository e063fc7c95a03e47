#include "password.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/xalloc.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

/* libsodium's "interactive" cost: ~64 MiB and tens of milliseconds. */
#define PW_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

int password_check_policy(const char *pw, struct buf *err)
{
	size_t n = strlen(pw);

	if (n < LIMIT_PASSWORD_MIN) {
		buf_addf(err, "password is too short (minimum is %d characters)", LIMIT_PASSWORD_MIN);
		return ERR_INVALID;
	}
	if (n > LIMIT_PASSWORD_MAX) {
		buf_addf(err, "password is too long (maximum is %d characters)", LIMIT_PASSWORD_MAX);
		return ERR_INVALID;
	}
	return 0;
}

int password_hash(char **out, const char *pw)
{
	char hash[crypto_pwhash_STRBYTES];

	if (crypto_pwhash_str(hash, pw, strlen(pw), PW_OPSLIMIT, PW_MEMLIMIT) != 0)
		return ERR_INTERNAL;
	*out = xstrdup(hash);
	return 0;
}

int password_verify(const char *hash, const char *pw)
{
	size_t n = strlen(pw);

	if (!hash || n > LIMIT_PASSWORD_MAX) {
		password_dummy_verify(pw);
		return ERR_AUTH;
	}
	return crypto_pwhash_str_verify(hash, pw, n) == 0 ? 0 : ERR_AUTH;
}

static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_hash_init(void)
{
	if (crypto_pwhash_str(dummy_hash, "kura-dummy", 10, PW_OPSLIMIT, PW_MEMLIMIT) != 0)
		BUG("argon2 failed");
}

void password_dummy_verify(const char *pw)
{
	size_t n = strlen(pw);

	pthread_once(&dummy_once, dummy_hash_init);
	/* The answer is known to be no; only the time spent matters. */
	if (crypto_pwhash_str_verify(dummy_hash, pw, n > LIMIT_PASSWORD_MAX ? 1 : n) == 0)
		return;
}

void password_random(struct buf *out)
{
	static const char alphabet[] =
		"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

	for (int i = 0; i < 24; i++)
		buf_addch(out, alphabet[randombytes_uniform(sizeof(alphabet) - 1)]);
}
