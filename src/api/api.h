/* The GitLab-compatible REST API: one route claiming /api/v4/… that
 * authenticates, merges parameters and dispatches to the endpoint tables of
 * the resource files (see api_ctx.h). */
#ifndef KURA_API_H
#define KURA_API_H

#include "http/http.h"

extern const struct http_route api_routes[];
#define API_ROUTE_COUNT 2

#endif
