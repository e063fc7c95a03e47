/* Branches: list with search, get, create from a ref (an empty repository
 * first gets its default branch, as GitLab does), delete, and delete the
 * branches merged into the default branch. */
#include "api_repo.h"
#include "auth/push_rules.h"
#include "core/err.h"
#include "model/member.h"
#include "model/project.h"

#include <stdlib.h>
#include <string.h>

static json_t *branch_json(struct api_repo *ar, const struct repo_branch *b)
{
	struct api_branch_rules br;
	struct buf suffix = BUF_INIT;
	json_t *o;

	api_branch_rules(ar, b->name, &br);
	buf_addf(&suffix, "/-/tree/%s", b->name);
	o = json_pack("{s:s, s:o, s:b, s:b, s:b, s:b, s:b, s:b, s:o}", "name", b->name,
		      "commit", api_commit_json(ar, &b->commit), "merged", b->merged,
		      "protected", br.protected_, "developers_can_push", br.developers_can_push,
		      "developers_can_merge", br.developers_can_merge, "can_push", br.can_push,
		      "default", b->is_default, "web_url", api_repo_web_url(ar, suffix.ptr));
	buf_release(&suffix);
	return o;
}

static void branches_list(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_branch_list *l = NULL;
	struct api_page pg;
	const char *search = NULL;
	json_t *items;
	int ret;

	if (api_page_parse(c, &pg) < 0 || api_param_str(c, "search", &search) < 0 ||
	    api_repo_open(c, &ar, API_REPO_READ) < 0 || api_repo_load_rules(&ar) < 0)
		goto out;
	ret = repo_branch_list(ar.r, search, (size_t)api_page_offset(&pg), (size_t)pg.per_page,
			       &l);
	if (ret < 0) {
		api_repo_fail(&ar, ret, "Branch", NULL);
		goto out;
	}
	items = json_array();
	for (size_t i = 0; i < l->nr; i++)
		json_array_append_new(items, branch_json(&ar, &l->v[i]));
	api_page_respond(c, &pg, (int64_t)l->total, items);
out:
	repo_branch_list_free(l);
	api_repo_close(&ar);
}

/* Answers the branch as it is now with status. */
static void branch_answer(struct api_repo *ar, const char *name, int status)
{
	struct repo_branch *b = NULL;
	int ret = repo_branch_get(ar->r, name, &b);

	if (ret == ERR_INVALID)
		ret = ERR_NOTFOUND;
	if (ret < 0)
		api_repo_fail(ar, ret, "Branch", NULL);
	else
		api_json(ar->c, status, branch_json(ar, b));
	repo_branch_free(b);
}

static void branches_get(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;

	if (api_repo_open(c, &ar, API_REPO_READ) == 0 && api_repo_load_rules(&ar) == 0)
		branch_answer(&ar, api_arg(c, 1), 200);
	api_repo_close(&ar);
}

static int branch_name_ok(const char *name)
{
	struct buf full = BUF_INIT;
	int ok;

	buf_addf(&full, "refs/heads/%s", name);
	ok = repo_branch_name_check(name) == 0 && !push_rule_name_harmful(full.ptr);
	buf_release(&full);
	return ok;
}

static void branches_create(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_ident who;
	struct buf msg = BUF_INIT_MAX(1024);
	const char *name = NULL, *ref = NULL;
	int ret;

	if (api_param_required(c, "branch", &name) < 0 || api_param_required(c, "ref", &ref) < 0 ||
	    api_repo_open(c, &ar, API_REPO_WRITE) < 0)
		goto out;
	if (!branch_name_ok(name)) {
		api_message(c, 400, "Branch name is invalid");
		goto out;
	}
	api_repo_ident(&ar, &who);
	ret = repo_branch_create(ar.r, name, ref, &who, NULL);
	if (ret == ERR_EXISTS) {
		api_message(c, 400, "Branch already exists");
	} else if ((ret == ERR_NOTFOUND || ret == ERR_INVALID) && !ar.refused) {
		buf_addstr(&msg, "Invalid reference name: ");
		buf_add_quoted(&msg, ref, strlen(ref), 255);
		api_message(c, 400, msg.ptr);
	} else if (ret < 0) {
		api_repo_fail(&ar, ret, "Branch", NULL);
	} else {
		branch_answer(&ar, name, 201);
	}
out:
	buf_release(&msg);
	api_repo_close(&ar);
}

/* Deletes one branch; the default branch stays (GitLab refuses it too). */
static int branch_delete_one(struct api_repo *ar, const char *name)
{
	char *def = NULL;
	int ret;

	if (repo_default_branch(ar->r, &def) == 0 && !strcmp(def, name))
		ret = ERR_EXISTS;
	else
		ret = repo_branch_delete(ar->r, name, NULL, NULL);
	free(def);
	return ret;
}

static void branches_delete(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	const char *name = api_arg(c, 1);
	int ret;

	if (api_repo_open(c, &ar, API_REPO_WRITE) < 0)
		goto out;
	ret = branch_delete_one(&ar, name);
	api_project_refs_changed(ar.p->id);
	if (ret == ERR_INVALID)
		ret = ERR_NOTFOUND;
	if (ret == ERR_EXISTS)
		api_message(c, 400, "The default branch of a project cannot be deleted.");
	else if (ret < 0)
		api_repo_fail(&ar, ret, "Branch", NULL);
	else
		api_no_content(c);
out:
	api_repo_close(&ar);
}

/* Branches merged into the default branch, except the default and
 * protected ones, as GitLab's DeleteMergedBranchesService. Done at once:
 * each deletion is one ref update. */
static void merged_branches_delete(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_branch_list *l = NULL;
	struct api_branch_rules br;
	size_t offset = 0;
	int ret = 0;

	if (api_repo_open(c, &ar, API_REPO_WRITE) < 0)
		goto out;
	for (;;) {
		size_t kept = 0;

		ret = repo_branch_list(ar.r, NULL, offset, 100, &l);
		if (ret < 0 || l->nr == 0)
			break;
		for (size_t i = 0; i < l->nr && ret == 0; i++) {
			api_branch_rules(&ar, l->v[i].name, &br);
			if (!l->v[i].merged || l->v[i].is_default || br.protected_) {
				kept++;
				continue;
			}
			ret = repo_branch_delete(ar.r, l->v[i].name, l->v[i].commit.id, NULL);
			/* Moved or gone meanwhile: someone is using it, keep it. */
			if (ret == ERR_BUSY || ret == ERR_NOTFOUND) {
				kept++;
				ret = 0;
			}
		}
		offset += kept;
		repo_branch_list_free(l);
		l = NULL;
	}
	if (ret < 0)
		api_repo_fail(&ar, ret, "Branch", NULL);
	else
		api_message(c, 202, "202 Accepted");
out:
	repo_branch_list_free(l);
	api_repo_close(&ar);
}

const struct api_endpoint api_repo_branch_endpoints[] = {
	{ "GET", "/projects/:id/repository/branches", branches_list, 0 },
	{ "POST", "/projects/:id/repository/branches", branches_create, API_AUTH },
	{ "GET", "/projects/:id/repository/branches/:branch", branches_get, 0 },
	{ "DELETE", "/projects/:id/repository/branches/:branch", branches_delete, API_AUTH },
	{ "DELETE", "/projects/:id/repository/merged_branches", merged_branches_delete, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
