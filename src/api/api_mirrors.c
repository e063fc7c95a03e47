/* Imports and mirrors through the API, GitLab's shapes:
 *   POST /projects with import_url (credentials in the URL, or in
 *   import_url_user / import_url_password), mirror and, as a kura extension,
 *   mirror_interval in seconds; import_status and import_error on the project;
 *   GET and POST /projects/:id/mirror/pull (state, update now);
 *   /projects/:id/remote_mirrors: push mirrors, list, create, get, update,
 *   delete and sync.
 * URLs are vetted by the outbound policy when saved and again at every
 * update. Credentials are sealed at rest and never returned: URLs come back
 * masked as GitLab masks them. Maintainers and owners manage mirrors. */
#include "api_ctx.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "import/import.h"
#include "import/remote.h"
#include "jobs/jobs.h"
#include "model/member.h"
#include "model/mirror.h"
#include "model/project.h"

#include <stdlib.h>
#include <string.h>

struct api_import {
	struct remote r;
	int mirror;
	int64_t interval_s;
};

/* The URL with its userinfo shown as five stars twice when credentials are stored. */
static json_t *masked_url(const char *url, const char *credentials)
{
	struct buf out = BUF_INIT;
	const char *sep = strstr(url, "://");
	json_t *v;

	if (credentials && sep) {
		buf_add(&out, url, (size_t)(sep - url) + 3);
		buf_addstr(&out, "*****:*****@");
		buf_addstr(&out, sep + 3);
	} else {
		buf_addstr(&out, url);
	}
	v = json_string(out.ptr);
	buf_release(&out);
	return v;
}

/* Reads and vets a URL parameter with optional separate credentials;
 * answers 400 {"message": {"<field>": [...]}} on failure. */
static int url_param(struct api_ctx *c, const char *field, const char *url, const char *user,
		     const char *password, struct remote *out)
{
	struct buf err = BUF_INIT_MAX(512);
	int ret = remote_parse(out, url, user, password, &err);

	if (ret == 0)
		ret = remote_vet(out, jobs_outbound_allow(), &err);
	if (ret < 0) {
		api_field_error(c, field, err.ptr);
		remote_release(out);
	}
	buf_release(&err);
	return ret;
}

static int interval_param(struct api_ctx *c, int64_t *out)
{
	int64_t v = 0;
	int ret = api_param_int(c, "mirror_interval", IMPORT_INTERVAL_MIN_S, IMPORT_INTERVAL_MAX_S,
				&v);

	if (ret > 0)
		*out = v;
	return ret < 0 ? ret : 0;
}

int api_import_parse(struct api_ctx *c, struct api_import **out)
{
	struct api_import *imp;
	const char *url = NULL, *user = NULL, *password = NULL;
	int mirror = 0, ret;

	*out = NULL;
	/* The accessors answer 1 for present, 0 for absent. */
	ret = api_param_str(c, "import_url", &url);
	if (ret >= 0 && url)
		ret = api_param_str(c, "import_url_user", &user);
	if (ret >= 0 && url)
		ret = api_param_str(c, "import_url_password", &password);
	if (ret >= 0)
		ret = api_param_bool(c, "mirror", &mirror);
	if (ret < 0 || !url)
		return ret < 0 ? ret : 0;
	imp = xcalloc(1, sizeof(*imp));
	imp->mirror = mirror;
	if (interval_param(c, &imp->interval_s) < 0 ||
	    url_param(c, "import_url", url, user, password, &imp->r) < 0) {
		free(imp);
		return ERR_INVALID;
	}
	*out = imp;
	return 0;
}

int api_import_start(struct api_ctx *c, struct api_import *imp, int64_t project_id,
		     struct buf *err)
{
	return import_schedule(c->db, project_id, &imp->r, imp->mirror, imp->interval_s, err);
}

void api_import_free(struct api_import *imp)
{
	if (!imp)
		return;
	remote_release(&imp->r);
	free(imp);
}

void api_project_add_import(struct api_ctx *c, json_t *o, const struct project *p)
{
	struct project_mirror *m = NULL;
	int ret = project_mirror_find(c->db, p->id, &m);

	json_object_set_new(o, "import_status", json_string(ret == 0 ? m->import_status : "none"));
	json_object_set_new(o, "import_error", api_str(ret == 0 ? m->import_error : NULL));
	json_object_set_new(o, "import_url", ret == 0 ? masked_url(m->url, m->credentials)
						    : json_null());
	json_object_set_new(o, "mirror", json_boolean(ret == 0 && m->mirror));
	project_mirror_free(m);
}

/* The project, when the caller maintains it. */
static int mirror_project(struct api_ctx *c, struct project **out)
{
	int level = 0;

	if (api_project_find(c, api_arg(c, 0), out, &level) < 0)
		return ERR_NOTFOUND;
	if (api_require_level(c, level, ACCESS_MAINTAINER) < 0) {
		project_free(*out);
		*out = NULL;
		return ERR_DENIED;
	}
	return 0;
}

static void pull_get(struct api_ctx *c)
{
	struct project *p = NULL;
	struct project_mirror *m = NULL;
	int ret;

	if (mirror_project(c, &p) < 0)
		return;
	ret = project_mirror_find(c->db, p->id, &m);
	if (ret == 0 && !m->mirror)
		ret = ERR_NOTFOUND;
	if (ret < 0)
		api_fail(c, ret, "Pull mirror", NULL);
	else
		api_json(c, 200, json_pack("{s:I, s:o, s:o, s:o, s:o, s:s, s:o, s:I}",
					   "id", (json_int_t)p->id,
					   "last_error", api_str(m->import_error),
					   "last_successful_update_at",
					   api_time(m->last_successful_update_at),
					   "last_update_at", api_time(m->last_update_at),
					   "last_update_started_at", api_time(m->last_update_started_at),
					   "update_status", m->import_status,
					   "url", masked_url(m->url, m->credentials),
					   "mirror_interval", (json_int_t)(m->interval_ms / 1000)));
	project_mirror_free(m);
	project_free(p);
}

static void pull_now(struct api_ctx *c)
{
	struct project *p = NULL;
	int ret;

	if (mirror_project(c, &p) < 0)
		return;
	ret = import_pull_now(c->db, p->id);
	if (ret == ERR_NOTFOUND)
		api_message(c, 400, "The project is not a pull mirror.");
	else if (ret < 0)
		api_fail(c, ret, "Project", NULL);
	else
		api_json(c, 200, json_object());
	project_free(p);
}

static json_t *remote_mirror_json(const struct remote_mirror *m)
{
	return json_pack("{s:I, s:b, s:o, s:s, s:o, s:o, s:o, s:o, s:b, s:b, s:n, s:s, s:I}",
			 "id", (json_int_t)m->id, "enabled", m->enabled,
			 "url", masked_url(m->url, m->credentials),
			 "update_status", m->update_status,
			 "last_error", api_str(m->last_error),
			 "last_update_at", api_time(m->last_update_at),
			 "last_update_started_at", api_time(m->last_update_started_at),
			 "last_successful_update_at", api_time(m->last_successful_update_at),
			 "only_protected_branches", m->only_protected_branches,
			 "keep_divergent_refs", m->keep_divergent_refs,
			 "mirror_branch_regex", "auth_method", "password",
			 "mirror_interval", (json_int_t)(m->interval_ms / 1000));
}

static void rm_list(struct api_ctx *c)
{
	struct remote_mirror_list l = { NULL, 0 };
	struct project *p = NULL;
	json_t *arr;
	int ret;

	if (mirror_project(c, &p) < 0)
		return;
	ret = remote_mirror_list(c->db, p->id, &l);
	if (ret < 0) {
		api_fail(c, ret, "Project", NULL);
	} else {
		arr = json_array();
		for (size_t i = 0; i < l.nr; i++)
			json_array_append_new(arr, remote_mirror_json(&l.items[i]));
		api_json(c, 200, arr);
	}
	remote_mirror_list_release(&l);
	project_free(p);
}

/* The options PUT and POST share; 0, or ERR_INVALID after answering. */
static int rm_options(struct api_ctx *c, struct remote_mirror *m)
{
	int64_t interval_s = 0;

	if (api_param_bool(c, "enabled", &m->enabled) < 0 ||
	    api_param_bool(c, "only_protected_branches", &m->only_protected_branches) < 0 ||
	    api_param_bool(c, "keep_divergent_refs", &m->keep_divergent_refs) < 0 ||
	    interval_param(c, &interval_s) < 0)
		return ERR_INVALID;
	if (interval_s)
		m->interval_ms = interval_s * 1000;
	return 0;
}

static void rm_answer(struct api_ctx *c, int64_t project_id, int64_t id, int status)
{
	struct remote_mirror *m = NULL;
	int ret = remote_mirror_find(c->db, project_id, id, &m);

	if (ret < 0)
		api_fail(c, ret, "Remote mirror", NULL);
	else
		api_json(c, status, remote_mirror_json(m));
	remote_mirror_free(m);
}

static void rm_create(struct api_ctx *c)
{
	struct remote_mirror m = { 0 };
	struct remote r = REMOTE_INIT;
	struct project *p = NULL;
	const char *url = NULL;
	char *sealed = NULL;
	int64_t id = 0;
	int ret;

	if (mirror_project(c, &p) < 0)
		return;
	m.project_id = p->id;
	m.enabled = 1;
	m.interval_ms = PUSH_MIRROR_INTERVAL_DEFAULT_S * 1000;
	if (api_param_required(c, "url", &url) < 0 || rm_options(c, &m) < 0 ||
	    url_param(c, "url", url, NULL, NULL, &r) < 0)
		goto out;
	ret = import_seal_credentials(&sealed, &r);
	m.url = r.url;
	m.credentials = sealed;
	if (ret == 0)
		ret = db_tx_begin(c->db);
	if (ret == 0) {
		ret = remote_mirror_create(c->db, &m, &id);
		if (ret == 0 && m.enabled)
			ret = mirror_schedule_push(c->db, id, m.interval_ms);
		if (ret == 0 && m.enabled)
			ret = mirror_enqueue_push(c->db, id);
		ret = db_tx_end(c->db, ret);
	}
	if (ret < 0)
		api_fail(c, ret, "Project", NULL);
	else
		rm_answer(c, p->id, id, 201);
out:
	free(sealed);
	remote_release(&r);
	project_free(p);
}

static int rm_find(struct api_ctx *c, const struct project *p, struct remote_mirror **out)
{
	uint64_t id = 0;
	int ret = parse_u64(api_arg(c, 1), INT64_MAX, &id) == 0 ?
		  remote_mirror_find(c->db, p->id, (int64_t)id, out) : ERR_NOTFOUND;

	if (ret < 0)
		api_fail(c, ret, "Remote mirror", NULL);
	return ret;
}

static void rm_get(struct api_ctx *c)
{
	struct project *p = NULL;
	struct remote_mirror *m = NULL;

	if (mirror_project(c, &p) == 0 && rm_find(c, p, &m) == 0)
		api_json(c, 200, remote_mirror_json(m));
	remote_mirror_free(m);
	project_free(p);
}

static void rm_update(struct api_ctx *c)
{
	struct project *p = NULL;
	struct remote_mirror *m = NULL;
	int was_enabled, ret;

	if (mirror_project(c, &p) < 0 || rm_find(c, p, &m) < 0)
		goto out;
	was_enabled = m->enabled;
	if (rm_options(c, m) < 0)
		goto out;
	ret = db_tx_begin(c->db);
	if (ret == 0)
		ret = remote_mirror_update(c->db, m);
	/* Enabling (again) starts a fresh schedule; the old chain ends itself. */
	if (ret == 0 && m->enabled && !was_enabled)
		ret = mirror_schedule_push(c->db, m->id, m->interval_ms);
	ret = db_tx_end(c->db, ret);
	if (ret < 0)
		api_fail(c, ret, "Remote mirror", NULL);
	else
		rm_answer(c, p->id, m->id, 200);
out:
	remote_mirror_free(m);
	project_free(p);
}

static void rm_delete(struct api_ctx *c)
{
	struct project *p = NULL;
	struct remote_mirror *m = NULL;
	int ret;

	if (mirror_project(c, &p) < 0 || rm_find(c, p, &m) < 0)
		goto out;
	ret = remote_mirror_delete(c->db, p->id, m->id);
	if (ret < 0)
		api_fail(c, ret, "Remote mirror", NULL);
	else
		api_no_content(c);
out:
	remote_mirror_free(m);
	project_free(p);
}

static void rm_sync(struct api_ctx *c)
{
	struct project *p = NULL;
	struct remote_mirror *m = NULL;
	int ret;

	if (mirror_project(c, &p) < 0 || rm_find(c, p, &m) < 0)
		goto out;
	ret = m->enabled ? mirror_enqueue_push(c->db, m->id) : ERR_INVALID;
	if (ret == ERR_INVALID)
		api_message(c, 400, "The remote mirror is disabled.");
	else if (ret < 0)
		api_fail(c, ret, "Remote mirror", NULL);
	else
		api_no_content(c);
out:
	remote_mirror_free(m);
	project_free(p);
}

const struct api_endpoint api_mirror_endpoints[] = {
	{ "GET", "/projects/:id/mirror/pull", pull_get, API_AUTH },
	{ "POST", "/projects/:id/mirror/pull", pull_now, API_AUTH },
	{ "GET", "/projects/:id/remote_mirrors", rm_list, API_AUTH },
	{ "POST", "/projects/:id/remote_mirrors", rm_create, API_AUTH },
	{ "GET", "/projects/:id/remote_mirrors/:mirror_id", rm_get, API_AUTH },
	{ "PUT", "/projects/:id/remote_mirrors/:mirror_id", rm_update, API_AUTH },
	{ "DELETE", "/projects/:id/remote_mirrors/:mirror_id", rm_delete, API_AUTH },
	{ "POST", "/projects/:id/remote_mirrors/:mirror_id/sync", rm_sync, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
