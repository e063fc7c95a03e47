/* Backups of a whole kura: one tar archive holding
 *
 *   db/<table>.jsonl     every table, read in one snapshot transaction (dump.h)
 *   repos/<id>.bundle    `git bundle create --all` of each repository
 *   secrets/<name>       DATA/secrets (the key that seals mirror credentials)
 *   manifest.json        kura and schema versions, time, driver, row counts,
 *                        each repository's refs and every file's SHA-256
 *   manifest.sha256      the manifest's own SHA-256
 *
 * Repositories are captured with git bundle rather than by copying files
 * under ref locks: git resolves the refs once and packs exactly the objects
 * they reach, so a push running meanwhile is either in the bundle or not,
 * never half in it, and no push has to wait for a lock the backup holds.
 * Restoring fetches each bundle into a fresh repository at the same hashed
 * path, with fsck of every object, and loads the tables with their ids.
 *
 * Everything streams through files in bounded buffers: memory stays flat
 * whatever the size of a repository or a table. */
#ifndef KURA_BACKUP_H
#define KURA_BACKUP_H

struct app;
struct buf;

/* Writes the archive to output (through output.partial, renamed at the
 * end). ERR_UNAVAILABLE or ERR_INTERNAL with a sentence in err. */
int backup_create(struct app *app, const char *output, struct buf *err);

/* Restores file into app's data directory and database. ERR_EXISTS when
 * the target holds data and force is 0; ERR_INVALID when the archive is
 * damaged, truncated or hostile (nothing is written then); other codes for
 * failures while restoring. err gets one sentence. */
int backup_restore(struct app *app, const char *file, int force, struct buf *err);

/* kura backup create|restore …: the command line. */
int cli_backup(int argc, char **argv);

#endif
