/* Outgoing HTTP with an address policy (see outbound.h). The policy is
 * applied to the sockaddr curl is about to connect to, so what is checked is
 * exactly what is used: no string parsing of hosts, no second DNS lookup. */
#include "jobs/outbound.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/strvec.h"
#include "core/timeutil.h"
#include "core/xalloc.h"

#define OUTBOUND_URL_MAX 4096	/* GitLab's hook URL column is text; 4 KiB is plenty */
#define OUTBOUND_HOST_SHOWN 255

static pthread_once_t outbound_once = PTHREAD_ONCE_INIT;

static void outbound_curl_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		BUG("curl_global_init failed");
}

void outbound_global_init(void)
{
	pthread_once(&outbound_once, outbound_curl_init);
}

/* ---- CIDRs ---- */

int outbound_cidr_parse(const char *s, struct outbound_cidr *out)
{
	struct outbound_cidr c;
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t prefix;
	unsigned max;

	if (n == 0 || n >= sizeof(host))
		return ERR_INVALID;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(&c, 0, sizeof(c));
	if (inet_pton(AF_INET, host, c.addr) == 1)
		c.family = AF_INET;
	else if (inet_pton(AF_INET6, host, c.addr) == 1)
		c.family = AF_INET6;
	else
		return ERR_INVALID;
	max = c.family == AF_INET ? 32 : 128;
	prefix = max;
	if (slash && parse_u64(slash + 1, max, &prefix) < 0)
		return ERR_INVALID;
	c.prefix = (unsigned)prefix;
	/* Clear host bits so comparisons only look at the network. */
	for (unsigned bit = c.prefix; bit < max; bit++)
		c.addr[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
	*out = c;
	return 0;
}

static int allow_bad_entry(struct outbound_allow *a, const char *p, size_t n, struct buf *err)
{
	buf_addstr(err, "outbound_allow_cidrs: ");
	buf_add_quoted(err, p, n, 64);
	buf_addstr(err, " is not a CIDR such as 10.0.0.0/8 or fd00::/8.");
	outbound_allow_release(a);
	return ERR_INVALID;
}

int outbound_allow_parse(struct outbound_allow *out, const char *list, struct buf *err)
{
	struct outbound_allow a = OUTBOUND_ALLOW_INIT;
	const char *p = list ? list : "";

	p += strspn(p, " ");
	while (*p) {
		struct outbound_cidr c;
		char item[INET6_ADDRSTRLEN + 8];
		size_t n = strcspn(p, ","), end = n;

		while (end && p[end - 1] == ' ')
			end--;
		if (!end || end >= sizeof(item))
			return allow_bad_entry(&a, p, end, err);
		memcpy(item, p, end);
		item[end] = '\0';
		if (outbound_cidr_parse(item, &c) < 0)
			return allow_bad_entry(&a, p, end, err);
		a.v = xrealloc(a.v, (a.nr + 1) * sizeof(*a.v));
		a.v[a.nr++] = c;
		p += n;
		if (*p == ',') {
			p += 1 + strspn(p + 1, " ");
			if (!*p)
				return allow_bad_entry(&a, p, 0, err);
		}
	}
	*out = a;
	return 0;
}

void outbound_allow_release(struct outbound_allow *a)
{
	free(a->v);
	a->v = NULL;
	a->nr = 0;
}

static int cidr_contains(const struct outbound_cidr *c, int family, const unsigned char *addr)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;

	if (c->family != family || memcmp(c->addr, addr, full))
		return 0;
	if (!rest)
		return 1;
	return ((addr[full] ^ c->addr[full]) & (0xff00u >> rest)) == 0;
}

int outbound_allow_contains(const struct outbound_allow *allow, const char *address)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, address, a) == 1) {
		for (size_t i = 0; i < allow->nr; i++)
			if (cidr_contains(&allow->v[i], AF_INET, a))
				return 1;
	} else if (inet_pton(AF_INET6, address, a) == 1) {
		for (size_t i = 0; i < allow->nr; i++)
			if (cidr_contains(&allow->v[i], AF_INET6, a))
				return 1;
	}
	return 0;
}

/* ---- the address policy ---- */

struct range {
	const char *cidr;
	const char *why;
};

static const struct range blocked_v4[] = {
	{ "0.0.0.0/8", "this-network" },
	{ "10.0.0.0/8", "private" },
	{ "100.64.0.0/10", "carrier-grade NAT" },
	{ "127.0.0.0/8", "loopback" },
	{ "169.254.0.0/16", "link-local" },
	{ "172.16.0.0/12", "private" },
	{ "192.0.0.0/24", "reserved" },
	{ "192.0.2.0/24", "documentation" },
	{ "192.168.0.0/16", "private" },
	{ "198.18.0.0/15", "benchmarking" },
	{ "198.51.100.0/24", "documentation" },
	{ "203.0.113.0/24", "documentation" },
	{ "224.0.0.0/4", "multicast" },
	{ "240.0.0.0/4", "reserved or broadcast" },
};

static const struct range blocked_v6[] = {
	{ "::/128", "unspecified" },
	{ "::1/128", "loopback" },
	{ "64:ff9b:1::/48", "local NAT64" },
	{ "100::/64", "discard" },
	{ "2001:db8::/32", "documentation" },
	{ "fc00::/7", "unique-local" },
	{ "fe80::/10", "link-local" },
	{ "fec0::/10", "site-local" },
	{ "ff00::/8", "multicast" },
};

static const char *range_find(const struct range *t, size_t n, int family,
			      const unsigned char *addr)
{
	struct outbound_cidr c;

	for (size_t i = 0; i < n; i++) {
		if (outbound_cidr_parse(t[i].cidr, &c) < 0)
			BUG("bad built-in range %s", t[i].cidr);
		if (cidr_contains(&c, family, addr))
			return t[i].why;
	}
	return NULL;
}

/* IPv6 forms that carry an IPv4 destination: mapped (::ffff:a.b.c.d),
 * compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::).
 * Sets v4 and returns 1 for those. */
static int v6_embedded_v4(const unsigned char *a, unsigned char *v4)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const unsigned char zero[12];

	if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12) ||
	    (!memcmp(a, zero, 12) && (a[12] | a[13] | a[14] | (a[15] > 1)))) {
		memcpy(v4, a + 12, 4);
		return 1;
	}
	if (a[0] == 0x20 && a[1] == 0x02) {
		memcpy(v4, a + 2, 4);
		return 1;
	}
	return 0;
}

static int is_metadata(int family, const unsigned char *a)
{
	static const unsigned char v4[4] = { 169, 254, 169, 254 };
	static const unsigned char v6[16] = { 0xfd, 0, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54 };

	return family == AF_INET ? !memcmp(a, v4, 4) : !memcmp(a, v6, 16);
}

static int allow_names_exactly(const struct outbound_allow *allow, int family,
			       const unsigned char *a)
{
	size_t len = family == AF_INET ? 4 : 16;

	for (size_t i = 0; allow && i < allow->nr; i++)
		if (allow->v[i].family == family && allow->v[i].prefix == len * 8 &&
		    !memcmp(allow->v[i].addr, a, len))
			return 1;
	return 0;
}

static int allow_covers(const struct outbound_allow *allow, int family, const unsigned char *a)
{
	for (size_t i = 0; allow && i < allow->nr; i++)
		if (cidr_contains(&allow->v[i], family, a))
			return 1;
	return 0;
}

int outbound_addr_check(const struct outbound_allow *allow, const struct sockaddr *sa,
			struct buf *err)
{
	unsigned char a[16], v4[4];
	char shown[INET6_ADDRSTRLEN];
	int family = sa->sa_family;
	const char *why;

	if (family == AF_INET) {
		memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else {
		buf_addstr(err, "Outgoing requests may only use IPv4 or IPv6.");
		return ERR_DENIED;
	}
	if (!inet_ntop(family, a, shown, sizeof(shown)))
		BUG("inet_ntop failed");
	/* Judge an IPv4 destination hidden in an IPv6 address as that IPv4. */
	if (family == AF_INET6 && v6_embedded_v4(a, v4)) {
		family = AF_INET;
		memcpy(a, v4, 4);
	}
	if (is_metadata(family, a)) {
		if (allow_names_exactly(allow, family, a))
			return 0;
		buf_addf(err, "Outgoing requests may not reach %s (the cloud metadata service) "
			 "unless outbound_allow_cidrs names it exactly (%s/%d).", shown,
			 family == AF_INET ? "169.254.169.254" : "fd00:ec2::254",
			 family == AF_INET ? 32 : 128);
		return ERR_DENIED;
	}
	if (family == AF_INET)
		why = range_find(blocked_v4, sizeof(blocked_v4) / sizeof(*blocked_v4), family, a);
	else
		why = range_find(blocked_v6, sizeof(blocked_v6) / sizeof(*blocked_v6), family, a);
	if (!why || allow_covers(allow, family, a))
		return 0;
	buf_addf(err, "Outgoing requests may not reach %s (a %s address) unless an "
		 "administrator allows it in outbound_allow_cidrs.", shown, why);
	return ERR_DENIED;
}

/* ---- URLs ---- */

struct url_parts {
	char *scheme, *host, *port, *path;
};

static void url_parts_release(struct url_parts *u)
{
	curl_free(u->scheme);
	curl_free(u->host);
	curl_free(u->port);
	curl_free(u->path);
	memset(u, 0, sizeof(*u));
}

/* Parses url with curl's own parser (the one the transfer will use) and
 * checks the scheme. ERR_INVALID with a sentence. */
static int url_parse(const char *url, struct url_parts *out, struct buf *err)
{
	CURLU *h;
	struct url_parts u = { 0 };
	int ret = ERR_INVALID;

	outbound_global_init();
	if (strlen(url) > OUTBOUND_URL_MAX) {
		buf_addf(err, "The URL is longer than %d bytes.", OUTBOUND_URL_MAX);
		return ERR_INVALID;
	}
	h = curl_url();
	if (!h)
		BUG("curl_url: out of memory");
	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &u.scheme, 0) != CURLUE_OK) {
		buf_addstr(err, "The URL is not a valid absolute http or https URL.");
		goto out;
	}
	if (strcmp(u.scheme, "http") && strcmp(u.scheme, "https")) {
		buf_addstr(err, "Only http and https URLs are allowed.");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_HOST, &u.host, 0) != CURLUE_OK || !u.host[0]) {
		buf_addstr(err, "The URL has no host.");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_PORT, &u.port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PATH, &u.path, 0) != CURLUE_OK) {
		buf_addstr(err, "The URL is not a valid absolute http or https URL.");
		goto out;
	}
	ret = 0;
out:
	curl_url_cleanup(h);
	if (ret == 0)
		*out = u;
	else
		url_parts_release(&u);
	return ret;
}

void outbound_url_for_log(struct buf *out, const char *url)
{
	struct url_parts u;
	struct buf ignored = BUF_INIT;
	size_t dflt;

	if (url_parse(url, &u, &ignored) < 0) {
		buf_addstr(out, "(invalid URL)");
		buf_release(&ignored);
		return;
	}
	dflt = !strcmp(u.scheme, "http") ? !strcmp(u.port, "80") : !strcmp(u.port, "443");
	buf_addf(out, "%s://%s", u.scheme, u.host);
	if (!dflt)
		buf_addf(out, ":%s", u.port);
	buf_addstr(out, u.path);
	url_parts_release(&u);
}

int outbound_check_url(const char *url, const struct outbound_allow *allow, struct buf *err)
{
	struct url_parts u;
	struct addrinfo hints, *res = NULL;
	char host[OUTBOUND_URL_MAX + 1];
	size_t n;
	int ret, gai;

	ret = url_parse(url, &u, err);
	if (ret < 0)
		return ret;
	/* CURLU keeps IPv6 literals in brackets; getaddrinfo wants them bare. */
	n = strlen(u.host);
	if (u.host[0] == '[' && n >= 2 && u.host[n - 1] == ']') {
		memcpy(host, u.host + 1, n - 2);
		host[n - 2] = '\0';
	} else {
		memcpy(host, u.host, n + 1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	gai = getaddrinfo(host, u.port, &hints, &res);
	if (gai != 0 || !res) {
		buf_addstr(err, "The host ");
		buf_add_quoted(err, host, strlen(host), OUTBOUND_HOST_SHOWN);
		buf_addstr(err, " could not be resolved.");
		ret = ERR_INVALID;
		goto out;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		ret = outbound_addr_check(allow, ai->ai_addr, err);
		if (ret < 0)
			break;
	}
out:
	if (res)
		freeaddrinfo(res);
	url_parts_release(&u);
	return ret;
}

/* ---- the transfer ---- */

struct transfer {
	const struct outbound_allow *allow;
	struct buf refusal;	/* the first refused address's sentence */
	int refused;
	struct buf *body;
	size_t max;
	int truncated;
};

static curl_socket_t transfer_open_socket(void *clientp, curlsocktype purpose,
					  struct curl_sockaddr *a)
{
	struct transfer *t = clientp;
	struct buf why = BUF_INIT;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	if (outbound_addr_check(t->allow, &a->addr, &why) < 0) {
		if (!t->refused)
			buf_addstr(&t->refusal, why.ptr);
		t->refused = 1;
		buf_release(&why);
		return CURL_SOCKET_BAD;
	}
	buf_release(&why);
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t transfer_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t n = size * nmemb, room = t->max - t->body->len;

	if (n > room) {
		/* Keep what fits and stop reading: an endless body must not
		 * hold the worker for the whole timeout. */
		buf_add(t->body, data, room);
		t->truncated = 1;
		return 0;
	}
	buf_add(t->body, data, n);
	return n;
}

static int headers_build(struct curl_slist **out, const struct strvec *headers, struct buf *err)
{
	struct curl_slist *list = NULL, *next;

	for (size_t i = 0; headers && i < headers->nr; i++) {
		if (strpbrk(headers->v[i], "\r\n")) {
			buf_addstr(err, "A request header contains a line break.");
			curl_slist_free_all(list);
			return ERR_INVALID;
		}
		next = curl_slist_append(list, headers->v[i]);
		if (!next)
			BUG("curl_slist_append: out of memory");
		list = next;
	}
	/* No 100-continue round trip: the body is small and already here. */
	next = curl_slist_append(list, "Expect:");
	if (!next)
		BUG("curl_slist_append: out of memory");
	*out = next;
	return 0;
}

static void transfer_setup(CURL *c, const struct outbound_req *req, struct transfer *t,
			   struct curl_slist *headers)
{
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 0L);
	/* A proxy from the environment would make us connect to it, unvetted. */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, req->verify_tls ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, req->verify_tls ? 2L : 0L);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, transfer_open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, transfer_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
}

/* Maps the outcome of a finished transfer to our codes and one sentence. */
static int transfer_result(CURL *c, CURLcode rc, const struct outbound_req *req,
			   struct transfer *t, struct outbound_resp *out, struct buf *err)
{
	char *location = NULL;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	if (rc == CURLE_WRITE_ERROR && t->truncated)
		rc = CURLE_OK;
	if (rc == CURLE_OK && out->status >= 300 && out->status < 400) {
		buf_addf(err, "The target answered %ld", out->status);
		curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location);
		if (location) {
			buf_addstr(err, " with a redirect to ");
			outbound_url_for_log(err, location);
		}
		buf_addstr(err, "; redirects are not followed.");
		return ERR_INVALID;
	}
	if (rc == CURLE_OK)
		return 0;
	if (t->refused && rc == CURLE_COULDNT_CONNECT) {
		buf_addstr(err, t->refusal.ptr);
		return ERR_DENIED;
	}
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		buf_addstr(err, "Only http and https URLs are allowed.");
		return ERR_INVALID;
	case CURLE_OPERATION_TIMEDOUT:
		buf_addf(err, "The target did not answer within %ld ms.", req->timeout_ms);
		return ERR_UNAVAILABLE;
	case CURLE_COULDNT_RESOLVE_HOST:
		buf_addstr(err, "The host could not be resolved.");
		return ERR_UNAVAILABLE;
	default:
		buf_addf(err, "The request failed: %s.", curl_easy_strerror(rc));
		return ERR_UNAVAILABLE;
	}
}

int outbound_request(const struct outbound_req *req, struct outbound_resp *out, struct buf *err)
{
	struct transfer t = { req->allow, BUF_INIT, 0, &out->body, req->response_max, 0 };
	struct curl_slist *headers = NULL;
	struct url_parts u;
	CURL *c = NULL;
	CURLcode rc;
	int64_t start = time_mono_ms();
	int ret;

	out->status = 0;
	out->duration_ms = 0;
	out->truncated = 0;
	out->refused = 0;
	buf_reset(&out->body);
	ret = url_parse(req->url, &u, err);
	if (ret < 0)
		return ret;
	url_parts_release(&u);
	ret = headers_build(&headers, req->headers, err);
	if (ret < 0)
		return ret;
	outbound_global_init();
	c = curl_easy_init();
	if (!c)
		BUG("curl_easy_init failed");
	transfer_setup(c, req, &t, headers);
	rc = curl_easy_perform(c);
	out->duration_ms = time_mono_ms() - start;
	ret = transfer_result(c, rc, req, &t, out, err);
	out->truncated = t.truncated;
	out->refused = t.refused && ret == ERR_DENIED;
	log_debug("outbound", "request status=%ld ms=%lld ret=%s", out->status,
		  (long long)out->duration_ms, err_name(ret));
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	buf_release(&t.refusal);
	return ret;
}

void outbound_resp_release(struct outbound_resp *r)
{
	buf_release(&r->body);
	r->status = 0;
}
