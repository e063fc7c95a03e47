/* Outgoing HTTP requests to addresses users choose (webhooks now, imports and
 * mirrors later). Only http and https, no redirects followed, a timeout and a
 * response cap, no proxy, and every address curl is about to connect to is
 * vetted in its open-socket callback: loopback, private, link-local, CGNAT,
 * unique-local, multicast and reserved ranges (and their IPv4-mapped IPv6
 * forms) are refused unless the administrator's allow-list covers them. The
 * cloud metadata addresses 169.254.169.254 and fd00:ec2::254 pass only with an
 * entry naming exactly them (/32, /128). Because the check sees the sockaddr
 * curl connects to, alternate spellings (2130706433, 0x7f000001, 127.1) and
 * DNS rebinding between check and use change nothing.
 *
 * Secrets: URLs may carry userinfo and query-string secrets and headers carry
 * tokens; nothing here logs a URL or a header. outbound_url_for_log() gives a
 * form safe to show. */
#ifndef KURA_OUTBOUND_H
#define KURA_OUTBOUND_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/buf.h"

struct strvec;

struct outbound_cidr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];	/* network order; the first 4 bytes for AF_INET */
	unsigned prefix;	/* 0..32 or 0..128 */
};

struct outbound_allow {
	struct outbound_cidr *v;
	size_t nr;
};

#define OUTBOUND_ALLOW_INIT { NULL, 0 }

/* Calls curl_global_init once; safe from any thread, idempotent. Every
 * function below calls it too, but a server should call it before it starts
 * threads. */
void outbound_global_init(void);

/* "10.0.0.0/8", "fd00::/8", "192.0.2.7" (a host: /32 or /128). Whole string,
 * no spaces; host bits beyond the prefix are cleared. ERR_INVALID otherwise,
 * out untouched. */
int outbound_cidr_parse(const char *s, struct outbound_cidr *out);
/* A comma-separated list (spaces around commas allowed, NULL or empty: none).
 * ERR_INVALID with one sentence naming the bad entry; out untouched. */
int outbound_allow_parse(struct outbound_allow *out, const char *list, struct buf *err);
void outbound_allow_release(struct outbound_allow *a);
/* Is the textual address (IPv4 or IPv6) inside one of the list's ranges?
 * (Also used for inbound allow-lists, e.g. who may scrape /-/metrics.) */
int outbound_allow_contains(const struct outbound_allow *allow, const char *address);

/* 0 when an outgoing connection may reach sa (AF_INET or AF_INET6), else
 * ERR_DENIED with one sentence naming the address and why. allow may be NULL. */
int outbound_addr_check(const struct outbound_allow *allow, const struct sockaddr *sa,
			struct buf *err);

/* The creation-time check of a hook (or import) URL: parses it, refuses
 * other schemes than http and https, a missing host, and a host with any
 * resolved address outbound_addr_check refuses. ERR_INVALID (malformed or
 * unresolvable) or ERR_DENIED (refused address), with one sentence in err
 * that never repeats the URL's userinfo or query. The check at delivery is
 * the one that counts (DNS may change); this one gives users an early error. */
int outbound_check_url(const char *url, const struct outbound_allow *allow, struct buf *err);

/* scheme://host[:port]/path of url, without userinfo, query or fragment;
 * "(invalid URL)" when it does not parse. */
void outbound_url_for_log(struct buf *out, const char *url);

struct outbound_req {
	const char *url;
	const struct strvec *headers;	/* "Name: value" lines; CR/LF refused */
	const char *body;		/* POSTed from memory; NULL: GET */
	size_t body_len;
	long timeout_ms;		/* connect and total */
	int verify_tls;			/* 0 skips certificate and host name checks */
	size_t response_max;		/* bytes of response body kept */
	const struct outbound_allow *allow;
};

struct outbound_resp {
	long status;		/* 0 when no response arrived */
	int64_t duration_ms;
	struct buf body;	/* at most response_max bytes; owned, release it */
	int truncated;		/* the target sent more; the transfer was cut */
	int refused;		/* an address was refused by the policy above */
};

#define OUTBOUND_RESP_INIT { 0, 0, BUF_INIT, 0, 0 }

/* Sends the request. out is filled on every path (the delivery log wants the
 * status and body of failures too); initialise it with OUTBOUND_RESP_INIT and
 * outbound_resp_release() it after.
 *   0               a response arrived (any status except 3xx)
 *   ERR_INVALID     bad request: URL, scheme, header with CR/LF, or a 3xx
 *                   answer (redirects are not followed)
 *   ERR_DENIED      every address of the host was refused by the policy
 *   ERR_UNAVAILABLE network error, TLS failure or timeout: worth a retry
 * err gets one sentence on failure; it never contains userinfo or query. */
int outbound_request(const struct outbound_req *req, struct outbound_resp *out, struct buf *err);
void outbound_resp_release(struct outbound_resp *r);

#endif
