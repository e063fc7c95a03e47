/* GitLab's JSON entities for users, namespaces, groups and projects. Fields
 * kura has no notion of carry GitLab's defaults so that clients find every
 * key they expect; absent values are null. */
#include "api_ctx.h"
#include "core/buf.h"
#include "core/timeutil.h"
#include "git/repo_read.h"
#include "http/http.h"
#include "auth/perms.h"
#include "model/fork.h"
#include "model/member.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/star.h"
#include "model/user.h"

#include <pthread.h>
#include <string.h>

json_t *api_time(int64_t ms)
{
	char tmp[40];

	if (!ms)
		return json_null();
	time_format_iso8601(tmp, sizeof(tmp), ms);
	return json_string(tmp);
}

json_t *api_str(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;

	return v ? v : json_null();
}

static json_t *url_of(struct api_ctx *c, const char *fmt_path, const char *path)
{
	struct buf u = BUF_INIT;
	json_t *v;

	buf_addf(&u, "%s%s%s", http_external_url(c->req), fmt_path, path);
	v = api_str(u.ptr);
	buf_release(&u);
	return v;
}

json_t *api_user_basic(struct api_ctx *c, const struct user *u)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:n, s:o}", "id", (json_int_t)u->id,
			 "username", u->username, "name", u->name, "state", u->state,
			 "avatar_url", "web_url", url_of(c, "/", u->username));
}

static void user_add_private(struct api_ctx *c, json_t *o, const struct user *u)
{
	char day[16];

	if (u->last_activity_at)
		time_format_date(day, sizeof(day), u->last_activity_at);
	json_object_set_new(o, "last_sign_in_at", api_time(u->last_sign_in_at));
	json_object_set_new(o, "confirmed_at", api_time(u->created_at));
	json_object_set_new(o, "last_activity_on", u->last_activity_at ? json_string(day)
								       : json_null());
	json_object_set_new(o, "email", api_str(u->email));
	json_object_set_new(o, "commit_email", api_str(u->email));
	json_object_set_new(o, "theme_id", json_integer(1));
	json_object_set_new(o, "color_scheme_id", json_integer(1));
	json_object_set_new(o, "projects_limit", json_integer(100000));
	json_object_set_new(o, "current_sign_in_at", api_time(u->last_sign_in_at));
	json_object_set_new(o, "identities", json_array());
	json_object_set_new(o, "can_create_group", json_true());
	json_object_set_new(o, "can_create_project", json_true());
	json_object_set_new(o, "two_factor_enabled", json_false());
	json_object_set_new(o, "external", json_false());
	json_object_set_new(o, "private_profile", json_false());
	if (api_is_admin(c)) {
		json_object_set_new(o, "is_admin", json_boolean(u->is_admin));
		json_object_set_new(o, "note", json_null());
		json_object_set_new(o, "namespace_id", u->namespace_id ?
				    json_integer(u->namespace_id) : json_null());
		json_object_set_new(o, "created_by", json_null());
	}
}

json_t *api_user_json(struct api_ctx *c, const struct user *u)
{
	json_t *o = api_user_basic(c, u);
	static const char *const empty[] = { "bio", "location", "skype", "linkedin", "twitter",
					     "website_url", "organization", "job_title", NULL };

	json_object_set_new(o, "created_at", api_time(u->created_at));
	for (int i = 0; empty[i]; i++)
		json_object_set_new(o, empty[i], json_string(""));
	json_object_set_new(o, "public_email", json_null());
	json_object_set_new(o, "pronouns", json_null());
	json_object_set_new(o, "bot", json_false());
	json_object_set_new(o, "work_information", json_null());
	json_object_set_new(o, "followers", json_integer(0));
	json_object_set_new(o, "following", json_integer(0));
	json_object_set_new(o, "local_time", json_null());
	if (api_is_admin(c) || api_user_id(c) == u->id)
		user_add_private(c, o, u);
	return o;
}

static json_t *namespace_web_url(struct api_ctx *c, const char *kind, const char *full_path)
{
	return url_of(c, strcmp(kind, "group") ? "/" : "/groups/", full_path);
}

static json_t *parent_json(int64_t parent_id)
{
	return parent_id ? json_integer(parent_id) : json_null();
}

json_t *api_namespace_json(struct api_ctx *c, const struct namespace *ns)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:n, s:o}", "id", (json_int_t)ns->id,
			 "name", ns->name, "path", ns->path, "kind", ns->kind,
			 "full_path", ns->full_path, "parent_id", parent_json(ns->parent_id),
			 "avatar_url", "web_url", namespace_web_url(c, ns->kind, ns->full_path));
}

json_t *api_group_json(struct api_ctx *c, const struct namespace *ns)
{
	json_t *o = api_namespace_json(c, ns);

	json_object_del(o, "kind");
	json_object_set_new(o, "description", api_str(ns->description));
	json_object_set_new(o, "visibility", api_str(ns->visibility));
	json_object_set_new(o, "share_with_group_lock", json_false());
	json_object_set_new(o, "require_two_factor_authentication", json_false());
	json_object_set_new(o, "two_factor_grace_period", json_integer(48));
	json_object_set_new(o, "project_creation_level", json_string("developer"));
	json_object_set_new(o, "auto_devops_enabled", json_null());
	json_object_set_new(o, "subgroup_creation_level", json_string("maintainer"));
	json_object_set_new(o, "emails_disabled", json_null());
	json_object_set_new(o, "mentions_disabled", json_null());
	json_object_set_new(o, "lfs_enabled", json_true());
	json_object_set_new(o, "default_branch_protection", json_integer(2));
	json_object_set_new(o, "request_access_enabled", json_true());
	json_object_set_new(o, "full_name", api_str(ns->name));
	json_object_set_new(o, "created_at", api_time(ns->created_at));
	return o;
}

/* Projects recently seen with a branch or tag. Opening the repository and
 * listing its refs costs more than the rest of a project answer together,
 * and a repository with refs almost never loses all of them, so only that
 * answer is kept, and only for EMPTY_CACHE_TTL_MS: deleting the last branch
 * and tag (here or on another node sharing the storage) shows as empty_repo
 * at most that late. An empty repository is checked on every request, so a
 * first push shows at once. Slots are by project id; a collision only costs
 * a check. */
#define EMPTY_CACHE_SLOTS 256
#define EMPTY_CACHE_TTL_MS 2000

static struct {
	int64_t project_id;
	int64_t until_ms;
} nonempty_seen[EMPTY_CACHE_SLOTS];
static pthread_mutex_t nonempty_lock = PTHREAD_MUTEX_INITIALIZER;

static int nonempty_cached(int64_t project_id, int64_t now)
{
	size_t slot = (size_t)project_id % EMPTY_CACHE_SLOTS;
	int hit;

	pthread_mutex_lock(&nonempty_lock);
	hit = nonempty_seen[slot].project_id == project_id && nonempty_seen[slot].until_ms > now;
	pthread_mutex_unlock(&nonempty_lock);
	return hit;
}

static void nonempty_remember(int64_t project_id, int64_t now)
{
	size_t slot = (size_t)project_id % EMPTY_CACHE_SLOTS;

	pthread_mutex_lock(&nonempty_lock);
	nonempty_seen[slot].project_id = project_id;
	nonempty_seen[slot].until_ms = now + EMPTY_CACHE_TTL_MS;
	pthread_mutex_unlock(&nonempty_lock);
}

void api_project_refs_changed(int64_t project_id)
{
	size_t slot = (size_t)project_id % EMPTY_CACHE_SLOTS;

	pthread_mutex_lock(&nonempty_lock);
	if (nonempty_seen[slot].project_id == project_id)
		nonempty_seen[slot].until_ms = 0;
	pthread_mutex_unlock(&nonempty_lock);
}

/* Whether the repository has no branches or tags; unreadable counts as
 * empty. */
static int project_repo_empty(int64_t project_id)
{
	int64_t now = time_mono_ms();
	struct repo *r = NULL;
	int empty = 1;

	if (nonempty_cached(project_id, now))
		return 0;
	if (repo_open(&r, project_id) == 0)
		empty = repo_is_empty(r);
	repo_close(r);
	if (!empty)
		nonempty_remember(project_id, now);
	return empty;
}

static json_t *project_namespace(struct api_ctx *c, const struct project *p)
{
	const char *slash = strrchr(p->namespace_full_path, '/');

	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:n, s:o}",
			 "id", (json_int_t)p->namespace_id, "name", p->namespace_name,
			 "path", slash ? slash + 1 : p->namespace_full_path,
			 "kind", p->namespace_kind, "full_path", p->namespace_full_path,
			 "parent_id", parent_json(p->namespace_parent_id), "avatar_url",
			 "web_url", namespace_web_url(c, p->namespace_kind, p->namespace_full_path));
}

static json_t *project_links(struct api_ctx *c, const struct project *p, const char *web)
{
	struct buf api = BUF_INIT;
	json_t *o;

	buf_addf(&api, "%s/api/v4/projects/%lld", http_external_url(c->req), (long long)p->id);
	o = json_pack("{s:s, s:s+, s:s+, s:s+, s:s+, s:s+, s:s+}", "self", api.ptr,
		      "issues", api.ptr, "/issues", "merge_requests", api.ptr, "/merge_requests",
		      "repo_branches", api.ptr, "/repository/branches", "labels", api.ptr,
		      "/labels", "events", api.ptr, "/events", "members", api.ptr, "/members");
	(void)web;
	buf_release(&api);
	return o;
}

static void project_add_details(struct api_ctx *c, json_t *o, const struct project *p,
				int level, const char *web)
{
	static const char *const features[] = { "issues", "repository", "merge_requests",
		"forking", "wiki", "builds", "snippets", "pages", "operations", "analytics", NULL };
	struct buf key = BUF_INIT;

	json_object_set_new(o, "visibility", api_str(p->visibility));
	json_object_set_new(o, "empty_repo", json_boolean(project_repo_empty(p->id)));
	json_object_set_new(o, "archived", json_boolean(p->archived));
	json_object_set_new(o, "creator_id", p->creator_id ? json_integer(p->creator_id)
							   : json_null());
	json_object_set_new(o, "import_status", json_string("none"));
	json_object_set_new(o, "open_issues_count", json_integer(0));
	json_object_set_new(o, "issues_enabled", json_true());
	json_object_set_new(o, "merge_requests_enabled", json_true());
	json_object_set_new(o, "wiki_enabled", json_false());
	json_object_set_new(o, "jobs_enabled", json_false());
	json_object_set_new(o, "snippets_enabled", json_false());
	json_object_set_new(o, "container_registry_enabled", json_false());
	json_object_set_new(o, "lfs_enabled", json_true());
	json_object_set_new(o, "shared_runners_enabled", json_false());
	json_object_set_new(o, "public_jobs", json_true());
	json_object_set_new(o, "request_access_enabled", json_true());
	json_object_set_new(o, "only_allow_merge_if_pipeline_succeeds", json_false());
	json_object_set_new(o, "remove_source_branch_after_merge", json_true());
	json_object_set_new(o, "merge_method", json_string("merge"));
	json_object_set_new(o, "shared_with_groups", api_shared_with_groups(c, 1, p->id));
	for (int i = 0; features[i]; i++) {
		buf_reset(&key);
		buf_addf(&key, "%s_access_level", features[i]);
		json_object_set_new(o, key.ptr, json_string("enabled"));
	}
	json_object_set_new(o, "permissions", json_pack("{s:o, s:n}", "project_access",
		level ? json_pack("{s:i, s:i}", "access_level", level, "notification_level", 3)
		      : json_null(), "group_access"));
	json_object_set_new(o, "_links", project_links(c, p, web));
	buf_release(&key);
}

static json_t *project_owner(struct api_ctx *c, const struct project *p)
{
	struct user *u = NULL;
	json_t *o;

	if (strcmp(p->namespace_kind, "user") || user_find(c->db, p->namespace_owner_id, &u) < 0)
		return NULL;
	o = api_user_basic(c, u);
	json_object_set_new(o, "created_at", api_time(u->created_at));
	user_free(u);
	return o;
}

/* The project a fork came from, when the caller may see it (else absent). */
static json_t *project_forked_from(struct api_ctx *c, const struct project *p)
{
	struct project *src = NULL;
	int64_t id = 0;
	json_t *o = NULL;

	if (fork_source(c->db, p->id, &id) == 0 && id && project_find(c->db, id, &src) == 0 &&
	    perms_project_visible(c->db, &c->who, src) == 0)
		o = api_project_json(c, src, 0, 1);
	project_free(src);
	return o;
}

json_t *api_project_json(struct api_ctx *c, const struct project *p, int level, int simple)
{
	int64_t forks = 0, stars = 0;

	struct buf full = BUF_INIT, web = BUF_INIT, ssh = BUF_INIT;
	const char *ext = http_external_url(c->req);
	const char *h = strstr(ext, "://");
	json_t *o, *owner, *forked;

	project_full_path(&full, p);
	buf_addf(&web, "%s/%s", ext, full.ptr);
	h = h ? h + 3 : ext;
	buf_addstr(&ssh, "git@");
	buf_add(&ssh, h, strcspn(h, ":/"));
	buf_addf(&ssh, ":%s.git", full.ptr);
	/* Counts read as 0 when the query fails: the project still answers. */
	if (fork_count(c->db, p->id, &forks) < 0)
		forks = 0;
	if (star_count(c->db, p->id, &stars) < 0)
		stars = 0;
	o = json_pack("{s:I, s:s, s:s, s:s++, s:s, s:s, s:o, s:o, s:[], s:[],"
		      " s:s, s:s+, s:s, s:n, s:i, s:n, s:i, s:o, s:o}",
		      "id", (json_int_t)p->id, "description", p->description, "name", p->name,
		      "name_with_namespace", p->namespace_name, " / ", p->name,
		      "path", p->path, "path_with_namespace", full.ptr,
		      "created_at", api_time(p->created_at),
		      "default_branch", api_str(p->default_branch ? p->default_branch : "main"),
		      "tag_list", "topics",
		      "ssh_url_to_repo", ssh.ptr, "http_url_to_repo", web.ptr, ".git",
		      "web_url", web.ptr, "readme_url", "forks_count", (int)forks, "avatar_url",
		      "star_count", (int)stars, "last_activity_at", api_time(p->last_activity_at),
		      "namespace", project_namespace(c, p));
	if (!simple) {
		owner = project_owner(c, p);
		if (owner)
			json_object_set_new(o, "owner", owner);
		project_add_details(c, o, p, level, web.ptr);
		forked = project_forked_from(c, p);
		if (forked)
			json_object_set_new(o, "forked_from_project", forked);
		api_project_add_import(c, o, p);
	}
	buf_release(&full);
	buf_release(&web);
	buf_release(&ssh);
	return o;
}
