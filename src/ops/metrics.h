/* /-/metrics in Prometheus text format: requests by route and status,
 * latency histograms, git processes, the job queue, the database pool and
 * build info. Only addresses in metrics_allow_cidrs may scrape it (others
 * get 404, as on GitLab). */
#ifndef KURA_METRICS_H
#define KURA_METRICS_H

#include "http/http.h"

struct buf;
struct config;

/* Reads the allow-list; ERR_INVALID with a sentence for a bad entry. */
int metrics_init(const struct config *cfg, struct buf *err);
void metrics_release(void);
/* Counts a finished request (http_server_opts.on_complete). */
void metrics_observe(const struct http_req *req);

extern const struct http_route metrics_routes[];
#define METRICS_ROUTE_COUNT 1

#endif
