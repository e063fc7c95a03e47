/* Users: GET /user, the admin user API (list, create, edit, delete, block),
 * and a user's personal projects. */
#include "api_ctx.h"
#include "core/buf.h"
#include "core/err.h"
#include "app.h"
#include "jobs/notify.h"
#include "model/project_list.h"
#include "model/user.h"
#include "model/user_admin.h"

#include <string.h>

static void user_self(struct api_ctx *c)
{
	api_json(c, 200, api_user_json(c, c->who.user));
}

struct user_page {
	struct api_ctx *c;
	json_t *items;
};

static int user_page_add(const struct user *u, void *ctx)
{
	struct user_page *up = ctx;

	json_array_append_new(up->items, api_user_json(up->c, u));
	return 0;
}

static void users_list(struct api_ctx *c)
{
	static const char *const orders[] = { "id", "name", "username", "created_at",
					      "updated_at", NULL };
	static const char *const sorts[] = { "asc", "desc", NULL };
	struct user_filter f = { 0 };
	struct user_page up = { c, NULL };
	struct api_page pg;
	const char *sort = "desc";
	int64_t total = 0;
	int blocked = 0, active = 0, ret;

	if (api_page_parse(c, &pg) < 0 || api_param_str(c, "username", &f.username) < 0 ||
	    api_param_str(c, "search", &f.search) < 0 ||
	    api_param_bool(c, "blocked", &blocked) < 0 || api_param_bool(c, "active", &active) < 0 ||
	    api_param_enum(c, "order_by", orders, &f.order_by) < 0 ||
	    api_param_enum(c, "sort", sorts, &sort) < 0)
		return;
	f.search_email = api_is_admin(c);
	f.state = blocked ? "blocked" : active ? "active" : NULL;
	f.sort_asc = !strcmp(sort, "asc");
	ret = user_query_count(c->db, &f, &total);
	up.items = json_array();
	if (ret == 0)
		ret = user_query(c->db, &f, api_page_offset(&pg), pg.per_page, user_page_add, &up);
	if (ret < 0) {
		json_decref(up.items);
		api_fail(c, ret, NULL, NULL);
		return;
	}
	api_page_respond(c, &pg, total, up.items);
}

static int user_exists(struct api_ctx *c, const char *login)
{
	struct user *u = NULL;
	int ret = user_find_by_login(c->db, login, &u);

	user_free(u);
	return ret == 0;
}

static void users_create(struct api_ctx *c)
{
	struct user_req req = { 0 };
	struct buf err = BUF_INIT_MAX(512);
	struct user *u = NULL;
	int64_t id = 0;
	int admin = 0, random_pw = 0, reset_pw = 0, ret;

	if (api_param_required(c, "email", &req.email) < 0 ||
	    api_param_required(c, "username", &req.username) < 0 ||
	    api_param_required(c, "name", &req.name) < 0 ||
	    api_param_str(c, "password", &req.password) < 0 ||
	    api_param_bool(c, "admin", &admin) < 0 ||
	    api_param_bool(c, "force_random_password", &random_pw) < 0 ||
	    api_param_bool(c, "reset_password", &reset_pw) < 0)
		goto out;
	if (!req.password && !random_pw && !reset_pw) {
		api_error(c, 400, "password, reset_password, force_random_password are missing,"
			  " at least one parameter must be provided");
		goto out;
	}
	if (user_exists(c, req.email)) {
		api_message(c, 409, "Email has already been taken");
		goto out;
	}
	if (user_exists(c, req.username)) {
		api_message(c, 409, "Username has already been taken");
		goto out;
	}
	req.is_admin = admin;
	ret = user_create(c->db, &req, &id, &err);
	if (ret == 0)	/* welcome, with a set-password link when it has none */
		(void)notify_user_created(c->db, &c->app->cfg, id);
	if (ret == 0)
		ret = user_find(c->db, id, &u);
	if (ret < 0)
		api_fail(c, ret, "User", &err);
	else
		api_json(c, 201, api_user_json(c, u));
out:
	user_free(u);
	buf_release(&err);
}

static void users_get(struct api_ctx *c)
{
	struct user *u = NULL;

	if (api_user_find(c, api_arg(c, 0), &u) < 0)
		return;
	api_json(c, 200, api_user_json(c, u));
	user_free(u);
}

static void users_update(struct api_ctx *c)
{
	struct user_update up = { NULL, NULL, -1 };
	struct buf err = BUF_INIT_MAX(512);
	struct user *u = NULL, *after = NULL;
	const char *password = NULL;
	int ret;

	if (api_user_find(c, api_arg(c, 0), &u) < 0)
		return;
	if (api_param_str(c, "name", &up.name) < 0 || api_param_str(c, "email", &up.email) < 0 ||
	    api_param_bool(c, "admin", &up.is_admin) < 0 ||
	    api_param_str(c, "password", &password) < 0)
		goto out;
	ret = user_update(c->db, u->id, &up, &err);
	if (ret == 0 && password)
		ret = user_set_password(c->db, u->id, password, &err);
	if (ret == 0)
		ret = user_find(c->db, u->id, &after);
	if (ret == ERR_EXISTS)
		api_message(c, 409, "Email has already been taken");
	else if (ret < 0)
		api_fail(c, ret, "User", &err);
	else
		api_json(c, 200, api_user_json(c, after));
out:
	user_free(u);
	user_free(after);
	buf_release(&err);
}

static void users_delete(struct api_ctx *c)
{
	struct user *u = NULL;
	int ret;

	if (api_user_find(c, api_arg(c, 0), &u) < 0)
		return;
	ret = u->id == api_user_id(c) ? ERR_DENIED : user_delete(c->db, u->id);
	if (ret < 0)
		api_fail(c, ret, "User", NULL);
	else
		api_no_content(c);
	user_free(u);
}

static void users_set_state(struct api_ctx *c, const char *state)
{
	struct user *u = NULL;
	int ret;

	if (api_user_find(c, api_arg(c, 0), &u) < 0)
		return;
	/* An administrator blocking themself would lock the instance out. */
	ret = u->id == api_user_id(c) ? ERR_DENIED : user_set_state(c->db, u->id, state);
	if (ret < 0)
		api_fail(c, ret, "User", NULL);
	else
		api_json(c, 201, json_true());
	user_free(u);
}

static void users_block(struct api_ctx *c)
{
	users_set_state(c, "blocked");
}

static void users_unblock(struct api_ctx *c)
{
	users_set_state(c, "active");
}

static void users_projects(struct api_ctx *c)
{
	struct project_filter f = PROJECT_FILTER_INIT;
	struct user *u = NULL;

	if (api_user_find(c, api_arg(c, 0), &u) < 0)
		return;
	f.personal_of = u->id;
	user_free(u);
	api_project_list(c, &f);
}

const struct api_endpoint api_user_endpoints[] = {
	{ "GET", "/user", user_self, API_AUTH | API_READ_USER },
	{ "GET", "/users", users_list, API_AUTH | API_READ_USER },
	{ "POST", "/users", users_create, API_ADMIN },
	{ "GET", "/users/:id", users_get, API_READ_USER },
	{ "PUT", "/users/:id", users_update, API_ADMIN },
	{ "DELETE", "/users/:id", users_delete, API_ADMIN },
	{ "POST", "/users/:id/block", users_block, API_ADMIN },
	{ "POST", "/users/:id/unblock", users_unblock, API_ADMIN },
	{ "GET", "/users/:id/projects", users_projects, 0 },
	{ NULL, NULL, NULL, 0 },
};
