/* Personal access token secrets and scopes. A secret is "kpat-" and 40
 * base62 characters (about 238 bits), recognisable by secret scanners; only
 * its SHA-256 is stored, so a lookup by hash needs no constant-time compare. */
#ifndef KURA_TOKEN_H
#define KURA_TOKEN_H
#include <stddef.h>

struct buf;

#define TOKEN_PREFIX "kpat-"
#define TOKEN_SECRET_LEN (5 + 40)

enum scope_flags {
	SCOPE_API = 1 << 0,
	SCOPE_READ_API = 1 << 1,
	SCOPE_READ_USER = 1 << 2,
	SCOPE_READ_REPOSITORY = 1 << 3,
	SCOPE_WRITE_REPOSITORY = 1 << 4,
	SCOPE_SUDO = 1 << 5,
	/* Accepted and stored for GitLab compatibility (AWS asks admin tokens
	 * for it); kura has no separate admin mode, so it grants nothing. */
	SCOPE_ADMIN_MODE = 1 << 6,
	SCOPE_ALL = (1 << 7) - 1,
};

void token_generate(struct buf *secret_out);
/* Lowercase hex SHA-256 of secret. */
void token_hash(struct buf *out, const char *secret);
/* "api,read_repository" into flags; ERR_INVALID naming the bad scope in err
 * (when err is non-NULL), or for an empty list. */
int scopes_parse(const char *list, unsigned *flags_out, struct buf *err);
/* Flags back to the comma-separated canonical list. */
void scopes_format(struct buf *out, unsigned flags);
/* The scope name at index i (0..6), NULL past the end. */
const char *scope_name(int i);

#endif
