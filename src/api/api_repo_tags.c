/* Tags: list (newest commit first or by name), get, create lightweight or
 * annotated, delete. */
#include "api_repo.h"
#include "auth/push_rules.h"
#include "core/err.h"
#include "model/project.h"

#include <string.h>

static json_t *tag_json(struct api_repo *ar, const struct repo_tag *t)
{
	json_t *o = json_pack("{s:s, s:o, s:s, s:o, s:n, s:b, s:n}", "name", t->name,
			      "message", api_str(t->message), "target", t->target,
			      "commit", t->has_commit ? api_commit_json(ar, &t->commit) : json_null(),
			      "release", "protected", 0, "created_at");

	return o;
}

static void tags_list(struct api_ctx *c)
{
	static const char *const orders[] = { "updated", "name", "version", NULL };
	static const char *const sorts[] = { "asc", "desc", NULL };
	struct api_repo ar = API_REPO_INIT;
	struct repo_tag_list *l = NULL;
	struct api_page pg;
	const char *search = NULL, *order = "updated", *sort = NULL;
	json_t *items;
	int ret;

	if (api_page_parse(c, &pg) < 0 || api_param_str(c, "search", &search) < 0 ||
	    api_param_enum(c, "order_by", orders, &order) < 0 ||
	    api_param_enum(c, "sort", sorts, &sort) < 0 ||
	    api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	ret = repo_tag_list(ar.r, search, strcmp(order, "updated") ? REPO_TAG_BY_NAME
								   : REPO_TAG_BY_UPDATED,
			    (size_t)api_page_offset(&pg), (size_t)pg.per_page, &l);
	if (ret < 0) {
		api_repo_fail(&ar, ret, "Tag", NULL);
		goto out;
	}
	items = json_array();
	for (size_t i = 0; i < l->nr; i++)
		json_array_append_new(items, tag_json(&ar, &l->v[i]));
	api_page_respond(c, &pg, (int64_t)l->total, items);
out:
	repo_tag_list_free(l);
	api_repo_close(&ar);
}

static void tag_answer(struct api_repo *ar, const char *name, int status)
{
	struct repo_tag *t = NULL;
	int ret = repo_tag_get(ar->r, name, &t);

	if (ret == ERR_INVALID)
		ret = ERR_NOTFOUND;
	if (ret < 0)
		api_repo_fail(ar, ret, "Tag", NULL);
	else
		api_json(ar->c, status, tag_json(ar, t));
	repo_tag_free(t);
}

static void tags_get(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;

	if (api_repo_open(c, &ar, API_REPO_READ) == 0)
		tag_answer(&ar, api_arg(c, 1), 200);
	api_repo_close(&ar);
}

static int tag_name_ok(const char *name)
{
	struct buf full = BUF_INIT;
	int ok;

	buf_addf(&full, "refs/tags/%s", name);
	ok = repo_tag_name_check(name) == 0 && !push_rule_name_harmful(full.ptr);
	buf_release(&full);
	return ok;
}

static void tags_create(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_ident who;
	struct buf msg = BUF_INIT_MAX(1024);
	const char *name = NULL, *ref = NULL, *message = NULL;
	int ret;

	if (api_param_required(c, "tag_name", &name) < 0 ||
	    api_param_required(c, "ref", &ref) < 0 || api_param_str(c, "message", &message) < 0 ||
	    api_repo_open(c, &ar, API_REPO_WRITE) < 0)
		goto out;
	if (!tag_name_ok(name)) {
		api_message(c, 400, "Tag name invalid");
		goto out;
	}
	if (message && strlen(message) > REPO_MESSAGE_MAX) {
		api_message(c, 413, "413 Request Entity Too Large");
		goto out;
	}
	api_repo_ident(&ar, &who);
	ret = repo_tag_create(ar.r, name, ref, message, &who, NULL);
	if (ret == ERR_EXISTS) {
		buf_addstr(&msg, "Tag ");
		buf_add_quoted(&msg, name, strlen(name), 255);
		buf_addstr(&msg, " already exists");
		api_message(c, 400, msg.ptr);
	} else if ((ret == ERR_NOTFOUND || ret == ERR_INVALID) && !ar.refused) {
		buf_addstr(&msg, "Target ");
		buf_add_quoted(&msg, ref, strlen(ref), 255);
		buf_addstr(&msg, " is invalid");
		api_message(c, 400, msg.ptr);
	} else if (ret < 0) {
		api_repo_fail(&ar, ret, "Tag", NULL);
	} else {
		tag_answer(&ar, name, 201);
	}
out:
	buf_release(&msg);
	api_repo_close(&ar);
}

static void tags_delete(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	int ret;

	if (api_repo_open(c, &ar, API_REPO_WRITE) < 0)
		goto out;
	ret = repo_tag_delete(ar.r, api_arg(c, 1), NULL);
	api_project_refs_changed(ar.p->id);
	if (ret == ERR_INVALID)
		ret = ERR_NOTFOUND;
	if (ret < 0)
		api_repo_fail(&ar, ret, "Tag", NULL);
	else
		api_no_content(c);
out:
	api_repo_close(&ar);
}

const struct api_endpoint api_repo_tag_endpoints[] = {
	{ "GET", "/projects/:id/repository/tags", tags_list, 0 },
	{ "POST", "/projects/:id/repository/tags", tags_create, API_AUTH },
	{ "GET", "/projects/:id/repository/tags/:tag_name", tags_get, 0 },
	{ "DELETE", "/projects/:id/repository/tags/:tag_name", tags_delete, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
