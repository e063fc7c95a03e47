/* GitLab's permission rules in one place, shared by Git HTTP, the API and the
 * web UI. A project the caller may not see is ERR_NOTFOUND, never
 * ERR_DENIED, so that existence does not leak. */
#ifndef KURA_PERMS_H
#define KURA_PERMS_H
#include <stdint.h>

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

/* A change to one membership, for perms_member_change. */
struct member_change {
	int is_group;			/* a group's membership, else a project's */
	int64_t namespace_id;		/* the group, or the project's namespace */
	int64_t personal_owner;		/* owner of a personal project's namespace; 0 */
	int64_t caller_id;
	int caller_level;		/* the caller's level in the group or project */
	int64_t user_id;		/* the member */
	int old_level;			/* the member's direct level now; 0: none */
	int new_level;			/* 0: removal */
};
/* GitLab's membership rules: Maintainers manage members below Owner, only
 * Owners grant, change or remove Owner, anyone may leave, the owner of a
 * personal namespace stays, and a group keeps at least one Owner.
 * ERR_DENIED when the change is not allowed. */
int perms_member_change(struct db *db, const struct member_change *m);
/* May move a project into ns: the owner of a personal namespace (or an
 * admin), or a group's Maintainer and up, as for creating a subgroup.
 * ERR_NOTFOUND when ns is not the caller's to use. */
int perms_namespace_create_in(struct db *db, const struct principal *who,
			      const struct namespace *ns);

#endif
