/* /version, /metadata and /application/statistics. */
#include "api_ctx.h"
#include "core/err.h"
#include "model/stats.h"

#include <inttypes.h>
#include <stdio.h>

/* The GitLab release whose API kura follows; clients gate features on it. */
#define API_GITLAB_VERSION "15.4.0"

static void version_get(struct api_ctx *c)
{
	api_json(c, 200, json_pack("{s:s, s:s}", "version", API_GITLAB_VERSION,
				   "revision", "kura-" KURA_VERSION));
}

static void metadata_get(struct api_ctx *c)
{
	api_json(c, 200, json_pack("{s:s, s:s, s:{s:b, s:n, s:n}, s:b}",
				   "version", API_GITLAB_VERSION, "revision", "kura-" KURA_VERSION,
				   "kas", "enabled", 0, "externalUrl", "version",
				   "enterprise", 0));
}

static json_t *count_str(int64_t n)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRId64, n);
	return json_string(tmp);
}

/* GitLab sends every count as a string. */
static void statistics_get(struct api_ctx *c)
{
	static const char *const zero[] = { "forks", "issues", "merge_requests", "notes",
					    "snippets", "ssh_keys", "milestones", NULL };
	struct stats_counts s;
	json_t *o;
	int ret = stats_count(c->db, &s);

	if (ret < 0) {
		api_fail(c, ret, NULL, NULL);
		return;
	}
	o = json_object();
	for (int i = 0; zero[i]; i++)
		json_object_set_new(o, zero[i], json_string("0"));
	json_object_set_new(o, "users", count_str(s.users));
	json_object_set_new(o, "active_users", count_str(s.active_users));
	json_object_set_new(o, "groups", count_str(s.groups));
	json_object_set_new(o, "projects", count_str(s.projects));
	api_json(c, 200, o);
}

const struct api_endpoint api_meta_endpoints[] = {
	{ "GET", "/version", version_get, API_AUTH },
	{ "GET", "/metadata", metadata_get, API_AUTH },
	{ "GET", "/application/statistics", statistics_get, API_ADMIN },
	{ NULL, NULL, NULL, 0 },
};
