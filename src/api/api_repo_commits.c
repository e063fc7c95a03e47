/* Commits: list (ref_name, path, since, until, all, first_parent,
 * with_stats), get with stats, create from actions, a commit's diff and the
 * branches and tags that contain it. */
#include "api_repo.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "model/project.h"

#include <stdlib.h>
#include <string.h>

/* "2022-11-28", "2022-11-28T10:00:00Z", "…T10:00:00.123+01:00". */
static int time_param_parse(const char *s, int64_t *out)
{
	char date[11];
	int64_t ms = 0;
	size_t n = strlen(s);
	int h = 0, m = 0, sec = 0, off = 0;
	const char *p = s + 10;

	if (n < 10)
		return ERR_INVALID;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (time_parse_date(date, &ms) < 0)
		return ERR_INVALID;
	if (*p == 'T' || *p == ' ') {
		if (strlen(p) < 9 || p[3] != ':' || p[6] != ':' ||
		    strspn(p + 1, "0123456789") != 2 || strspn(p + 4, "0123456789") != 2 ||
		    strspn(p + 7, "0123456789") != 2)
			return ERR_INVALID;
		h = (p[1] - '0') * 10 + (p[2] - '0');
		m = (p[4] - '0') * 10 + (p[5] - '0');
		sec = (p[7] - '0') * 10 + (p[8] - '0');
		if (h > 23 || m > 59 || sec > 60)
			return ERR_INVALID;
		p += 9;
		if (*p == '.') {
			p++;
			p += strspn(p, "0123456789");
		}
	}
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' &&
	    strspn(p + 1, "0123456789") == 2 && strspn(p + 4, "0123456789") == 2) {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 60 + (p[4] - '0') * 10 + (p[5] - '0');
		if (*p == '+')
			off = -off;
		p += 6;
	} else if (*p == 'Z') {
		p++;
	}
	if (*p)
		return ERR_INVALID;
	*out = ms + ((int64_t)h * 3600 + m * 60 + sec + (int64_t)off * 60) * 1000;
	return 0;
}

static int time_param(struct api_ctx *c, const char *name, int64_t *out)
{
	const char *s = NULL;
	int ret = api_param_str(c, name, &s);

	if (ret <= 0)
		return ret;
	if (time_param_parse(s, out) < 0) {
		api_invalid_value(c, name);
		return ERR_INVALID;
	}
	return 1;
}

/* No ref_name means HEAD. Asked for HEAD first, a repository with history
 * answers without the emptiness check (a walk over every ref) that the
 * default needs; only when HEAD does not resolve does the default decide
 * between an empty list (empty repository) and an error. */
static int commits_log(struct repo *r, struct repo_log_opts *o, struct repo_commit_list **out)
{
	int ret;

	if (o->ref || o->all)
		return repo_commit_log(r, o, out);
	o->ref = "HEAD";
	ret = repo_commit_log(r, o, out);
	o->ref = NULL;
	if (ret == ERR_NOTFOUND || ret == ERR_INVALID)
		ret = repo_commit_log(r, o, out);
	return ret;
}

static void commits_list(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_log_opts o = { 0 };
	struct repo_commit_list *l = NULL;
	struct api_page pg;
	int stats = 0, ret;
	json_t *items;

	if (api_page_parse(c, &pg) < 0 || api_param_str(c, "ref_name", &o.ref) < 0 ||
	    api_param_str(c, "path", &o.path) < 0 || time_param(c, "since", &o.since_ms) < 0 ||
	    time_param(c, "until", &o.until_ms) < 0 || api_param_bool(c, "all", &o.all) < 0 ||
	    api_param_bool(c, "first_parent", &o.first_parent) < 0 ||
	    api_param_bool(c, "with_stats", &stats) < 0 ||
	    api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	if (o.ref && !*o.ref)
		o.ref = NULL;
	if (o.path && !*o.path)
		o.path = NULL;
	o.offset = (size_t)api_page_offset(&pg);
	o.limit = (size_t)pg.per_page;
	o.flags = stats ? REPO_COMMIT_STATS : 0;
	ret = commits_log(ar.r, &o, &l);
	if (ret == ERR_INVALID || ret == ERR_NOTFOUND) {
		/* GitLab: an unknown ref_name is "404 Commit Not Found"... for a
		 * path or ref it cannot read, an empty list is no worse. */
		api_message(c, 404, "404 Commit Not Found");
		goto out;
	}
	if (ret < 0) {
		api_repo_fail(&ar, ret, "Commit", NULL);
		goto out;
	}
	items = json_array();
	for (size_t i = 0; i < l->nr; i++)
		json_array_append_new(items, api_commit_json(&ar, &l->v[i]));
	/* Counting a whole history for X-Total costs a full walk: report what
	 * is known, which still gives a correct next link. */
	api_page_respond(c, &pg, api_page_offset(&pg) + (int64_t)l->nr + (l->more ? 1 : 0),
			 items);
out:
	repo_commit_list_free(l);
	api_repo_close(&ar);
}

static json_t *commit_detail(struct api_repo *ar, const struct repo_commit *rc)
{
	json_t *o = api_commit_json(ar, rc);

	json_object_set_new(o, "status", json_null());
	json_object_set_new(o, "project_id", json_integer(ar->p->id));
	json_object_set_new(o, "last_pipeline", json_null());
	return o;
}

static void commits_get(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_commit *rc = NULL;
	int stats = 1, ret;

	if (api_param_bool(c, "stats", &stats) < 0 || api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	ret = repo_commit_get(ar.r, api_arg(c, 1), stats ? REPO_COMMIT_STATS : 0, &rc);
	if (ret == ERR_INVALID)
		ret = ERR_NOTFOUND;
	if (ret < 0)
		api_repo_fail(&ar, ret, "Commit", NULL);
	else
		api_json(c, 200, commit_detail(&ar, rc));
out:
	repo_commit_free(rc);
	api_repo_close(&ar);
}

/* One element of actions[]; its strings live in params, content in buf. */
static int action_parse(struct api_ctx *c, json_t *a, size_t i, struct repo_action *out,
			struct buf *content)
{
	const char *kind = json_string_value(json_object_get(a, "action"));
	const char *path = json_string_value(json_object_get(a, "file_path"));
	const char *prev = json_string_value(json_object_get(a, "previous_path"));
	const char *text = json_string_value(json_object_get(a, "content"));
	const char *enc = json_string_value(json_object_get(a, "encoding"));
	const char *last = json_string_value(json_object_get(a, "last_commit_id"));
	json_t *exec = json_object_get(a, "execute_filemode");
	struct buf msg = BUF_INIT_MAX(128);
	struct buf err = BUF_INIT_MAX(256);
	int ret = 0;

	out->execute_filemode = -1;
	if (!json_is_object(a) || !kind || repo_action_kind_parse(kind, &out->kind) < 0) {
		buf_addf(&msg, "actions[%zu][action] does not have a valid value", i);
		ret = ERR_INVALID;
	} else if (!path || repo_path_check(path, strlen(path), &err) < 0 ||
		   (prev && repo_path_check(prev, strlen(prev), &err) < 0)) {
		buf_addf(&msg, "actions[%zu][file_path] is invalid", i);
		ret = ERR_INVALID;
	} else if (enc && strcmp(enc, "text") && strcmp(enc, "base64")) {
		buf_addf(&msg, "actions[%zu][encoding] does not have a valid value", i);
		ret = ERR_INVALID;
	}
	if (ret < 0) {
		api_error(c, 400, msg.ptr);
		goto out;
	}
	if (json_is_boolean(exec))
		out->execute_filemode = json_is_true(exec);
	else if (json_is_string(exec))
		out->execute_filemode = !strcmp(json_string_value(exec), "true") ||
					!strcmp(json_string_value(exec), "True") ||
					!strcmp(json_string_value(exec), "1");
	out->path = path;
	out->previous_path = prev;
	out->last_commit_id = last && *last ? last : NULL;
	if (text) {
		ret = api_repo_content(c, enc, text, content);
		out->content = content->ptr;
		out->content_len = content->len;
	}
out:
	buf_release(&msg);
	buf_release(&err);
	return ret;
}

static void commits_create(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_commit_req req = { 0 };
	struct repo_ref_change change;
	struct repo_commit *rc = NULL;
	struct repo_action *acts = NULL;
	struct buf *contents = NULL;
	json_t *list = json_object_get(c->params, "actions");
	size_t n = 0;
	int ret;

	if (api_param_required(c, "branch", &req.branch) < 0 ||
	    api_param_required(c, "commit_message", &req.message) < 0 ||
	    api_param_str(c, "start_branch", &req.start_branch) < 0)
		goto out;
	if (!json_is_array(list) || !json_array_size(list)) {
		api_error(c, 400, "actions is missing");
		goto out;
	}
	n = json_array_size(list);
	if (n > REPO_ACTIONS_MAX) {
		api_error(c, 400, "actions has too many elements");
		goto out;
	}
	if (api_repo_open(c, &ar, API_REPO_WRITE) < 0)
		goto out;
	acts = xcalloc(n, sizeof(*acts));
	contents = xcalloc(n, sizeof(*contents));
	for (size_t i = 0; i < n; i++)
		buf_init(&contents[i], LIMIT_API_BODY);
	for (size_t i = 0; i < n; i++) {
		if (action_parse(c, json_array_get(list, i), i, &acts[i], &contents[i]) < 0)
			goto out;
	}
	req.actions = acts;
	req.actions_nr = n;
	if (api_repo_commit(&ar, &req, &change) < 0)
		goto out;
	ret = repo_commit_get(ar.r, change.new_id, REPO_COMMIT_STATS, &rc);
	if (ret < 0)
		api_repo_fail(&ar, ret, "Commit", NULL);
	else
		api_json(c, 201, commit_detail(&ar, rc));
out:
	for (size_t i = 0; contents && i < n; i++)
		buf_release(&contents[i]);
	free(contents);
	free(acts);
	repo_commit_free(rc);
	api_repo_close(&ar);
}

static const char *mode_str(char *out, size_t size, unsigned mode)
{
	snprintf(out, size, "%o", mode);
	return out;
}

static json_t *diff_json(const struct repo_diff *d)
{
	char a[16], b[16];

	return json_pack("{s:s?, s:s?, s:s, s:s, s:b, s:b, s:b, s:s}",
			 "old_path", d->old_path, "new_path", d->new_path,
			 "a_mode", mode_str(a, sizeof(a), d->a_mode),
			 "b_mode", mode_str(b, sizeof(b), d->b_mode), "new_file", d->new_file,
			 "renamed_file", d->renamed_file, "deleted_file", d->deleted_file,
			 "diff", d->diff ? d->diff : "");
}

json_t *api_diffs_json(const struct repo_diff_list *l, size_t offset, size_t limit)
{
	json_t *items = json_array();

	for (size_t i = offset; l && i < l->nr && i - offset < limit; i++) {
		json_t *d = diff_json(&l->v[i]);

		/* Diff text that is not UTF-8 shows as empty, not as a failure. */
		if (!d) {
			struct repo_diff tmp = l->v[i];

			tmp.diff = NULL;
			d = diff_json(&tmp);
		}
		json_array_append_new(items, d ? d : json_null());
	}
	return items;
}

static void commits_diff(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_diff_list *l = NULL;
	struct api_page pg;
	int ret;

	if (api_page_parse(c, &pg) < 0 || api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	ret = repo_commit_diff(ar.r, api_arg(c, 1), NULL, &l);
	if (ret == ERR_INVALID)
		ret = ERR_NOTFOUND;
	if (ret < 0) {
		api_repo_fail(&ar, ret, "Commit", NULL);
		goto out;
	}
	api_page_respond(c, &pg, (int64_t)l->nr,
			 api_diffs_json(l, (size_t)api_page_offset(&pg), (size_t)pg.per_page));
out:
	repo_diff_list_free(l);
	api_repo_close(&ar);
}

/* Is the commit sha reachable from tip? */
static int contains(struct repo *r, const char *sha, const char *tip)
{
	const char *revs[2] = { sha, tip };
	char base[REPO_OID_HEX];

	return repo_merge_base(r, revs, 2, base) == 0 && !strcmp(base, sha);
}

#define REFS_SCAN_MAX 10000	/* branches or tags examined for /refs */

static void refs_add(struct repo *r, const char *sha, const char *type, const char *name,
		     const char *tip, json_t *all)
{
	if (contains(r, sha, tip))
		json_array_append_new(all, json_pack("{s:s, s:s}", "type", type, "name", name));
}

static void commits_refs(struct api_ctx *c)
{
	static const char *const types[] = { "branch", "tag", "all", NULL };
	struct api_repo ar = API_REPO_INIT;
	struct api_page pg;
	const char *type = "all";
	char sha[REPO_OID_HEX];
	json_t *all = NULL, *page;
	int ret;

	if (api_page_parse(c, &pg) < 0 || api_param_enum(c, "type", types, &type) < 0 ||
	    api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	ret = repo_resolve_commit(ar.r, api_arg(c, 1), sha);
	if (ret < 0) {
		api_repo_fail(&ar, ret == ERR_INVALID ? ERR_NOTFOUND : ret, "Commit", NULL);
		goto out;
	}
	all = json_array();
	if (strcmp(type, "tag")) {
		struct repo_branch_list *l = NULL;

		if (repo_branch_list(ar.r, NULL, 0, REFS_SCAN_MAX, &l) == 0)
			for (size_t i = 0; i < l->nr; i++)
				refs_add(ar.r, sha, "branch", l->v[i].name, l->v[i].commit.id, all);
		repo_branch_list_free(l);
	}
	if (strcmp(type, "branch")) {
		struct repo_tag_list *l = NULL;

		if (repo_tag_list(ar.r, NULL, REPO_TAG_BY_NAME, 0, REFS_SCAN_MAX, &l) == 0)
			for (size_t i = 0; i < l->nr; i++)
				if (l->v[i].has_commit)
					refs_add(ar.r, sha, "tag", l->v[i].name,
						 l->v[i].commit.id, all);
		repo_tag_list_free(l);
	}
	page = json_array();
	for (size_t i = (size_t)api_page_offset(&pg);
	     i < json_array_size(all) && json_array_size(page) < (size_t)pg.per_page; i++)
		json_array_append(page, json_array_get(all, i));
	api_page_respond(c, &pg, (int64_t)json_array_size(all), page);
out:
	json_decref(all);
	api_repo_close(&ar);
}

const struct api_endpoint api_repo_commit_endpoints[] = {
	{ "GET", "/projects/:id/repository/commits", commits_list, 0 },
	{ "POST", "/projects/:id/repository/commits", commits_create, API_AUTH },
	{ "GET", "/projects/:id/repository/commits/:sha", commits_get, 0 },
	{ "GET", "/projects/:id/repository/commits/:sha/diff", commits_diff, 0 },
	{ "GET", "/projects/:id/repository/commits/:sha/refs", commits_refs, 0 },
	{ NULL, NULL, NULL, 0 },
};
