/* What the OAuth2 handlers share. They run on the web UI's request context
 * (struct web_ctx): the session, CSRF token, form fields and page layout of
 * the sign-in flow are the web UI's own, so the consent page is one more
 * page of the same site. */
#ifndef KURA_OAUTH_INT_H
#define KURA_OAUTH_INT_H

#include "web/web_ctx.h"

/* A request parameter: the form (or JSON) body of a POST, else the query. */
const char *oauth_param(struct web_ctx *c, const char *name);

/* GET and POST /oauth/authorize (oauth_authorize.c). */
void oauth_authorize(struct web_ctx *c);
/* GET and POST /oauth/applications (oauth_apps_page.c). */
void oauth_applications(struct web_ctx *c);

#endif
