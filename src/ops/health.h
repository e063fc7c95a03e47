/* /-/liveness, /-/readiness and /-/health for load balancers and
 * orchestrators. */
#ifndef KURA_HEALTH_H
#define KURA_HEALTH_H

#include "http/http.h"

extern const struct http_route health_routes[];
#define HEALTH_ROUTE_COUNT 3

#endif
