/* The web UI's route: server-rendered pages under GitLab's URL scheme. It
 * is the catch-all of the route table, registered after health, the API,
 * Git HTTP and OAuth. */
#ifndef KURA_WEB_H
#define KURA_WEB_H

#include "http/http.h"

extern const struct http_route web_routes[];
#define WEB_ROUTE_COUNT 1

#endif
