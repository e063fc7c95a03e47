#include "perms.h"
#include "authn.h"
#include "token.h"
#include "core/err.h"
#include "model/member.h"
#include "model/member_list.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/user.h"

#include <string.h>

int perms_project_level(struct db *db, const struct principal *who,
			const struct project *p, int *level_out)
{
	if (!who->user) {
		*level_out = ACCESS_NONE;
		return 0;
	}
	if (who->user->is_admin) {
		*level_out = ACCESS_OWNER;
		return 0;
	}
	return member_project_level(db, p->id, p->namespace_id, who->user->id, level_out);
}

static int perms_visible_at(const struct principal *who, const struct project *p, int level)
{
	if (!strcmp(p->visibility, "public"))
		return 1;
	if (!strcmp(p->visibility, "internal") && who->user)
		return 1;
	return level >= ACCESS_GUEST;
}

int perms_project_visible(struct db *db, const struct principal *who, const struct project *p)
{
	int level = 0;
	int ret = perms_project_level(db, who, p, &level);

	if (ret < 0)
		return ret;
	return perms_visible_at(who, p, level) ? 0 : ERR_NOTFOUND;
}

int perms_project_read(struct db *db, const struct principal *who, const struct project *p,
		       int *level_out)
{
	int level = 0;
	int ret = perms_project_level(db, who, p, &level);

	if (ret < 0)
		return ret;
	if (!perms_visible_at(who, p, level))
		return ERR_NOTFOUND;
	*level_out = level;
	return 0;
}

int perms_group_level(struct db *db, const struct principal *who, const struct namespace *ns,
		      int *level_out)
{
	if (!who->user) {
		*level_out = ACCESS_NONE;
		return 0;
	}
	if (who->user->is_admin) {
		*level_out = ACCESS_OWNER;
		return 0;
	}
	return member_namespace_level(db, ns->id, who->user->id, level_out);
}

int perms_group_read(struct db *db, const struct principal *who, const struct namespace *ns,
		     int *level_out)
{
	int level = 0;
	int ret = perms_group_level(db, who, ns, &level);

	if (ret < 0)
		return ret;
	if (strcmp(ns->visibility, "public") && !(who->user && !strcmp(ns->visibility, "internal")) &&
	    level < ACCESS_GUEST)
		return ERR_NOTFOUND;
	*level_out = level;
	return 0;
}

int perms_git_pull(struct db *db, const struct principal *who, const struct project *p)
{
	const unsigned pull_scopes = SCOPE_API | SCOPE_READ_API | SCOPE_READ_REPOSITORY |
				     SCOPE_WRITE_REPOSITORY;
	int level = 0;
	int ret;

	/* A deploy token was matched to this project when it authenticated
	 * (authn_deploy_token): only its scopes decide. */
	if (who->deploy_token_id)
		return who->scopes & pull_scopes ? 0 : ERR_DENIED;
	ret = perms_project_level(db, who, p, &level);
	if (ret < 0)
		return ret;
	if (!perms_visible_at(who, p, level))
		return ERR_NOTFOUND;
	if (!strcmp(p->visibility, "private") && level < ACCESS_REPORTER)
		return ERR_DENIED;
	if (who->user && !(who->scopes & pull_scopes))
		return ERR_DENIED;
	return 0;
}

int perms_git_push(struct db *db, const struct principal *who, const struct project *p)
{
	const unsigned push_scopes = SCOPE_API | SCOPE_WRITE_REPOSITORY;
	int level = 0;
	int ret;

	if (who->deploy_token_id)
		return who->scopes & SCOPE_WRITE_REPOSITORY && !p->archived ? 0 : ERR_DENIED;
	ret = perms_project_level(db, who, p, &level);
	if (ret < 0)
		return ret;
	if (!perms_visible_at(who, p, level))
		return ERR_NOTFOUND;
	if (!who->user || level < ACCESS_DEVELOPER || !(who->scopes & push_scopes))
		return ERR_DENIED;
	if (p->archived)
		return ERR_DENIED;
	return 0;
}

int perms_member_change(struct db *db, const struct member_change *m)
{
	int leaving = !m->new_level && m->user_id == m->caller_id;
	int touches_owner = m->new_level == ACCESS_OWNER || m->old_level == ACCESS_OWNER;
	int64_t owners = 0;
	int ret;

	if (!leaving && m->caller_level < ACCESS_MAINTAINER)
		return ERR_DENIED;
	if (!leaving && touches_owner && m->caller_level < ACCESS_OWNER)
		return ERR_DENIED;
	if (m->new_level == ACCESS_OWNER)
		return 0;
	if (m->personal_owner && m->personal_owner == m->user_id)
		return ERR_DENIED;
	if (!m->is_group || m->old_level < ACCESS_OWNER)
		return 0;
	ret = member_owner_count(db, m->namespace_id, &owners);
	if (ret < 0)
		return ret;
	return owners > 1 ? 0 : ERR_DENIED;
}

int perms_namespace_create_in(struct db *db, const struct principal *who,
			      const struct namespace *ns)
{
	int level = 0;
	int ret;

	if (!who->user)
		return ERR_NOTFOUND;
	if (!strcmp(ns->kind, "user"))
		return ns->owner_id == who->user->id || who->user->is_admin ? 0 : ERR_NOTFOUND;
	ret = perms_group_read(db, who, ns, &level);
	if (ret < 0)
		return ret;
	return level >= ACCESS_MAINTAINER ? 0 : ERR_NOTFOUND;
}
