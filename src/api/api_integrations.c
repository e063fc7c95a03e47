/* Project integrations through the API: GitLab's emails-on-push at
 * /projects/:id/integrations/emails-on-push and the older /services/ alias.
 * Maintainers manage them; recipients are checked address by address when
 * saved, so a bad list never reaches the mail queue. */
#include "api_ctx.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/strvec.h"
#include "jobs/notify.h"
#include "model/integration.h"
#include "model/member.h"
#include "model/project.h"

#include <string.h>

static json_t *eop_json(const struct emails_on_push *e)
{
	/* GitLab answers an integration never saved as an inactive one. */
	static const struct emails_on_push none = { 0, 0, 0, "", 0, 0, "all", 0, 0 };
	json_t *o;

	if (!e)
		e = &none;
	o = json_pack("{s:o, s:s, s:s, s:o, s:o, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b,"
		      " s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}",
		      "id", e->id ? json_integer(e->id) : json_null(),
		      "title", "Emails on push", "slug", "emails-on-push",
		      "created_at", api_time(e->created_at), "updated_at", api_time(e->updated_at),
		      "active", e->active, "commit_events", 1, "push_events", 1,
		      "issues_events", 0, "incident_events", 0, "alert_events", 0,
		      "confidential_issues_events", 0, "merge_requests_events", 0,
		      "tag_push_events", 1, "deployment_events", 0, "note_events", 0,
		      "confidential_note_events", 0, "pipeline_events", 0, "wiki_page_events", 0,
		      "job_events", 0, "comment_on_event_enabled", 0, "inherited", 0,
		      "vulnerability_events", 0);
	json_object_set_new(o, "properties", json_pack("{s:s, s:b, s:b, s:s}",
			    "recipients", e->recipients, "disable_diffs", e->disable_diffs,
			    "send_from_committer_email", e->send_from_committer_email,
			    "branches_to_be_notified", e->branches));
	return o;
}

/* The project, visible to the caller, who must be a Maintainer. */
static int eop_project(struct api_ctx *c, struct project **out)
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

static void eop_get(struct api_ctx *c)
{
	struct emails_on_push *e = NULL;
	struct project *p = NULL;
	int ret;

	if (eop_project(c, &p) < 0)
		return;
	ret = integration_eop_find(c->db, p->id, &e);
	if (ret == 0 || ret == ERR_NOTFOUND)
		api_json(c, 200, eop_json(e));
	else
		api_fail(c, ret, "Integration", NULL);
	integration_eop_free(e);
	project_free(p);
}

/* Reads the parameters over the saved settings (or the defaults). */
static int eop_params(struct api_ctx *c, struct emails_on_push *e)
{
	static const char *const branches[] = { "all", "default", "protected",
						"default_and_protected", NULL };
	const char *recipients = NULL, *which = NULL;

	if (api_param_required(c, "recipients", &recipients) < 0 ||
	    api_param_bool(c, "disable_diffs", &e->disable_diffs) < 0 ||
	    api_param_bool(c, "send_from_committer_email", &e->send_from_committer_email) < 0 ||
	    api_param_enum(c, "branches_to_be_notified", branches, &which) < 0)
		return ERR_INVALID;
	e->recipients = (char *)recipients;
	if (which)
		e->branches = (char *)which;
	return 0;
}

static void eop_put(struct api_ctx *c)
{
	struct emails_on_push *saved = NULL, in = { 0 }, *after = NULL;
	struct strvec to = STRVEC_INIT;
	struct buf err = BUF_INIT_MAX(512);
	struct project *p = NULL;
	int ret;

	if (eop_project(c, &p) < 0)
		return;
	ret = integration_eop_find(c->db, p->id, &saved);
	if (ret < 0 && ret != ERR_NOTFOUND) {
		api_fail(c, ret, "Integration", NULL);
		goto out;
	}
	in.branches = saved ? saved->branches : "all";
	in.disable_diffs = saved ? saved->disable_diffs : 0;
	in.send_from_committer_email = saved ? saved->send_from_committer_email : 0;
	if (eop_params(c, &in) < 0)
		goto out;
	ret = notify_recipients_parse(in.recipients, &to, &err);
	if (ret == 0 && to.nr == 0) {
		buf_addstr(&err, "recipients can't be blank");
		ret = ERR_INVALID;
	}
	if (ret == ERR_INVALID) {
		api_error(c, 400, err.ptr);
		goto out;
	}
	in.project_id = p->id;
	in.active = 1;
	ret = integration_eop_save(c->db, &in, &err);
	if (ret == 0)
		ret = integration_eop_find(c->db, p->id, &after);
	if (ret == ERR_INVALID)
		api_error(c, 400, err.ptr);
	else if (ret < 0)
		api_fail(c, ret, "Integration", &err);
	else
		api_json(c, 200, eop_json(after));
out:
	strvec_release(&to);
	buf_release(&err);
	integration_eop_free(saved);
	integration_eop_free(after);
	project_free(p);
}

static void eop_delete(struct api_ctx *c)
{
	struct project *p = NULL;
	int ret;

	if (eop_project(c, &p) < 0)
		return;
	ret = integration_eop_delete(c->db, p->id);
	if (ret < 0)
		api_fail(c, ret, "Integration", NULL);
	else
		api_no_content(c);
	project_free(p);
}

/* The active integrations of the project (GitLab lists active ones only). */
static void integrations_list(struct api_ctx *c)
{
	struct emails_on_push *e = NULL;
	struct project *p = NULL;
	json_t *items = json_array();
	int ret;

	if (eop_project(c, &p) < 0) {
		json_decref(items);
		return;
	}
	ret = integration_eop_find(c->db, p->id, &e);
	if (ret == 0 && e->active) {
		json_t *o = eop_json(e);

		json_object_del(o, "properties");
		json_array_append_new(items, o);
	}
	if (ret < 0 && ret != ERR_NOTFOUND) {
		json_decref(items);
		api_fail(c, ret, "Integration", NULL);
	} else {
		api_json(c, 200, items);
	}
	integration_eop_free(e);
	project_free(p);
}

const struct api_endpoint api_integration_endpoints[] = {
	{ "GET", "/projects/:id/integrations", integrations_list, API_AUTH },
	{ "GET", "/projects/:id/integrations/emails-on-push", eop_get, API_AUTH },
	{ "PUT", "/projects/:id/integrations/emails-on-push", eop_put, API_AUTH },
	{ "DELETE", "/projects/:id/integrations/emails-on-push", eop_delete, API_AUTH },
	{ "GET", "/projects/:id/services", integrations_list, API_AUTH },
	{ "GET", "/projects/:id/services/emails-on-push", eop_get, API_AUTH },
	{ "PUT", "/projects/:id/services/emails-on-push", eop_put, API_AUTH },
	{ "DELETE", "/projects/:id/services/emails-on-push", eop_delete, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
