/* SSH public keys: users' keys and deploy keys share one table, as on
 * GitLab, so a key is unique across both (by its SHA-256 fingerprint).
 * Keys are parsed here from OpenSSH's one-line format; only the types
 * GitLab accepts pass, RSA from 2048 bits. */
#ifndef KURA_SSH_KEY_H
#define KURA_SSH_KEY_H
#include <stdint.h>

struct buf;
struct db;

#define SSH_KEY_TEXT_MAX 5000	/* GitLab's limit on the key column */
#define SSH_KEY_RSA_MIN_BITS 2048

struct ssh_key {
	int64_t id;
	char *kind;		/* "user" or "deploy" */
	int64_t user_id;	/* 0 for deploy keys */
	char *title;
	char *key;		/* normalised "type base64 comment" */
	char *key_type;
	char *fingerprint_sha256;	/* "SHA256:" and unpadded base64 */
	char *fingerprint_md5;	/* "aa:bb:…" */
	char *usage_type;	/* auth, signing, auth_and_signing */
	int64_t expires_at;	/* 0: never */
	int64_t last_used_at;
	int64_t created_at;
};

struct ssh_key_info {
	char type[48];
	int bits;
	struct buf *normalised;	/* caller's buffers, appended to */
	struct buf *sha256;
	struct buf *md5;
};

/* Parses one OpenSSH public key line. ERR_INVALID with a "key <problem>"
 * sentence in err (for the API's {"key": [problem]}), ERR_TOOBIG past
 * SSH_KEY_TEXT_MAX. */
int ssh_key_parse(const char *text, struct ssh_key_info *out, struct buf *err);

struct ssh_key_req {
	const char *kind;
	int64_t user_id;
	const char *title;
	const char *key;
	const char *usage_type;	/* NULL: auth_and_signing */
	int64_t expires_at;	/* 0: never */
};

/* ERR_INVALID with a sentence ("title …", "key …"), ERR_EXISTS when the
 * fingerprint is taken. */
int ssh_key_create(struct db *db, const struct ssh_key_req *r, int64_t *id_out, struct buf *err);
int ssh_key_find(struct db *db, int64_t id, struct ssh_key **out);
/* By "SHA256:…" or the MD5 colon form (optionally "MD5:"-prefixed). */
int ssh_key_find_by_fingerprint(struct db *db, const char *fp, struct ssh_key **out);
int ssh_key_update(struct db *db, int64_t id, const char *title);
int ssh_key_delete(struct db *db, int64_t id);
void ssh_key_free(struct ssh_key *k);
/* Keys of a user (or every deploy key for user_id 0 and kind "deploy"),
 * oldest first. */
int ssh_key_count(struct db *db, const char *kind, int64_t user_id, int64_t *out);
int ssh_key_list(struct db *db, const char *kind, int64_t user_id, int64_t offset, int64_t limit,
		 int (*fn)(const struct ssh_key *k, void *ctx), void *ctx);

#endif
