/* Deploy keys: SSH keys enabled per project (read-only or with push),
 * managed by Maintainers; administrators list all of them. Stored now for
 * the SSH transport. */
#include "api_ctx.h"
#include "api_keys.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"
#include "model/deploy_key.h"
#include "model/member.h"
#include "model/names.h"
#include "model/project.h"
#include "model/ssh_key.h"

#include <string.h>

#define LINKS_SHOWN 100

static json_t *deploy_key_json(const struct ssh_key *k)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:s, s:o, s:o}", "id", (json_int_t)k->id,
			 "title", k->title, "key", k->key, "fingerprint", api_str(k->fingerprint_md5),
			 "fingerprint_sha256", k->fingerprint_sha256,
			 "created_at", api_time(k->created_at), "expires_at", api_time(k->expires_at));
}

static json_t *deploy_key_in_project(const struct ssh_key *k, const struct deploy_key_link *l)
{
	json_t *o = deploy_key_json(k);

	json_object_set_new(o, "can_push", json_boolean(l->can_push));
	return o;
}

static int link_json_add(const struct deploy_key_link *l, void *ctx)
{
	json_array_append_new(ctx, json_pack("{s:I, s:I, s:I, s:b, s:o}", "id", (json_int_t)l->id,
					     "deploy_key_id", (json_int_t)l->deploy_key_id,
					     "project_id", (json_int_t)l->project_id,
					     "can_push", l->can_push,
					     "created_at", api_time(l->created_at)));
	return 0;
}

json_t *api_deploy_key_projects(struct api_ctx *c, int64_t key_id)
{
	json_t *a = json_array();

	if (deploy_key_links(c->db, key_id, LINKS_SHOWN, link_json_add, a) < 0)
		json_array_clear(a);
	return a;
}

static int dk_project(struct api_ctx *c, struct project **out)
{
	struct project *p = NULL;
	int level = 0;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return ERR_NOTFOUND;
	if (api_require_level(c, level, ACCESS_MAINTAINER) < 0) {
		project_free(p);
		return ERR_DENIED;
	}
	*out = p;
	return 0;
}

/* A deploy key linked to the project, by the id in argument 1. */
static int dk_find(struct api_ctx *c, const struct project *p, struct ssh_key **k_out,
		   struct deploy_key_link *l_out)
{
	struct ssh_key *k = NULL;
	uint64_t id = 0;
	int ret = parse_u64(api_arg(c, 1), INT64_MAX, &id) == 0 && id ?
		deploy_key_link_find(c->db, p->id, (int64_t)id, l_out) : ERR_NOTFOUND;

	if (ret == 0)
		ret = ssh_key_find(c->db, (int64_t)id, &k);
	if (ret < 0) {
		api_fail(c, ret, "Deploy key", NULL);
		return ret;
	}
	*k_out = k;
	return 0;
}

struct dk_page {
	json_t *items;
};

static int dk_page_add(const struct ssh_key *k, const struct deploy_key_link *l, void *ctx)
{
	json_array_append_new(ctx, deploy_key_in_project(k, l));
	return 0;
}

static void dk_list(struct api_ctx *c)
{
	struct project *p = NULL;
	struct api_page pg;
	int64_t total = 0;
	json_t *items;
	int ret;

	if (dk_project(c, &p) < 0)
		return;
	if (api_page_parse(c, &pg) == 0) {
		ret = deploy_key_project_count(c->db, p->id, &total);
		items = json_array();
		if (ret == 0)
			ret = deploy_key_project_list(c->db, p->id, api_page_offset(&pg), pg.per_page,
						      dk_page_add, items);
		if (ret < 0) {
			json_decref(items);
			api_fail(c, ret, NULL, NULL);
		} else {
			api_page_respond(c, &pg, total, items);
		}
	}
	project_free(p);
}

static void dk_get(struct api_ctx *c)
{
	struct project *p = NULL;
	struct ssh_key *k = NULL;
	struct deploy_key_link l;

	if (dk_project(c, &p) < 0)
		return;
	if (dk_find(c, p, &k, &l) == 0)
		api_json(c, 200, deploy_key_in_project(k, &l));
	ssh_key_free(k);
	project_free(p);
}

struct access_check {
	struct api_ctx *c;
	int allowed;
};

static int link_maintained(const struct deploy_key_link *l, void *ctx)
{
	struct access_check *ac = ctx;
	struct project *p = NULL;
	int level = 0;

	if (project_find(ac->c->db, l->project_id, &p) == 0 &&
	    member_project_level(ac->c->db, p->id, p->namespace_id, api_user_id(ac->c), &level) == 0 &&
	    level >= ACCESS_MAINTAINER)
		ac->allowed = 1;
	project_free(p);
	return ac->allowed;
}

/* GitLab's accessible_deploy_keys: a key already enabled in a project the
 * caller maintains (administrators: any). */
static int key_accessible(struct api_ctx *c, int64_t key_id)
{
	struct access_check ac = { c, api_is_admin(c) };
	json_t *a, *e;
	size_t i;

	if (ac.allowed)
		return 1;
	/* Collect first, then look the projects up: one statement at a time. */
	a = json_array();
	if (deploy_key_links(c->db, key_id, LINKS_SHOWN, link_json_add, a) == 0) {
		json_array_foreach(a, i, e) {
			struct deploy_key_link l = { 0 };

			l.project_id = json_integer_value(json_object_get(e, "project_id"));
			if (link_maintained(&l, &ac))
				break;
		}
	}
	json_decref(a);
	return ac.allowed;
}

static void dk_answer(struct api_ctx *c, const struct project *p, int64_t key_id, int status)
{
	struct ssh_key *k = NULL;
	struct deploy_key_link l;
	int ret = deploy_key_link_find(c->db, p->id, key_id, &l);

	if (ret == 0)
		ret = ssh_key_find(c->db, key_id, &k);
	if (ret < 0)
		api_fail(c, ret, "Deploy key", NULL);
	else
		api_json(c, status, deploy_key_in_project(k, &l));
	ssh_key_free(k);
}

static void dk_add(struct api_ctx *c)
{
	struct ssh_key_req r = { "deploy", 0, NULL, NULL, NULL, 0 };
	struct buf err = BUF_INIT_MAX(512), norm = BUF_INIT_MAX(SSH_KEY_TEXT_MAX + 16);
	struct buf sha = BUF_INIT, md5 = BUF_INIT;
	struct ssh_key_info info = { .normalised = &norm, .sha256 = &sha, .md5 = &md5 };
	struct ssh_key *old = NULL;
	struct project *p = NULL;
	int64_t id = 0;
	int can_push = 0, ret;

	if (dk_project(c, &p) < 0)
		return;
	if (api_param_required(c, "key", &r.key) < 0 ||
	    api_param_required(c, "title", &r.title) < 0 ||
	    api_param_bool(c, "can_push", &can_push) < 0 ||
	    api_param_datetime(c, "expires_at", &r.expires_at) < 0)
		goto out;
	/* The same key again: enabled here already, or reused from a project
	 * the caller maintains, as GitLab does. */
	ret = ssh_key_parse(r.key, &info, &err);
	if (ret == 0 && ssh_key_find_by_fingerprint(c->db, sha.ptr, &old) == 0 &&
	    !strcmp(old->kind, "deploy")) {
		struct deploy_key_link l;

		if (deploy_key_link_find(c->db, p->id, old->id, &l) == 0 ||
		    (key_accessible(c, old->id) && deploy_key_link(c->db, old->id, p->id, can_push) == 0)) {
			dk_answer(c, p, old->id, 201);
			goto out;
		}
	}
	buf_reset(&err);
	ret = deploy_key_create(c->db, &r, p->id, can_push, &id, &err);
	if (ret == ERR_EXISTS)	/* GitLab's uniqueness validation: 400 */
		api_field_error(c, "fingerprint_sha256", "has already been taken");
	else if (ret < 0)
		api_fail(c, ret, "Deploy key", &err);
	else
		dk_answer(c, p, id, 201);
out:
	ssh_key_free(old);
	buf_release(&err);
	buf_release(&norm);
	buf_release(&sha);
	buf_release(&md5);
	project_free(p);
}

static void dk_update(struct api_ctx *c)
{
	struct project *p = NULL;
	struct ssh_key *k = NULL;
	struct deploy_key_link l;
	struct buf err = BUF_INIT_MAX(512);
	const char *title = NULL;
	int can_push, ret;

	if (dk_project(c, &p) < 0)
		return;
	if (dk_find(c, p, &k, &l) < 0)
		goto out;
	can_push = l.can_push;
	if (api_param_str(c, "title", &title) < 0 || api_param_bool(c, "can_push", &can_push) < 0)
		goto out;
	ret = title ? names_check_display(title, "title", &err) : 0;
	if (ret == 0 && title)
		ret = ssh_key_update(c->db, k->id, title);
	if (ret == 0)
		ret = deploy_key_link_update(c->db, p->id, k->id, can_push);
	if (ret < 0)
		api_fail(c, ret, "Deploy key", &err);
	else
		dk_answer(c, p, k->id, 200);
out:
	buf_release(&err);
	ssh_key_free(k);
	project_free(p);
}

static void dk_delete(struct api_ctx *c)
{
	struct project *p = NULL;
	struct ssh_key *k = NULL;
	struct deploy_key_link l;
	int ret;

	if (dk_project(c, &p) < 0)
		return;
	if (dk_find(c, p, &k, &l) == 0) {
		ret = deploy_key_unlink(c->db, p->id, k->id);
		if (ret < 0)
			api_fail(c, ret, "Deploy key", NULL);
		else
			api_no_content(c);
	}
	ssh_key_free(k);
	project_free(p);
}

static void dk_enable(struct api_ctx *c)
{
	struct project *p = NULL;
	struct ssh_key *k = NULL;
	uint64_t id = 0;
	int ret;

	if (dk_project(c, &p) < 0)
		return;
	ret = parse_u64(api_arg(c, 1), INT64_MAX, &id) == 0 && id ?
		ssh_key_find(c->db, (int64_t)id, &k) : ERR_NOTFOUND;
	if (ret == 0 && (strcmp(k->kind, "deploy") || !key_accessible(c, k->id)))
		ret = ERR_NOTFOUND;
	if (ret == 0) {
		ret = deploy_key_link(c->db, k->id, p->id, 0);
		if (ret == ERR_EXISTS)
			ret = 0;
	}
	if (ret < 0)
		api_fail(c, ret, "Deploy Key", NULL);
	else
		dk_answer(c, p, k->id, 201);
	ssh_key_free(k);
	project_free(p);
}

static int admin_page_add(const struct ssh_key *k, void *ctx)
{
	struct dk_page *dp = ctx;

	json_array_append_new(dp->items, deploy_key_json(k));
	return 0;
}

static void dk_admin_list(struct api_ctx *c)
{
	struct dk_page dp = { NULL };
	struct api_page pg;
	int64_t total = 0;
	size_t i;
	json_t *e;
	int ret;

	if (api_page_parse(c, &pg) < 0)
		return;
	ret = ssh_key_count(c->db, "deploy", 0, &total);
	dp.items = json_array();
	if (ret == 0)
		ret = ssh_key_list(c->db, "deploy", 0, api_page_offset(&pg), pg.per_page,
				   admin_page_add, &dp);
	if (ret < 0) {
		json_decref(dp.items);
		api_fail(c, ret, NULL, NULL);
		return;
	}
	json_array_foreach(dp.items, i, e) {
		json_t *links = api_deploy_key_projects(c, json_integer_value(json_object_get(e, "id")));
		json_t *write = json_array(), *l;
		size_t j;

		json_array_foreach(links, j, l)
			if (json_is_true(json_object_get(l, "can_push")))
				json_array_append(write, json_object_get(l, "project_id"));
		json_object_set_new(e, "projects_with_write_access", write);
		json_object_set_new(e, "deploy_keys_projects", links);
	}
	api_page_respond(c, &pg, total, dp.items);
}

const struct api_endpoint api_deploy_key_endpoints[] = {
	{ "GET", "/deploy_keys", dk_admin_list, API_ADMIN },
	{ "GET", "/projects/:id/deploy_keys", dk_list, 0 },
	{ "POST", "/projects/:id/deploy_keys", dk_add, API_AUTH },
	{ "GET", "/projects/:id/deploy_keys/:key_id", dk_get, 0 },
	{ "PUT", "/projects/:id/deploy_keys/:key_id", dk_update, API_AUTH },
	{ "DELETE", "/projects/:id/deploy_keys/:key_id", dk_delete, API_AUTH },
	{ "POST", "/projects/:id/deploy_keys/:key_id/enable", dk_enable, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
