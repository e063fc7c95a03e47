/* Project extras: the events feed (GitLab's Event entity with push_data,
 * from the recorded pushes) and the storage location administrators ask
 * for. */
#include "api_repo.h"
#include "core/buf.h"
#include "core/err.h"
#include "git/repo_store.h"
#include "model/project.h"
#include "model/project_event.h"
#include "model/user.h"

#include <stdlib.h>
#include <string.h>

static int is_zero(const char *sha)
{
	return strspn(sha, "0") == strlen(sha);
}

/* Commits a push brought: before..after, or for a new ref what the default
 * branch lacks; bounded by the compare limit. */
static int64_t push_commit_count(struct repo *r, const char *before, const char *after)
{
	struct repo_compare *cmp = NULL;
	char *def = NULL;
	int64_t n = 0;

	if (is_zero(after))
		return 0;
	if (is_zero(before) && repo_default_branch(r, &def) < 0)
		return 1;
	if (repo_compare(r, is_zero(before) ? def : before, after, !is_zero(before), NULL,
			 &cmp) == 0 && cmp->commits)
		n = (int64_t)cmp->commits->nr;
	if (is_zero(before) && n == 0)
		n = 1;	/* the default branch itself, or one already merged */
	repo_compare_free(cmp);
	free(def);
	return n;
}

static int event_collect(const struct project_event *e, void *ctx)
{
	json_array_append_new(ctx, json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:o}",
					     "id", (json_int_t)e->id,
					     "project_id", (json_int_t)e->project_id,
					     "author_id", (json_int_t)e->user_id, "ref", e->ref,
					     "before", e->before, "after", e->after,
					     "created_at", api_time(e->created_at)));
	return 0;
}

/* Turns a collected row into GitLab's Event. */
static void event_finish(struct api_repo *ar, json_t *e)
{
	const char *ref = json_string_value(json_object_get(e, "ref"));
	const char *before = json_string_value(json_object_get(e, "before"));
	const char *after = json_string_value(json_object_get(e, "after"));
	int64_t uid = json_integer_value(json_object_get(e, "author_id"));
	int tag = !strncmp(ref, "refs/tags/", 10);
	const char *name = ref + (tag ? 10 : !strncmp(ref, "refs/heads/", 11) ? 11 : 0);
	const char *action = is_zero(before) ? "created" : is_zero(after) ? "removed" : "pushed";
	struct repo_commit *rc = NULL;
	struct user *u = NULL;
	json_t *push;

	if (uid && user_find(ar->c->db, uid, &u) < 0)
		u = NULL;
	if (!is_zero(after) && repo_commit_get(ar->r, after, 0, &rc) < 0)
		rc = NULL;
	push = json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:o, s:n}",
			 "commit_count", (json_int_t)push_commit_count(ar->r, before, after),
			 "action", action, "ref_type", tag ? "tag" : "branch",
			 "commit_from", is_zero(before) ? json_null() : json_string(before),
			 "commit_to", is_zero(after) ? json_null() : json_string(after),
			 "ref", name, "commit_title", rc && rc->title ? json_string(rc->title) :
			 json_null(), "ref_count");
	json_object_set_new(e, "action_name", json_string(is_zero(before) ? "pushed new" :
							    is_zero(after) ? "deleted" :
							    "pushed to"));
	json_object_set_new(e, "target_id", json_null());
	json_object_set_new(e, "target_iid", json_null());
	json_object_set_new(e, "target_type", json_null());
	json_object_set_new(e, "target_title", json_null());
	json_object_set_new(e, "author", u ? api_user_basic(ar->c, u) : json_null());
	json_object_set_new(e, "author_username", u ? json_string(u->username) : json_null());
	json_object_set_new(e, "imported", json_false());
	json_object_set_new(e, "imported_from", json_string("none"));
	json_object_set_new(e, "push_data", push ? push : json_null());
	if (!uid)
		json_object_set_new(e, "author_id", json_null());
	json_object_del(e, "ref");
	json_object_del(e, "before");
	json_object_del(e, "after");
	repo_commit_free(rc);
	user_free(u);
}

static void project_events(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct api_page pg;
	int64_t total = 0;
	json_t *items = NULL, *e;
	size_t i;
	int ret;

	/* Push events show code: the repository's read rule. */
	if (api_page_parse(c, &pg) < 0 || api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	ret = project_event_count(c->db, ar.p->id, &total);
	items = json_array();
	if (ret == 0)
		ret = project_event_list(c->db, ar.p->id, api_page_offset(&pg), pg.per_page,
					 event_collect, items);
	if (ret < 0) {
		api_fail(c, ret, NULL, NULL);
		goto out;
	}
	json_array_foreach(items, i, e)
		event_finish(&ar, e);
	api_page_respond(c, &pg, total, items);
	items = NULL;
out:
	json_decref(items);
	api_repo_close(&ar);
}

static void project_storage(struct api_ctx *c)
{
	struct project *p = NULL;
	struct buf path = BUF_INIT, disk = BUF_INIT;
	const char *root = "/repositories/";
	const char *at;

	if (api_project_find(c, api_arg(c, 0), &p, NULL) < 0)
		return;
	repo_store_path(&path, p->id);
	/* GitLab's disk_path: below the storage root, without ".git". */
	at = strstr(path.ptr, root);
	buf_addstr(&disk, at ? at + strlen(root) : path.ptr);
	if (disk.len > 4 && !strcmp(disk.ptr + disk.len - 4, ".git"))
		buf_truncate(&disk, disk.len - 4);
	api_json(c, 200, json_pack("{s:I, s:s, s:o, s:s}", "project_id", (json_int_t)p->id,
				   "disk_path", disk.ptr, "created_at", api_time(p->created_at),
				   "repository_storage", "default"));
	buf_release(&path);
	buf_release(&disk);
	project_free(p);
}

const struct api_endpoint api_project_extra_endpoints[] = {
	{ "GET", "/projects/:id/events", project_events, 0 },
	{ "GET", "/projects/:id/storage", project_storage, API_ADMIN },
	{ NULL, NULL, NULL, 0 },
};
