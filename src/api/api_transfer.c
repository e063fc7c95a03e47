/* Moving projects and groups: PUT /projects/:id/transfer into a namespace
 * (id or full path) and POST /groups/:id/transfer under another group or to
 * the top level. Only rows change; repositories keep their hashed paths, so
 * clones follow the new URL at once and the old one stops answering. */
#include "api_ctx.h"
#include "auth/perms.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"
#include "model/group_move.h"
#include "model/member.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/project_move.h"

#include <string.h>

/* A namespace by id or full path that the caller may see: ERR_NOTFOUND
 * otherwise. level_out gets the caller's level in a group (Owner of their
 * own user namespace). */
static int target_find(struct api_ctx *c, const char *id, struct namespace **out,
		       int *level_out)
{
	struct namespace *ns = NULL;
	uint64_t n = 0;
	int level = 0;
	int ret;

	if (parse_u64(id, INT64_MAX, &n) == 0)
		ret = namespace_find(c->db, (int64_t)n, &ns);
	else
		ret = namespace_find_by_full_path(c->db, id, &ns);
	if (ret == 0 && !strcmp(ns->kind, "user"))
		ret = ns->owner_id == api_user_id(c) || api_is_admin(c) ? 0 : ERR_NOTFOUND;
	else if (ret == 0)
		ret = perms_group_read(c->db, &c->who, ns, &level);
	if (ret < 0) {
		namespace_free(ns);
		return ret;
	}
	*out = ns;
	*level_out = strcmp(ns->kind, "user") ? level : ACCESS_OWNER;
	return 0;
}

static void project_transfer_put(struct api_ctx *c)
{
	struct buf err = BUF_INIT_MAX(512);
	struct project *p = NULL, *after = NULL;
	struct namespace *ns = NULL;
	const char *target = NULL;
	int level = 0, ns_level = 0, ret;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_OWNER) < 0 ||
	    api_param_required(c, "namespace", &target) < 0)
		goto out;
	ret = target_find(c, target, &ns, &ns_level);
	if (ret < 0) {
		api_fail(c, ret, "Namespace", NULL);
		goto out;
	}
	/* GitLab's transfer_projects: Maintainer and up in a target group. */
	if (api_require_level(c, ns_level, ACCESS_MAINTAINER) < 0)
		goto out;
	ret = project_transfer(c->db, p, ns->id, &err);
	if (ret == 0)
		ret = project_find(c->db, p->id, &after);
	if (ret == ERR_INVALID || ret == ERR_EXISTS)
		api_message(c, 400, err.len ? err.ptr : "Project could not be transferred");
	else if (ret < 0)
		api_fail(c, ret, "Project", NULL);
	else
		api_json(c, 200, api_project_json(c, after, level, 0));
out:
	namespace_free(ns);
	project_free(p);
	project_free(after);
	buf_release(&err);
}

static void group_transfer_post(struct api_ctx *c)
{
	struct buf err = BUF_INIT_MAX(512);
	struct namespace *ns = NULL, *parent = NULL, *after = NULL;
	const char *target = NULL;
	int level = 0, parent_level = 0, ret;

	if (api_group_find(c, api_arg(c, 0), &ns, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_OWNER) < 0 ||
	    api_param_str(c, "group_id", &target) < 0)
		goto out;
	if (target && *target) {
		ret = target_find(c, target, &parent, &parent_level);
		if (ret == 0 && strcmp(parent->kind, "group"))
			ret = ERR_NOTFOUND;
		if (ret < 0) {
			api_fail(c, ret, "Group", NULL);
			goto out;
		}
		/* GitLab's create_subgroup: Maintainer and up in the new parent. */
		if (api_require_level(c, parent_level, ACCESS_MAINTAINER) < 0)
			goto out;
	}
	ret = group_transfer(c->db, ns, parent ? parent->id : 0, &err);
	if (ret == 0)
		ret = namespace_find(c->db, ns->id, &after);
	if (ret == ERR_INVALID || ret == ERR_EXISTS)
		api_message(c, 400, err.len ? err.ptr : "Group could not be transferred");
	else if (ret < 0)
		api_fail(c, ret, "Group", NULL);
	else
		api_json(c, 201, api_group_json(c, after));
out:
	namespace_free(ns);
	namespace_free(parent);
	namespace_free(after);
	buf_release(&err);
}

const struct api_endpoint api_transfer_endpoints[] = {
	{ "PUT", "/projects/:id/transfer", project_transfer_put, API_AUTH },
	{ "POST", "/groups/:id/transfer", group_transfer_post, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
