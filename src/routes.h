/* The route table of kura serve, in match order. */
#ifndef KURA_ROUTES_H
#define KURA_ROUTES_H

struct http_route;

const struct http_route *routes_all(void);

#endif
