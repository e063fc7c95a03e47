/* Stars: a user's bookmark of a project, counted on the project. */
#ifndef KURA_STAR_H
#define KURA_STAR_H
#include <stdint.h>

struct db;

/* ERR_EXISTS when already starred. */
int star_add(struct db *db, int64_t project_id, int64_t user_id);
/* ERR_NOTFOUND when not starred. */
int star_remove(struct db *db, int64_t project_id, int64_t user_id);
int star_count(struct db *db, int64_t project_id, int64_t *out);
/* Users who starred the project, newest star first; search matches username
 * or name (NULL: all). fn gets the user id and when they starred. */
int star_list_count(struct db *db, int64_t project_id, const char *search, int64_t *out);
int star_list(struct db *db, int64_t project_id, const char *search, int64_t offset,
	      int64_t limit, int (*fn)(int64_t user_id, int64_t starred_at, void *ctx),
	      void *ctx);

#endif
