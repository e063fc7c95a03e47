/* The OAuth2 provider's route: /oauth/authorize, /oauth/token,
 * /oauth/revoke, /oauth/token/info and the /oauth/applications page,
 * registered before the web UI's catch-all. */
#ifndef KURA_OAUTH_H
#define KURA_OAUTH_H

#include "http/http.h"

extern const struct http_route oauth_routes[];
#define OAUTH_ROUTE_COUNT 1

#endif
