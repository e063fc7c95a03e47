/* Moving a project to another namespace. Only the row changes: the
 * repository lives at a path derived from the id, so nothing on disk moves
 * and git URLs follow the new full path at once. */
#ifndef KURA_PROJECT_MOVE_H
#define KURA_PROJECT_MOVE_H
#include <stdint.h>

struct buf;
struct db;
struct project;

/* ERR_EXISTS with a sentence when the target already holds a project or a
 * subgroup of the same path; ERR_INVALID when the project is there already;
 * ERR_NOTFOUND for an unknown namespace. */
int project_transfer(struct db *db, const struct project *p, int64_t namespace_id,
		     struct buf *err);

#endif
