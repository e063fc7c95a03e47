/* What backup_create.c and backup_restore.c share: names inside the
 * archive, progress on a terminal and file helpers. */
#ifndef KURA_BACKUP_INT_H
#define KURA_BACKUP_INT_H
#include <stdint.h>

#define BACKUP_FORMAT "kura-backup"
#define BACKUP_FORMAT_VERSION 1
#define BACKUP_MANIFEST "manifest.json"
#define BACKUP_MANIFEST_SUM "manifest.sha256"
#define BACKUP_MANIFEST_MAX (256u * 1024 * 1024)	/* refs of every repository */
#define BACKUP_LINE_MAX (256u * 1024 * 1024)	/* one dumped row */
#define BACKUP_GIT_MS (12LL * 3600 * 1000)	/* bundling or fetching one repository */
#define BACKUP_COPY_CHUNK (64 * 1024)

struct buf;

/* A line on stderr rewritten in place, only when stderr is a terminal. */
void backup_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void backup_progress_done(void);

/* DATA/secrets, where keys that must survive a restore live. */
void backup_secrets_dir(struct buf *out);

/* Lower-case hex of a SHA-256 state's digest into out (65 bytes). */
struct crypto_hash_sha256_state;
void backup_sha_hex(struct crypto_hash_sha256_state *st, char out[65]);

#endif
