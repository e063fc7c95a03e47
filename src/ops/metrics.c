#include "metrics.h"
#include "app.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "git/gitproc.h"
#include "jobs/outbound.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_MAX_SERIES 256	/* route x method x status: routes are a fixed set */

static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct series {
	const char *route;	/* static strings from the route table */
	char method[8];
	int status;
	unsigned long long count;
	unsigned long long bytes;
	unsigned long long bucket[NBUCKETS];
	double sum;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct series series[METRICS_MAX_SERIES];
static size_t nseries;
static struct outbound_allow allow = OUTBOUND_ALLOW_INIT;
static int64_t started_ms;

int metrics_init(const struct config *cfg, struct buf *err)
{
	started_ms = time_now_ms();
	return outbound_allow_parse(&allow, cfg->metrics_allow_cidrs, err) < 0 ? ERR_INVALID : 0;
}

void metrics_release(void)
{
	outbound_allow_release(&allow);
}

static struct series *series_for(const char *route, const char *method, int status)
{
	for (size_t i = 0; i < nseries; i++)
		if (series[i].route == route && series[i].status == status &&
		    !strcmp(series[i].method, method))
			return &series[i];
	if (nseries == METRICS_MAX_SERIES)
		return NULL;
	series[nseries].route = route;
	snprintf(series[nseries].method, sizeof(series[nseries].method), "%s", method);
	series[nseries].status = status;
	return &series[nseries++];
}

void metrics_observe(const struct http_req *req)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE" };
	const char *method = "OTHER";
	double secs = (double)(time_mono_ms() - req->start_ms) / 1000.0;
	struct series *s;

	if (!req->started)
		return;
	/* Only known methods: a client must not be able to mint series. */
	for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++)
		if (req->method && !strcmp(req->method, methods[i]))
			method = methods[i];
	pthread_mutex_lock(&lock);
	s = series_for(req->route ? req->route->name : "none", method, req->status);
	if (s) {
		s->count++;
		s->bytes += req->bytes_out;
		s->sum += secs;
		for (size_t b = 0; b < NBUCKETS; b++)
			if (secs <= buckets[b])
				s->bucket[b]++;
	}
	pthread_mutex_unlock(&lock);
}

static void emit_http(struct buf *out)
{
	buf_addstr(out, "# HELP http_requests_total HTTP requests by route, method and status.\n"
			"# TYPE http_requests_total counter\n");
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nseries; i++)
		buf_addf(out, "http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
			 series[i].route, series[i].method, series[i].status, series[i].count);
	buf_addstr(out, "# HELP http_response_bytes_total Response body bytes by route.\n"
			"# TYPE http_response_bytes_total counter\n");
	for (size_t i = 0; i < nseries; i++)
		buf_addf(out, "http_response_bytes_total{route=\"%s\",method=\"%s\",status=\"%d\"}"
			 " %llu\n", series[i].route, series[i].method, series[i].status,
			 series[i].bytes);
	buf_addstr(out, "# HELP http_request_duration_seconds Time from the first byte of a "
			"request to its completion.\n"
			"# TYPE http_request_duration_seconds histogram\n");
	for (size_t i = 0; i < nseries; i++) {
		const struct series *s = &series[i];
		char labels[128];

		snprintf(labels, sizeof(labels), "route=\"%s\",method=\"%s\",status=\"%d\"",
			 s->route, s->method, s->status);
		for (size_t b = 0; b < NBUCKETS; b++)
			buf_addf(out, "http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n",
				 labels, buckets[b], s->bucket[b]);
		buf_addf(out, "http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", labels,
			 s->count);
		buf_addf(out, "http_request_duration_seconds_sum{%s} %.6f\n", labels, s->sum);
		buf_addf(out, "http_request_duration_seconds_count{%s} %llu\n", labels, s->count);
	}
	pthread_mutex_unlock(&lock);
}

static void emit_jobs(struct buf *out, struct db *db)
{
	struct db_stmt *st = NULL;
	int ret;

	buf_addstr(out, "# HELP kura_jobs Jobs in the durable queue by kind and state.\n"
			"# TYPE kura_jobs gauge\n");
	if (!db)
		return;
	/* Done jobs are history; pending and failed ones are what to watch. */
	ret = db_prepare(db, &st, "SELECT kind, state, count(*) FROM jobs WHERE state <> 'done'"
			 " GROUP BY kind, state ORDER BY kind, state");
	while (ret == 0 && (ret = db_step(st)) > 0) {
		const char *kind = db_col_text(st, 0), *state = db_col_text(st, 1);

		/* Kinds and states are ours, never client text. */
		if (kind && state && strspn(kind, "abcdefghijklmnopqrstuvwxyz_") == strlen(kind))
			buf_addf(out, "kura_jobs{kind=\"%s\",state=\"%s\"} %lld\n", kind, state,
				 (long long)db_col_int64(st, 2));
		ret = 0;
	}
	db_stmt_free(st);
}

static int match_metrics(struct http_req *req)
{
	return !strcmp(req->path, "/-/metrics");
}

static void metrics_end(struct http_req *req)
{
	struct app *app = req->app;
	struct buf out = BUF_INIT;
	struct db *db;
	int open = 0, idle = 0, size = 0;

	if (!outbound_allow_contains(&allow, req->client_address)) {
		http_respond(req, 404, "application/json", "{\"error\":\"404 Not Found\"}", 25);
		return;
	}
	emit_http(&out);
	buf_addf(&out, "# HELP kura_git_processes Git children running now.\n"
		 "# TYPE kura_git_processes gauge\nkura_git_processes %d\n", gitproc_active());
	db_pool_stats(app->pool, &open, &idle, &size);
	buf_addf(&out, "# HELP kura_db_connections Database connections of this process.\n"
		 "# TYPE kura_db_connections gauge\n"
		 "kura_db_connections{state=\"open\"} %d\nkura_db_connections{state=\"idle\"} %d\n"
		 "kura_db_connections{state=\"max\"} %d\n", open, idle, size);
	db = db_get(app->pool);
	buf_addf(&out, "# HELP kura_db_up Whether the database answered this scrape.\n"
		 "# TYPE kura_db_up gauge\nkura_db_up %d\n", db && db_ping(db) == 0);
	emit_jobs(&out, db);
	db_put(app->pool, db);
	buf_addf(&out, "# HELP kura_build_info Version of this kura.\n"
		 "# TYPE kura_build_info gauge\nkura_build_info{version=\"%s\"} 1\n"
		 "# HELP process_start_time_seconds Start time of the process.\n"
		 "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %lld\n",
		 KURA_VERSION, (long long)(started_ms / 1000));
	http_respond_buf(req, 200, "text/plain; version=0.0.4; charset=utf-8", &out);
}

const struct http_route metrics_routes[] = {
	{ .name = "metrics", .match = match_metrics, .end = metrics_end },
};
