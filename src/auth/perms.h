/* GitLab's permission rules in one place, shared by Git HTTP, the API and the
 * web UI. A project the caller may not see is ERR_NOTFOUND, never
 * ERR_DENIED, so that existence does not leak. */
#ifndef KURA_PERMS_H
#define KURA_PERMS_H

struct db;
struct namespace;
struct principal;
struct project;

/* The caller's effective access level in the project (admins: Owner). */
int perms_project_level(struct db *db, const struct principal *who,
			const struct project *p, int *level_out);
/* May see the project at all (API, web): public to all, internal to any
 * signed-in user, private to members (Guest and up). ERR_NOTFOUND. */
int perms_project_visible(struct db *db, const struct principal *who, const struct project *p);
/* Visible as above, with the caller's level in level_out (one query). */
int perms_project_read(struct db *db, const struct principal *who, const struct project *p,
		       int *level_out);
/* The caller's level in a group (own and inherited; admins: Owner). */
int perms_group_level(struct db *db, const struct principal *who, const struct namespace *ns,
		      int *level_out);
/* May see the group: public to all, internal to any signed-in user, private
 * to members of it or an ancestor. ERR_NOTFOUND. */
int perms_group_read(struct db *db, const struct principal *who, const struct namespace *ns,
		     int *level_out);
/* May fetch code: visible, Reporter+ on private projects, and a token scope
 * that allows reading repositories. ERR_NOTFOUND, or ERR_DENIED for scope. */
int perms_git_pull(struct db *db, const struct principal *who, const struct project *p);
/* May push: Developer+ and a scope that allows writing. ERR_NOTFOUND when
 * not even visible, ERR_DENIED otherwise. */
int perms_git_push(struct db *db, const struct principal *who, const struct project *p);

#endif
