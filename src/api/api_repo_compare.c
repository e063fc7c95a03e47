/* Comparing revisions: GET /repository/compare (from, to, straight) and
 * GET /repository/merge_base (refs[]). */
#include "api_repo.h"
#include "core/err.h"

#include <string.h>

#define MERGE_BASE_REFS_MAX 100

static void compare(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_compare *cmp = NULL;
	struct buf suffix = BUF_INIT;
	const char *from = NULL, *to = NULL;
	int straight = 0, ret;
	json_t *commits, *o;

	if (api_param_required(c, "from", &from) < 0 || api_param_required(c, "to", &to) < 0 ||
	    api_param_bool(c, "straight", &straight) < 0 ||
	    api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	ret = repo_compare(ar.r, from, to, straight, NULL, &cmp);
	if (ret == ERR_INVALID)
		ret = ERR_NOTFOUND;
	if (ret < 0) {
		api_repo_fail(&ar, ret, "Ref", NULL);
		goto out;
	}
	commits = json_array();
	for (size_t i = 0; cmp->commits && i < cmp->commits->nr; i++)
		json_array_append_new(commits, api_commit_json(&ar, &cmp->commits->v[i]));
	buf_addf(&suffix, "/-/compare/%s...%s", from, to);
	o = json_pack("{s:o, s:o, s:o, s:b, s:b, s:o}",
		      "commit", cmp->commit ? api_commit_json(&ar, cmp->commit) : json_null(),
		      "commits", commits, "diffs", api_diffs_json(cmp->diffs, 0, SIZE_MAX),
		      "compare_timeout", 0, "compare_same_ref", cmp->same_ref,
		      "web_url", api_repo_web_url(&ar, suffix.ptr));
	api_json(c, 200, o);
out:
	buf_release(&suffix);
	repo_compare_free(cmp);
	api_repo_close(&ar);
}

/* refs[] as strings; 400 unless there are 2..MERGE_BASE_REFS_MAX. */
static int refs_param(struct api_ctx *c, const char **revs, size_t *n_out)
{
	json_t *v = json_object_get(c->params, "refs");
	size_t n = json_is_array(v) ? json_array_size(v) : json_is_string(v) ? 1 : 0;

	if (n < 2) {
		api_message(c, 400, "Provide at least 2 refs");
		return ERR_INVALID;
	}
	if (n > MERGE_BASE_REFS_MAX) {
		api_message(c, 400, "Provide at most 100 refs");
		return ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		revs[i] = json_string_value(json_array_get(v, i));
		if (!revs[i]) {
			api_error(c, 400, "refs is invalid");
			return ERR_INVALID;
		}
	}
	*n_out = n;
	return 0;
}

static void merge_base(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	const char *revs[MERGE_BASE_REFS_MAX];
	struct repo_commit *rc = NULL;
	struct buf msg = BUF_INIT_MAX(512);
	char sha[REPO_OID_HEX], base[REPO_OID_HEX];
	size_t n = 0;
	int ret;

	if (refs_param(c, revs, &n) < 0 || api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (repo_resolve_commit(ar.r, revs[i], sha) < 0) {
			buf_addstr(&msg, "Could not find ref: ");
			buf_add_quoted(&msg, revs[i], strlen(revs[i]), 255);
			api_message(c, 404, msg.ptr);
			goto out;
		}
	}
	ret = repo_merge_base(ar.r, revs, n, base);
	if (ret == 0)
		ret = repo_commit_get(ar.r, base, 0, &rc);
	if (ret < 0)
		api_repo_fail(&ar, ret, "Merge Base", NULL);
	else
		api_json(c, 200, api_commit_json(&ar, rc));
out:
	repo_commit_free(rc);
	buf_release(&msg);
	api_repo_close(&ar);
}

const struct api_endpoint api_repo_compare_endpoints[] = {
	{ "GET", "/projects/:id/repository/compare", compare, 0 },
	{ "GET", "/projects/:id/repository/merge_base", merge_base, 0 },
	{ NULL, NULL, NULL, 0 },
};
