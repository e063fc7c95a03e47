#include "health.h"
#include "app.h"
#include "core/err.h"
#include "db/db.h"
#include "git/repo_store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int match_liveness(struct http_req *req)
{
	return !strcmp(req->path, "/-/liveness");
}

static int match_readiness(struct http_req *req)
{
	return !strcmp(req->path, "/-/readiness");
}

static int match_health(struct http_req *req)
{
	return !strcmp(req->path, "/-/health");
}

static void liveness_end(struct http_req *req)
{
	static const char body[] = "{\"status\":\"ok\"}";

	http_respond(req, 200, "application/json", body, sizeof(body) - 1);
}

static void health_end(struct http_req *req)
{
	http_respond(req, 200, "text/plain", "kura OK", 7);
}

static json_t *check_result(int ret, const char *failure)
{
	if (ret == 0)
		return json_pack("[{s:s}]", "status", "ok");
	return json_pack("[{s:s, s:s}]", "status", "failed", "message", failure);
}

/* Readiness is what the load balancer routes on: the database answers and
 * the repository storage takes writes. */
static void readiness_end(struct http_req *req)
{
	struct app *app = req->app;
	struct db *db = db_get(app->pool);
	int db_ret = db ? db_ping(db) : ERR_UNAVAILABLE;
	int storage_ret = repo_store_check();
	int ok = db_ret == 0 && storage_ret == 0;
	json_t *obj;
	char *s;

	db_put(app->pool, db);
	obj = json_pack("{s:s, s:[{s:s}], s:o, s:o}", "status", ok ? "ok" : "failed",
			"master_check", "status", ok ? "ok" : "failed",
			"db_check", check_result(db_ret, "database unreachable"),
			"storage_check", check_result(storage_ret, "repository storage not writable"));
	s = json_dumps(obj, JSON_COMPACT);
	http_respond(req, ok ? 200 : 503, "application/json", s, strlen(s));
	free(s);
	json_decref(obj);
}

const struct http_route health_routes[] = {
	{ .name = "liveness", .match = match_liveness, .end = liveness_end },
	{ .name = "readiness", .match = match_readiness, .end = readiness_end },
	{ .name = "health", .match = match_health, .end = health_end },
};
