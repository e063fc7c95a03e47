/* Protected branches, GitLab's model: a name or wildcard pattern, who may
 * push and merge (0 no one, 30 developers and maintainers, 40 maintainers),
 * and whether force pushes are allowed. */
#ifndef KURA_PROTECTED_BRANCH_H
#define KURA_PROTECTED_BRANCH_H
#include <stddef.h>
#include <stdint.h>

struct buf;
struct db;

struct protected_branch {
	int64_t id;
	int64_t project_id;
	char *name;
	int push_access_level;
	int merge_access_level;
	int allow_force_push;
	int64_t created_at;
};

struct protected_branch_list {
	struct protected_branch *items;
	size_t nr;
};

/* ERR_INVALID (sentence in err) for a bad name or level, ERR_EXISTS. */
int protected_branch_create(struct db *db, int64_t project_id, const char *name,
			    int push_level, int merge_level, int allow_force_push,
			    int64_t *id_out, struct buf *err);
int protected_branch_update(struct db *db, int64_t id, int push_level, int merge_level,
			    int allow_force_push);
int protected_branch_delete(struct db *db, int64_t project_id, const char *name);
int protected_branch_find(struct db *db, int64_t project_id, const char *name,
			  struct protected_branch **out);
/* All rules of a project, by name. */
int protected_branch_list(struct db *db, int64_t project_id, struct protected_branch_list *out);
void protected_branch_list_release(struct protected_branch_list *l);
void protected_branch_free(struct protected_branch *pb);

/* Does branch (short name, "release/1.0") match the rule name? '*' matches
 * any run of characters, '/' included, as in GitLab. */
int protected_branch_matches(const char *pattern, const char *branch);
/* The strictest rule matching branch: the highest push level, force push
 * only if every matching rule allows it. 0 and *found_out = 0 when none. */
int protected_branch_effective(const struct protected_branch_list *l, const char *branch,
			       int *found_out, int *push_level_out, int *allow_force_out);
int protected_level_valid(int level);

#endif
