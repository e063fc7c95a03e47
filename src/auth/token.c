#include "token.h"
#include "core/buf.h"
#include "core/err.h"

#include <sodium.h>
#include <string.h>

static const char *const scope_names[] = {
	"api", "read_api", "read_user", "read_repository", "write_repository", "sudo",
	"admin_mode",
};
#define NSCOPES ((int)(sizeof(scope_names) / sizeof(scope_names[0])))

void token_generate(struct buf *secret_out)
{
	static const char alphabet[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	buf_addstr(secret_out, TOKEN_PREFIX);
	for (int i = 0; i < 40; i++)
		buf_addch(secret_out, alphabet[randombytes_uniform(sizeof(alphabet) - 1)]);
}

void token_hash(struct buf *out, const char *secret)
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, (const unsigned char *)secret, strlen(secret));
	buf_add_hex(out, digest, sizeof(digest));
}

const char *scope_name(int i)
{
	return i >= 0 && i < NSCOPES ? scope_names[i] : NULL;
}

int scopes_parse(const char *list, unsigned *flags_out, struct buf *err)
{
	unsigned flags = 0;
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ", ");
		int found = 0;

		for (int i = 0; i < NSCOPES && n; i++) {
			if (strlen(scope_names[i]) == n && !strncmp(p, scope_names[i], n)) {
				flags |= 1u << i;
				found = 1;
			}
		}
		if (!found && n) {
			/* Quoted and cut: the sentence stays one short line. */
			if (err) {
				buf_addstr(err, "scope '");
				buf_add_quoted(err, p, n, 64);
				buf_addstr(err, "' is not one of api, read_api, read_user, "
					   "read_repository, write_repository, sudo, admin_mode");
			}
			return ERR_INVALID;
		}
		p += n;
		p += strspn(p, ", ");
	}
	if (!flags) {
		if (err)
			buf_addstr(err, "at least one scope is required");
		return ERR_INVALID;
	}
	*flags_out = flags;
	return 0;
}

void scopes_format(struct buf *out, unsigned flags)
{
	int first = 1;

	for (int i = 0; i < NSCOPES; i++) {
		if (!(flags & (1u << i)))
			continue;
		if (!first)
			buf_addch(out, ',');
		buf_addstr(out, scope_names[i]);
		first = 0;
	}
}
