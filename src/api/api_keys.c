/* Users' SSH keys: their own under /user/keys, anyone's (public) under
 * /users/:id/keys, added and removed there by administrators, and a key
 * with its owner by id or (administrators) by fingerprint. */
#include "api_ctx.h"
#include "api_keys.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"
#include "model/deploy_key.h"
#include "model/ssh_key.h"
#include "model/user.h"

#include <string.h>

json_t *api_ssh_key_json(const struct ssh_key *k)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:s}", "id", (json_int_t)k->id,
			 "title", k->title, "key", k->key, "created_at", api_time(k->created_at),
			 "expires_at", api_time(k->expires_at), "usage_type", k->usage_type);
}

static int key_page_add(const struct ssh_key *k, void *ctx)
{
	json_array_append_new(ctx, api_ssh_key_json(k));
	return 0;
}

static void keys_list_of(struct api_ctx *c, int64_t user_id)
{
	struct api_page pg;
	int64_t total = 0;
	json_t *items;
	int ret;

	if (api_page_parse(c, &pg) < 0)
		return;
	ret = ssh_key_count(c->db, "user", user_id, &total);
	items = json_array();
	if (ret == 0)
		ret = ssh_key_list(c->db, "user", user_id, api_page_offset(&pg), pg.per_page,
				   key_page_add, items);
	if (ret < 0) {
		json_decref(items);
		api_fail(c, ret, NULL, NULL);
		return;
	}
	api_page_respond(c, &pg, total, items);
}

/* The key of user_id with id key_arg, else 404 "Key Not Found". */
static int key_of(struct api_ctx *c, int64_t user_id, const char *key_arg, struct ssh_key **out)
{
	struct ssh_key *k = NULL;
	uint64_t id = 0;
	int ret = parse_u64(key_arg, INT64_MAX, &id) == 0 && id ?
		ssh_key_find(c->db, (int64_t)id, &k) : ERR_NOTFOUND;

	if (ret == 0 && (strcmp(k->kind, "user") || k->user_id != user_id))
		ret = ERR_NOTFOUND;
	if (ret < 0) {
		ssh_key_free(k);
		api_fail(c, ret, "Key", NULL);
		return ret;
	}
	*out = k;
	return 0;
}

static void key_add_for(struct api_ctx *c, int64_t user_id)
{
	struct ssh_key_req r = { "user", user_id, NULL, NULL, NULL, 0 };
	struct buf err = BUF_INIT_MAX(512);
	struct ssh_key *k = NULL;
	int64_t id = 0;
	int ret;

	if (api_param_required(c, "title", &r.title) < 0 ||
	    api_param_required(c, "key", &r.key) < 0 ||
	    api_param_str(c, "usage_type", &r.usage_type) < 0 ||
	    api_param_datetime(c, "expires_at", &r.expires_at) < 0)
		goto out;
	ret = ssh_key_create(c->db, &r, &id, &err);
	if (ret == 0)
		ret = ssh_key_find(c->db, id, &k);
	if (ret == ERR_EXISTS)	/* GitLab's uniqueness validation: 400 */
		api_field_error(c, "fingerprint_sha256", "has already been taken");
	else if (ret < 0)
		api_fail(c, ret, "Key", &err);
	else
		api_json(c, 201, api_ssh_key_json(k));
out:
	ssh_key_free(k);
	buf_release(&err);
}

static void key_get_of(struct api_ctx *c, int64_t user_id, const char *key_arg)
{
	struct ssh_key *k = NULL;

	if (key_of(c, user_id, key_arg, &k) < 0)
		return;
	api_json(c, 200, api_ssh_key_json(k));
	ssh_key_free(k);
}

static void key_delete_of(struct api_ctx *c, int64_t user_id, const char *key_arg)
{
	struct ssh_key *k = NULL;
	int ret;

	if (key_of(c, user_id, key_arg, &k) < 0)
		return;
	ret = ssh_key_delete(c->db, k->id);
	if (ret < 0)
		api_fail(c, ret, "Key", NULL);
	else
		api_no_content(c);
	ssh_key_free(k);
}

static void self_keys_list(struct api_ctx *c)
{
	keys_list_of(c, api_user_id(c));
}

static void self_key_add(struct api_ctx *c)
{
	key_add_for(c, api_user_id(c));
}

static void self_key_get(struct api_ctx *c)
{
	key_get_of(c, api_user_id(c), api_arg(c, 0));
}

static void self_key_delete(struct api_ctx *c)
{
	key_delete_of(c, api_user_id(c), api_arg(c, 0));
}

/* The user named by the first argument; keys are public, as on GitLab. */
static int user_arg(struct api_ctx *c, int64_t *id_out)
{
	struct user *u = NULL;

	if (api_user_find(c, api_arg(c, 0), &u) < 0)
		return ERR_NOTFOUND;
	*id_out = u->id;
	user_free(u);
	return 0;
}

static void user_keys_list(struct api_ctx *c)
{
	int64_t uid = 0;

	if (user_arg(c, &uid) == 0)
		keys_list_of(c, uid);
}

static void user_key_add(struct api_ctx *c)
{
	int64_t uid = 0;

	if (user_arg(c, &uid) == 0)
		key_add_for(c, uid);
}

static void user_key_get(struct api_ctx *c)
{
	int64_t uid = 0;

	if (user_arg(c, &uid) == 0)
		key_get_of(c, uid, api_arg(c, 1));
}

static void user_key_delete(struct api_ctx *c)
{
	int64_t uid = 0;

	if (user_arg(c, &uid) == 0)
		key_delete_of(c, uid, api_arg(c, 1));
}

/* A key with its owner: the user for user keys, the projects for deploy keys. */
static json_t *key_with_owner(struct api_ctx *c, const struct ssh_key *k)
{
	json_t *o = api_ssh_key_json(k);
	struct user *u = NULL;

	if (!strcmp(k->kind, "deploy")) {
		json_object_set_new(o, "user", json_null());
		json_object_set_new(o, "deploy_keys_projects", api_deploy_key_projects(c, k->id));
	} else if (user_find(c->db, k->user_id, &u) == 0) {
		json_object_set_new(o, "user", api_user_json(c, u));
	} else {
		json_object_set_new(o, "user", json_null());
	}
	json_object_set_new(o, "fingerprint", api_str(k->fingerprint_md5));
	json_object_set_new(o, "fingerprint_sha256", json_string(k->fingerprint_sha256));
	user_free(u);
	return o;
}

static void keys_get(struct api_ctx *c)
{
	struct ssh_key *k = NULL;
	uint64_t id = 0;
	int ret = parse_u64(api_arg(c, 0), INT64_MAX, &id) == 0 && id ?
		ssh_key_find(c->db, (int64_t)id, &k) : ERR_NOTFOUND;

	/* Other people's keys are public; deploy keys are administrators'. */
	if (ret == 0 && !strcmp(k->kind, "deploy") && !api_is_admin(c))
		ret = ERR_NOTFOUND;
	if (ret < 0)
		api_fail(c, ret, "Key", NULL);
	else
		api_json(c, 200, key_with_owner(c, k));
	ssh_key_free(k);
}

static void keys_by_fingerprint(struct api_ctx *c)
{
	struct ssh_key *k = NULL;
	const char *fp = NULL;
	int ret;

	if (api_param_required(c, "fingerprint", &fp) < 0)
		return;
	ret = ssh_key_find_by_fingerprint(c->db, fp, &k);
	if (ret < 0)
		api_fail(c, ret, "Key", NULL);
	else
		api_json(c, 200, key_with_owner(c, k));
	ssh_key_free(k);
}

const struct api_endpoint api_key_endpoints[] = {
	{ "GET", "/user/keys", self_keys_list, API_AUTH | API_READ_USER },
	{ "POST", "/user/keys", self_key_add, API_AUTH },
	{ "GET", "/user/keys/:key_id", self_key_get, API_AUTH | API_READ_USER },
	{ "DELETE", "/user/keys/:key_id", self_key_delete, API_AUTH },
	{ "GET", "/users/:id/keys", user_keys_list, API_READ_USER },
	{ "POST", "/users/:id/keys", user_key_add, API_ADMIN },
	{ "GET", "/users/:id/keys/:key_id", user_key_get, API_READ_USER },
	{ "DELETE", "/users/:id/keys/:key_id", user_key_delete, API_ADMIN },
	{ "GET", "/keys", keys_by_fingerprint, API_ADMIN },
	{ "GET", "/keys/:id", keys_get, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
