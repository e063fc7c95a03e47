/* Files attached to a project (GitLab's uploads): stored under
 * DATA/uploads/<the project's hashed path>/<secret>/<filename>, so that a
 * transfer or rename never moves them and nothing of the URL but the
 * sanitised file name ever becomes part of a path. */
#ifndef KURA_UPLOAD_H
#define KURA_UPLOAD_H
#include <stddef.h>
#include <stdint.h>

struct buf;

/* The file name a client sent, made safe: its last path component, with
 * every byte outside [A-Za-z0-9._-] replaced by '_'. ERR_INVALID with a
 * sentence when nothing usable is left ("", ".", "..", too long). */
int upload_sanitise_name(struct buf *out, const char *name, size_t len, struct buf *err);
/* Stores data durably (written, synced, then renamed into place) and
 * appends the new random secret to secret_out. name must be sanitised. */
int upload_store(int64_t project_id, const char *name, const void *data, size_t len,
		 struct buf *secret_out);
/* The stored file's path, when secret and name have the shapes upload_store
 * gives them; ERR_NOTFOUND otherwise. */
int upload_path(struct buf *out, int64_t project_id, const char *secret, const char *name);

#endif
