/* Members of projects and groups: list (direct or /all with inherited
 * ones), get, add, edit, remove, with GitLab's rules: Maintainers manage
 * members below Owner, only Owners grant or touch Owner, anyone may leave,
 * and a group keeps at least one Owner. */
#include "api_ctx.h"
#include "auth/perms.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/timeutil.h"
#include "model/member.h"
#include "model/member_list.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/user.h"

#include <string.h>

struct source {
	enum member_source kind;
	int64_t id;
	int64_t namespace_id;	/* the project's namespace, or the group itself */
	int64_t personal_owner;	/* owner of a personal project's namespace */
	int level;		/* the caller's */
};

static int source_find(struct api_ctx *c, enum member_source kind, struct source *out)
{
	struct project *p = NULL;
	struct namespace *ns = NULL;

	out->kind = kind;
	if (kind == MEMBER_PROJECT) {
		if (api_project_find(c, api_arg(c, 0), &p, &out->level) < 0)
			return ERR_NOTFOUND;
		out->id = p->id;
		out->namespace_id = p->namespace_id;
		out->personal_owner = strcmp(p->namespace_kind, "user") ? 0 : p->namespace_owner_id;
		project_free(p);
		return 0;
	}
	if (api_group_find(c, api_arg(c, 0), &ns, &out->level) < 0)
		return ERR_NOTFOUND;
	out->id = ns->id;
	out->namespace_id = ns->id;
	out->personal_owner = 0;
	namespace_free(ns);
	return 0;
}

static json_t *member_json(struct api_ctx *c, const struct member_row *m)
{
	json_t *o = api_user_basic(c, m->user);
	char day[16];

	if (m->expires_at)
		time_format_date(day, sizeof(day), m->expires_at);
	json_object_set_new(o, "access_level", json_integer(m->level));
	json_object_set_new(o, "created_at", api_time(m->created_at));
	json_object_set_new(o, "expires_at", m->expires_at ? json_string(day) : json_null());
	json_object_set_new(o, "membership_state", json_string("active"));
	return o;
}

struct member_page {
	struct api_ctx *c;
	json_t *items;
};

static int member_page_add(const struct member_row *m, void *ctx)
{
	struct member_page *mp = ctx;

	json_array_append_new(mp->items, member_json(mp->c, m));
	return 0;
}

static void members_list(struct api_ctx *c, enum member_source kind, int inherited)
{
	struct source src;
	struct member_scope s = { 0 };
	struct member_page mp = { c, NULL };
	struct api_page pg;
	int64_t total = 0;
	int ret;

	if (source_find(c, kind, &src) < 0 || api_page_parse(c, &pg) < 0 ||
	    api_param_str(c, "query", &s.query) < 0)
		return;
	s.kind = kind;
	s.source_id = src.id;
	/* A group's direct list is its own rows; /all adds the ancestors. */
	s.namespace_id = inherited ? src.namespace_id : 0;
	ret = member_list_count(c->db, &s, &total);
	mp.items = json_array();
	if (ret == 0)
		ret = member_list(c->db, &s, api_page_offset(&pg), pg.per_page, member_page_add, &mp);
	if (ret < 0) {
		json_decref(mp.items);
		api_fail(c, ret, NULL, NULL);
		return;
	}
	api_page_respond(c, &pg, total, mp.items);
}

struct member_one {
	struct api_ctx *c;
	json_t *json;
	int level;
};

static int member_first(const struct member_row *m, void *ctx)
{
	struct member_one *one = ctx;

	one->json = member_json(one->c, m);
	one->level = m->level;
	return 1;
}

/* The member (direct, or with inherited ones); ERR_NOTFOUND when user_id
 * is none. */
static int member_lookup(struct api_ctx *c, const struct source *src, int64_t user_id,
			 int inherited, struct member_one *out)
{
	struct member_scope s = { src->kind, src->id, inherited ? src->namespace_id : 0, NULL,
				  user_id };
	int ret;

	out->c = c;
	out->json = NULL;
	out->level = 0;
	ret = member_list(c->db, &s, 0, 1, member_first, out);
	if (ret < 0)
		return ret;
	return out->json ? 0 : ERR_NOTFOUND;
}

static int user_id_arg(struct api_ctx *c, const char *s, int64_t *out)
{
	uint64_t v = 0;

	if (parse_u64(s, INT64_MAX, &v) < 0 || !v) {
		api_message(c, 404, "404 Member Not Found");
		return ERR_NOTFOUND;
	}
	*out = (int64_t)v;
	return 0;
}

static void members_get(struct api_ctx *c, enum member_source kind, int inherited)
{
	struct source src;
	struct member_one one;
	int64_t uid = 0;
	int ret;

	if (source_find(c, kind, &src) < 0 || user_id_arg(c, api_arg(c, 1), &uid) < 0)
		return;
	ret = member_lookup(c, &src, uid, inherited, &one);
	if (ret < 0)
		api_fail(c, ret, "Member", NULL);
	else
		api_json(c, 200, one.json);
}

/* access_level: one of GitLab's levels; Owner only from Owners. */
static int level_param(struct api_ctx *c, const struct source *src, int required, int *out)
{
	int64_t v = 0;
	int ret = api_param_int(c, "access_level", INT64_MIN, INT64_MAX, &v);

	if (ret == 0 && required) {
		api_error(c, 400, "access_level is missing");
		return ERR_INVALID;
	}
	if (ret <= 0)
		return ret;
	if (!access_level_valid((int)v) || v != (int)v) {
		api_invalid_value(c, "access_level");
		return ERR_INVALID;
	}
	if (v == ACCESS_OWNER && api_require_level(c, src->level, ACCESS_OWNER) < 0)
		return ERR_DENIED;
	*out = (int)v;
	return 1;
}

static int expires_param(struct api_ctx *c, int64_t *out)
{
	const char *s = NULL;
	int ret = api_param_str(c, "expires_at", &s);

	if (ret <= 0 || !*s)
		return ret < 0 ? ret : 0;
	if (time_parse_date(s, out) < 0) {
		api_error(c, 400, "expires_at is invalid");
		return ERR_INVALID;
	}
	return 1;
}

static void member_answer(struct api_ctx *c, const struct source *src, int64_t uid, int status)
{
	struct member_one one;
	int ret = member_lookup(c, src, uid, 0, &one);

	if (ret < 0)
		api_fail(c, ret, "Member", NULL);
	else
		api_json(c, status, one.json);
}

static void members_add(struct api_ctx *c, enum member_source kind)
{
	struct source src;
	struct member_one one = { 0 };
	struct user *u = NULL;
	int64_t uid = 0, expires = 0;
	int level = 0, ret;

	if (source_find(c, kind, &src) < 0 ||
	    api_require_level(c, src.level, ACCESS_MAINTAINER) < 0)
		return;
	ret = api_param_int(c, "user_id", 1, INT64_MAX, &uid);
	if (ret == 0)
		api_error(c, 400, "user_id is missing");
	if (ret <= 0 || level_param(c, &src, 1, &level) < 0 || expires_param(c, &expires) < 0)
		return;
	ret = user_find(c->db, uid, &u);
	user_free(u);
	if (ret < 0) {
		api_fail(c, ret, "User", NULL);
		return;
	}
	if (member_lookup(c, &src, uid, 0, &one) == 0) {
		json_decref(one.json);
		api_message(c, 409, "Member already exists");
		return;
	}
	ret = member_set(c->db, kind, src.id, uid, level, expires);
	if (ret < 0)
		api_fail(c, ret, "Member", NULL);
	else
		member_answer(c, &src, uid, 201);
}

/* The rules live in perms_member_change, shared with the web UI. */
static int change_allowed(struct api_ctx *c, const struct source *src, int64_t uid, int old_level,
			  int new_level)
{
	struct member_change mc = { src->kind == MEMBER_NAMESPACE, src->namespace_id,
				    src->personal_owner, api_user_id(c), src->level, uid, old_level,
				    new_level };

	if (api_is_admin(c) && mc.caller_level < ACCESS_OWNER)
		mc.caller_level = ACCESS_OWNER;
	return perms_member_change(c->db, &mc);
}

static void members_edit(struct api_ctx *c, enum member_source kind)
{
	struct source src;
	struct member_one one;
	int64_t uid = 0, expires = 0;
	int level = 0, ret;

	if (source_find(c, kind, &src) < 0 || user_id_arg(c, api_arg(c, 1), &uid) < 0 ||
	    api_require_level(c, src.level, ACCESS_MAINTAINER) < 0)
		return;
	ret = member_lookup(c, &src, uid, 0, &one);
	if (ret < 0) {
		api_fail(c, ret, "Member", NULL);
		return;
	}
	json_decref(one.json);
	if (level_param(c, &src, 1, &level) < 0 || expires_param(c, &expires) < 0)
		return;
	ret = change_allowed(c, &src, uid, one.level, level);
	if (ret == 0)
		ret = member_set(c->db, kind, src.id, uid, level, expires);
	if (ret < 0)
		api_fail(c, ret, "Member", NULL);
	else
		member_answer(c, &src, uid, 200);
}

static void members_remove(struct api_ctx *c, enum member_source kind)
{
	struct source src;
	struct member_one one;
	int64_t uid = 0;
	int ret;

	if (source_find(c, kind, &src) < 0 || user_id_arg(c, api_arg(c, 1), &uid) < 0)
		return;
	/* Leaving needs no rights; removing others needs Maintainer, and an
	 * Owner's removal needs an Owner. */
	if (uid != api_user_id(c) && api_require_level(c, src.level, ACCESS_MAINTAINER) < 0)
		return;
	ret = member_lookup(c, &src, uid, 0, &one);
	if (ret < 0) {
		api_fail(c, ret, "Member", NULL);
		return;
	}
	json_decref(one.json);
	ret = change_allowed(c, &src, uid, one.level, 0);
	if (ret == 0)
		ret = member_remove(c->db, kind, src.id, uid);
	if (ret < 0)
		api_fail(c, ret, "Member", NULL);
	else
		api_no_content(c);
}

#define MEMBER_HANDLERS(prefix, kind) \
	static void prefix##_list(struct api_ctx *c) { members_list(c, kind, 0); } \
	static void prefix##_list_all(struct api_ctx *c) { members_list(c, kind, 1); } \
	static void prefix##_get(struct api_ctx *c) { members_get(c, kind, 0); } \
	static void prefix##_get_all(struct api_ctx *c) { members_get(c, kind, 1); } \
	static void prefix##_add(struct api_ctx *c) { members_add(c, kind); } \
	static void prefix##_edit(struct api_ctx *c) { members_edit(c, kind); } \
	static void prefix##_remove(struct api_ctx *c) { members_remove(c, kind); }

MEMBER_HANDLERS(project_members, MEMBER_PROJECT)
MEMBER_HANDLERS(group_members, MEMBER_NAMESPACE)

const struct api_endpoint api_member_endpoints[] = {
	{ "GET", "/projects/:id/members/all", project_members_list_all, 0 },
	{ "GET", "/projects/:id/members/all/:user_id", project_members_get_all, 0 },
	{ "GET", "/projects/:id/members", project_members_list, 0 },
	{ "GET", "/projects/:id/members/:user_id", project_members_get, 0 },
	{ "POST", "/projects/:id/members", project_members_add, API_AUTH },
	{ "PUT", "/projects/:id/members/:user_id", project_members_edit, API_AUTH },
	{ "DELETE", "/projects/:id/members/:user_id", project_members_remove, API_AUTH },
	{ "GET", "/groups/:id/members/all", group_members_list_all, 0 },
	{ "GET", "/groups/:id/members/all/:user_id", group_members_get_all, 0 },
	{ "GET", "/groups/:id/members", group_members_list, 0 },
	{ "GET", "/groups/:id/members/:user_id", group_members_get, 0 },
	{ "POST", "/groups/:id/members", group_members_add, API_AUTH },
	{ "PUT", "/groups/:id/members/:user_id", group_members_edit, API_AUTH },
	{ "DELETE", "/groups/:id/members/:user_id", group_members_remove, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
