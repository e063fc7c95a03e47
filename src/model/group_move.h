/* Moving a group (with its subgroups and projects) under another group or
 * to the top level. Only rows change: full paths are rewritten, and
 * repositories stay at their id-derived paths. */
#ifndef KURA_GROUP_MOVE_H
#define KURA_GROUP_MOVE_H
#include <stdint.h>

struct buf;
struct db;
struct namespace;

/* new_parent 0 moves ns to the top level. ERR_INVALID with a sentence for
 * a move into itself or a descendant, onto its current parent, or past the
 * nesting limit; ERR_EXISTS with a sentence when the target already holds
 * something of that path; ERR_NOTFOUND for an unknown parent. */
int group_transfer(struct db *db, const struct namespace *ns, int64_t new_parent,
		   struct buf *err);

#endif
