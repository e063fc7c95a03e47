/* Sharing with groups: POST/DELETE /groups/:id/share and
 * /projects/:id/share. The invited group's members then reach the shared
 * group or project at most at the link's level (see member.c). */
#include "api_ctx.h"
#include "auth/perms.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/timeutil.h"
#include "model/group_link.h"
#include "model/member.h"
#include "model/namespace.h"
#include "model/project.h"

#include <string.h>

static int link_json_add(const struct group_link *l, void *ctx)
{
	char day[16];

	if (l->expires_at)
		time_format_date(day, sizeof(day), l->expires_at);
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:i, s:o}",
					     "group_id", (json_int_t)l->group_id,
					     "group_name", l->group_name,
					     "group_full_path", l->group_full_path,
					     "group_access_level", l->access_level,
					     "expires_at", l->expires_at ? json_string(day)
									 : json_null()));
	return 0;
}

json_t *api_shared_with_groups(struct api_ctx *c, int project, int64_t id)
{
	json_t *a = json_array();

	/* A failed read shows no shares rather than failing the whole answer. */
	if (group_link_list(c->db, project ? GROUP_LINK_PROJECT : GROUP_LINK_GROUP, id,
			    link_json_add, a) < 0)
		json_array_clear(a);
	return a;
}

/* group_id (a group the caller may see), group_access and expires_at. */
static int share_params(struct api_ctx *c, struct namespace **group_out, int *level_out,
			int64_t *expires_out)
{
	struct namespace *g = NULL;
	const char *expires = NULL;
	int64_t level = 0, at = 0;
	const char *gid = NULL;

	if (api_param_required(c, "group_id", &gid) < 0 ||
	    api_param_int(c, "group_access", 0, 50, &level) < 0 ||
	    api_param_str(c, "expires_at", &expires) < 0)
		return ERR_INVALID;
	if (!access_level_valid((int)level)) {
		if (!json_object_get(c->params, "group_access"))
			api_error(c, 400, "group_access is missing");
		else
			api_invalid_value(c, "group_access");
		return ERR_INVALID;
	}
	if (expires && *expires && (time_parse_date(expires, &at) < 0 || at <= time_now_ms())) {
		api_error(c, 400, "expires_at is invalid");
		return ERR_INVALID;
	}
	if (api_group_find(c, gid, &g, NULL) < 0)
		return ERR_NOTFOUND;
	*group_out = g;
	*level_out = (int)level;
	*expires_out = at;
	return 0;
}

static void group_share(struct api_ctx *c)
{
	struct namespace *ns = NULL, *with = NULL;
	int64_t expires = 0;
	int level = 0, access = 0, ret;
	json_t *o;

	if (api_group_find(c, api_arg(c, 0), &ns, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_OWNER) < 0 ||
	    share_params(c, &with, &access, &expires) < 0)
		goto out;
	if (with->id == ns->id) {
		api_message(c, 400, "A group cannot be shared with itself");
		goto out;
	}
	ret = group_link_add(c->db, GROUP_LINK_GROUP, ns->id, with->id, access, expires);
	if (ret == ERR_EXISTS) {
		api_message(c, 409, "The group is already shared with this group");
	} else if (ret < 0) {
		api_fail(c, ret, "Group", NULL);
	} else {
		o = api_group_json(c, ns);
		json_object_set_new(o, "shared_with_groups", api_shared_with_groups(c, 0, ns->id));
		api_json(c, 201, o);
	}
out:
	namespace_free(ns);
	namespace_free(with);
}

static int64_t arg_id(const char *s)
{
	uint64_t v = 0;

	return parse_u64(s, INT64_MAX, &v) == 0 ? (int64_t)v : 0;
}

static void group_unshare(struct api_ctx *c)
{
	struct namespace *ns = NULL;
	int64_t with = arg_id(api_arg(c, 1));
	int level = 0, ret;

	if (api_group_find(c, api_arg(c, 0), &ns, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_OWNER) == 0) {
		ret = with ? group_link_remove(c->db, GROUP_LINK_GROUP, ns->id, with) : ERR_NOTFOUND;
		if (ret < 0)
			api_fail(c, ret, "Group Link", NULL);
		else
			api_no_content(c);
	}
	namespace_free(ns);
}

static void project_share(struct api_ctx *c)
{
	struct project *p = NULL;
	struct namespace *with = NULL;
	int64_t expires = 0;
	int level = 0, access = 0, ret;
	char day[16];

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_MAINTAINER) < 0 ||
	    share_params(c, &with, &access, &expires) < 0)
		goto out;
	ret = group_link_add(c->db, GROUP_LINK_PROJECT, p->id, with->id, access, expires);
	if (expires)
		time_format_date(day, sizeof(day), expires);
	if (ret == ERR_EXISTS)
		api_message(c, 409, "The project is already shared with this group");
	else if (ret < 0)
		api_fail(c, ret, "Project", NULL);
	else
		api_json(c, 201, json_pack("{s:I, s:I, s:I, s:i, s:o}", "id", (json_int_t)with->id,
					   "project_id", (json_int_t)p->id,
					   "group_id", (json_int_t)with->id, "group_access", access,
					   "expires_at", expires ? json_string(day) : json_null()));
out:
	project_free(p);
	namespace_free(with);
}

static void project_unshare(struct api_ctx *c)
{
	struct project *p = NULL;
	int64_t with = arg_id(api_arg(c, 1));
	int level = 0, ret;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_MAINTAINER) == 0) {
		ret = with ? group_link_remove(c->db, GROUP_LINK_PROJECT, p->id, with)
			   : ERR_NOTFOUND;
		if (ret < 0)
			api_fail(c, ret, "Group Link", NULL);
		else
			api_no_content(c);
	}
	project_free(p);
}

const struct api_endpoint api_share_endpoints[] = {
	{ "POST", "/groups/:id/share", group_share, API_AUTH },
	{ "DELETE", "/groups/:id/share/:group_id", group_unshare, API_AUTH },
	{ "POST", "/projects/:id/share", project_share, API_AUTH },
	{ "DELETE", "/projects/:id/share/:group_id", project_unshare, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
