/* Which handler answers which URL, in the order they are tried. Only this
 * file (and main.c) knows the handler modules. */
#include "routes.h"
#include "http/http.h"
#include "api/api.h"
#include "git/smart_http.h"
#include "oauth/oauth.h"
#include "ops/health.h"
#include "ops/metrics.h"
#include "web/web.h"

#include <pthread.h>
#include <string.h>

#define MAX_ROUTES 128

static struct http_route table[MAX_ROUTES];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static size_t add(size_t n, const struct http_route *routes, size_t count)
{
	memcpy(&table[n], routes, count * sizeof(*routes));
	return n + count;
}

static void table_build(void)
{
	size_t n = 0;

	n = add(n, health_routes, HEALTH_ROUTE_COUNT);
	n = add(n, metrics_routes, METRICS_ROUTE_COUNT);
	n = add(n, api_routes, API_ROUTE_COUNT);
	n = add(n, smart_http_routes, SMART_HTTP_ROUTE_COUNT);
	n = add(n, oauth_routes, OAUTH_ROUTE_COUNT);
	/* The web UI is the catch-all: it must stay last. */
	n = add(n, web_routes, WEB_ROUTE_COUNT);
	memset(&table[n], 0, sizeof(table[n]));
}

const struct http_route *routes_all(void)
{
	pthread_once(&table_once, table_build);
	return table;
}
