/* Finding the resource a URL names, the way GitLab's find_project! and
 * find_group! do: by numeric id or full path, then hidden (404) unless the
 * caller may see it. */
#include "api_ctx.h"
#include "auth/perms.h"
#include "core/err.h"
#include "core/parse.h"
#include "model/member.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/user.h"

#include <string.h>

int api_is_admin(const struct api_ctx *c)
{
	return principal_is_admin(&c->who);
}

int64_t api_user_id(const struct api_ctx *c)
{
	return c->who.user ? c->who.user->id : 0;
}

int api_require_level(struct api_ctx *c, int level, int min)
{
	if (level >= min || api_is_admin(c))
		return 0;
	api_message(c, 403, "403 Forbidden");
	return ERR_DENIED;
}

/* A numeric id, else ERR_NOTFOUND (junk ids are merely absent things). */
static int id_parse(const char *s, int64_t *out)
{
	uint64_t v = 0;

	if (parse_u64(s, INT64_MAX, &v) < 0 || v == 0)
		return ERR_NOTFOUND;
	*out = (int64_t)v;
	return 0;
}

int api_project_find(struct api_ctx *c, const char *id, struct project **out, int *level_out)
{
	struct project *p = NULL;
	int64_t n = 0;
	int level = 0;
	int ret;

	if (id_parse(id, &n) == 0)
		ret = project_find(c->db, n, &p);
	else if (strchr(id, '/'))
		ret = project_find_by_full_path(c->db, id, &p);
	else
		ret = ERR_NOTFOUND;
	if (ret == 0)
		ret = perms_project_read(c->db, &c->who, p, &level);
	if (ret < 0) {
		project_free(p);
		api_fail(c, ret, "Project", NULL);
		return ret;
	}
	*out = p;
	if (level_out)
		*level_out = level;
	return 0;
}

int api_group_find(struct api_ctx *c, const char *id, struct namespace **out, int *level_out)
{
	struct namespace *ns = NULL;
	int64_t n = 0;
	int level = 0;
	int ret;

	if (id_parse(id, &n) == 0)
		ret = namespace_find(c->db, n, &ns);
	else
		ret = namespace_find_by_full_path(c->db, id, &ns);
	if (ret == 0 && strcmp(ns->kind, "group"))
		ret = ERR_NOTFOUND;
	if (ret == 0)
		ret = perms_group_read(c->db, &c->who, ns, &level);
	if (ret < 0) {
		namespace_free(ns);
		api_fail(c, ret, "Group", NULL);
		return ret;
	}
	*out = ns;
	if (level_out)
		*level_out = level;
	return 0;
}

int api_user_find(struct api_ctx *c, const char *id, struct user **out)
{
	int64_t n = 0;
	int ret = id_parse(id, &n);

	if (ret == 0)
		ret = user_find(c->db, n, out);
	if (ret < 0)
		api_fail(c, ret, "User", NULL);
	return ret;
}

int api_namespace_create_allowed(struct api_ctx *c, const struct namespace *ns)
{
	int level = 0;
	int ret = 0;

	if (!strcmp(ns->kind, "user")) {
		if (ns->owner_id != api_user_id(c) && !api_is_admin(c))
			ret = ERR_NOTFOUND;
	} else {
		ret = perms_group_read(c->db, &c->who, ns, &level);
		if (ret == 0)
			return api_require_level(c, level, ACCESS_DEVELOPER);
	}
	if (ret < 0)
		api_fail(c, ret, "Namespace", NULL);
	return ret;
}

int api_namespace_for_project(struct api_ctx *c, const char *ref, struct namespace **out)
{
	struct namespace *ns = NULL;
	uint64_t n = 0;
	int ret;

	if (!ref)
		ret = namespace_find(c->db, c->who.user->namespace_id, &ns);
	else if (parse_u64(ref, INT64_MAX, &n) == 0)
		ret = namespace_find(c->db, (int64_t)n, &ns);
	else
		ret = namespace_find_by_full_path(c->db, ref, &ns);
	if (ret < 0) {
		api_fail(c, ret, "Namespace", NULL);
		return ret;
	}
	ret = api_namespace_create_allowed(c, ns);
	if (ret < 0) {
		namespace_free(ns);
		return ret;
	}
	*out = ns;
	return 0;
}
