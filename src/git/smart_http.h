/* Git's smart HTTP protocol: info/refs, git-upload-pack and
 * git-receive-pack for /NAMESPACE/PROJECT(.git)/…, served by spawning git
 * with --stateless-rpc and streaming both ways. */
#ifndef KURA_SMART_HTTP_H
#define KURA_SMART_HTTP_H

#include "http/http.h"

extern const struct http_route smart_http_routes[];
#define SMART_HTTP_ROUTE_COUNT 3

#endif
