#include "remote.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "git/gitproc.h"
#include "jobs/outbound.h"

#include <curl/curl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REMOTE_DEFAULT_USER "oauth2"	/* GitLab and kura accept any name with a token */

static char *dup_or_null(const char *s)
{
	return s && s[0] ? xstrdup(s) : NULL;
}

static void secret_free(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

/* Control bytes and spaces have no place in a URL git will see. */
static int url_chars_ok(const char *url)
{
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* A DNS name or an IP literal, in the characters http.curloptResolve and
 * "-c key=value" take without ambiguity. */
static int host_chars_ok(const char *host)
{
	size_t n = strlen(host);

	if (host[0] == '[')
		return n > 2 && host[n - 1] == ']' &&
		       strspn(host + 1, "0123456789abcdefABCDEF:.") == n - 2;
	return n > 0 && n <= 253 && host[0] != '-' &&
	       strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

/* Stored as "username\npassword" and handed to git line by line. */
static int secret_ok(const char *s)
{
	if (!s)
		return 1;
	if (strlen(s) > REMOTE_SECRET_MAX)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

struct url_bits {
	char *scheme, *host, *port, *path, *user, *password, *query, *fragment;
};

static void url_bits_release(struct url_bits *b)
{
	curl_free(b->scheme);
	curl_free(b->host);
	curl_free(b->port);
	curl_free(b->path);
	if (b->user)
		sodium_memzero(b->user, strlen(b->user));
	curl_free(b->user);
	if (b->password)
		sodium_memzero(b->password, strlen(b->password));
	curl_free(b->password);
	curl_free(b->query);
	curl_free(b->fragment);
}

static int url_split(CURLU *h, const char *url, struct url_bits *b, struct buf *err)
{
	CURLUcode rc;

	if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &b->scheme, 0) != CURLUE_OK) {
		buf_addstr(err, "The import URL is not a valid absolute http or https URL.");
		return ERR_INVALID;
	}
	if (strcmp(b->scheme, "http") && strcmp(b->scheme, "https")) {
		buf_addstr(err, "Only http and https import URLs are allowed.");
		return ERR_INVALID;
	}
	if (curl_url_get(h, CURLUPART_HOST, &b->host, 0) != CURLUE_OK || !host_chars_ok(b->host)) {
		buf_addstr(err, "The import URL has no valid host.");
		return ERR_INVALID;
	}
	(void)curl_url_get(h, CURLUPART_QUERY, &b->query, 0);
	(void)curl_url_get(h, CURLUPART_FRAGMENT, &b->fragment, 0);
	if (b->query || b->fragment) {
		buf_addstr(err, "The import URL may not have a query or fragment.");
		return ERR_INVALID;
	}
	if (curl_url_get(h, CURLUPART_PORT, &b->port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PATH, &b->path, 0) != CURLUE_OK || !b->path[0]) {
		buf_addstr(err, "The import URL is not a valid absolute http or https URL.");
		return ERR_INVALID;
	}
	/* A userinfo that does not decode cleanly is refused, not dropped. */
	rc = curl_url_get(h, CURLUPART_USER, &b->user, CURLU_URLDECODE);
	if (rc == CURLUE_OK || rc == CURLUE_NO_USER)
		rc = curl_url_get(h, CURLUPART_PASSWORD, &b->password, CURLU_URLDECODE);
	if (rc != CURLUE_OK && rc != CURLUE_NO_USER && rc != CURLUE_NO_PASSWORD) {
		buf_addstr(err, "The import URL's credentials are malformed.");
		return ERR_INVALID;
	}
	return 0;
}

int remote_parse(struct remote *out, const char *url, const char *username,
		 const char *password, struct buf *err)
{
	struct url_bits b = { 0 };
	struct buf clean = BUF_INIT;
	CURLU *h;
	int dflt, ret;

	outbound_global_init();
	if (!url || !url[0] || strlen(url) > REMOTE_URL_MAX || !url_chars_ok(url)) {
		buf_addf(err, "The import URL must be an http or https URL of at most %d bytes "
			 "without spaces or control characters.", REMOTE_URL_MAX);
		return ERR_INVALID;
	}
	if (!secret_ok(username) || !secret_ok(password)) {
		buf_addf(err, "Import credentials must be at most %d bytes without control "
			 "characters.", REMOTE_SECRET_MAX);
		return ERR_INVALID;
	}
	h = curl_url();
	if (!h)
		BUG("curl_url: out of memory");
	ret = url_split(h, url, &b, err);
	if (ret < 0)
		goto out;
	if (!secret_ok(b.user) || !secret_ok(b.password)) {
		buf_addstr(err, "The import URL's credentials contain control characters.");
		ret = ERR_INVALID;
		goto out;
	}
	dflt = !strcmp(b.scheme, "http") ? !strcmp(b.port, "80") : !strcmp(b.port, "443");
	buf_addf(&clean, "%s://%s", b.scheme, b.host);
	if (!dflt)
		buf_addf(&clean, ":%s", b.port);
	buf_addstr(&clean, b.path);
	out->url = buf_detach(&clean, NULL);
	out->host = xstrdup(b.host);
	out->port = xstrdup(b.port);
	/* Credentials in the URL are the most specific: they win. */
	out->username = dup_or_null(b.user && b.user[0] ? b.user : username);
	out->password = dup_or_null(b.password && b.password[0] ? b.password : password);
	out->resolve = NULL;
	if (out->password && !out->username)
		out->username = xstrdup(REMOTE_DEFAULT_USER);
out:
	url_bits_release(&b);
	curl_url_cleanup(h);
	buf_release(&clean);
	return ret;
}

void remote_release(struct remote *r)
{
	free(r->url);
	free(r->host);
	free(r->port);
	secret_free(r->username);
	secret_free(r->password);
	free(r->resolve);
	memset(r, 0, sizeof(*r));
}

static void addr_text(struct buf *out, const struct sockaddr *sa)
{
	char s[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, s, sizeof(s));
		buf_addf(out, "[%s]", s);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, s, sizeof(s));
		buf_addstr(out, s);
	}
}

int remote_vet(struct remote *r, const struct outbound_allow *allow, struct buf *err)
{
	struct addrinfo hints, *res = NULL;
	struct buf host = BUF_INIT, pin = BUF_INIT;
	size_t n = strlen(r->host);
	int ret = 0, gai;

	if (r->host[0] == '[')
		buf_add(&host, r->host + 1, n - 2);
	else
		buf_addstr(&host, r->host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	gai = getaddrinfo(host.ptr, r->port, &hints, &res);
	if (gai != 0 || !res) {
		buf_addstr(err, "The host of the import URL could not be resolved.");
		ret = ERR_INVALID;
		goto out;
	}
	for (struct addrinfo *ai = res; ai && ret == 0; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		ret = outbound_addr_check(allow, ai->ai_addr, err);
		if (ret == 0 && !pin.len) {
			buf_addf(&pin, "%s:%s:", r->host, r->port);
			addr_text(&pin, ai->ai_addr);
		}
	}
	if (ret == 0 && !pin.len) {
		buf_addstr(err, "The host of the import URL has no usable address.");
		ret = ERR_INVALID;
	}
	if (ret == 0) {
		free(r->resolve);
		r->resolve = buf_detach(&pin, NULL);
	}
out:
	if (res)
		freeaddrinfo(res);
	buf_release(&host);
	buf_release(&pin);
	return ret;
}

void remote_git_setup(struct gitproc *p, const struct remote *r)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	/* The global config says protocol.allow=never: allow exactly these. */
	gitproc_arg(p, "-c");
	gitproc_arg(p, "protocol.https.allow=always");
	gitproc_arg(p, "-c");
	gitproc_arg(p, "protocol.http.allow=always");
	gitproc_arg(p, "-c");
	gitproc_arg(p, "http.followRedirects=false");
	gitproc_arg(p, "-c");
	gitproc_arg(p, "credential.helper=");
	gitproc_arg(p, "-c");
	gitproc_arg(p, "http.proxy=");
	/* A remote that stalls is given up on instead of holding a worker. */
	gitproc_arg(p, "-c");
	gitproc_arg(p, "http.lowSpeedLimit=1");
	gitproc_arg(p, "-c");
	gitproc_arg(p, "http.lowSpeedTime=120");
	if (r->resolve) {
		struct buf opt = BUF_INIT;

		buf_addf(&opt, "http.curloptResolve=%s", r->resolve);
		gitproc_arg(p, "-c");
		gitproc_arg_value(p, opt.ptr);
		buf_release(&opt);
	}
	if (n > 0) {
		self[n] = '\0';
		gitproc_env(p, "GIT_ASKPASS", self);
		gitproc_env(p, "KURA_ASKPASS", "1");
	}
	gitproc_env(p, "KURA_ASKPASS_USERNAME", r->username ? r->username : "");
	gitproc_env(p, "KURA_ASKPASS_PASSWORD", r->password ? r->password : "");
}

void remote_url_masked(struct buf *out, const struct remote *r)
{
	const char *sep = strstr(r->url, "://");

	if (!sep || (!r->username && !r->password)) {
		buf_addstr(out, r->url);
		return;
	}
	buf_add(out, r->url, (size_t)(sep - r->url) + 3);
	buf_addstr(out, "*****:*****@");
	buf_addstr(out, sep + 3);
}

void remote_scrub(struct buf *text)
{
	struct buf out = BUF_INIT;
	const char *s = text->ptr, *end = text->ptr + text->len;

	while (s < end) {
		const char *sep = strstr(s, "://");
		const char *stop, *at = NULL;

		if (!sep) {
			buf_add(&out, s, (size_t)(end - s));
			break;
		}
		sep += 3;
		buf_add(&out, s, (size_t)(sep - s));
		stop = sep + strcspn(sep, "/ \t\r\n'\"");
		for (const char *q = sep; q < stop; q++)
			if (*q == '@')
				at = q;
		s = at ? at + 1 : sep;
	}
	buf_reset(text);
	buf_add(text, out.ptr, out.len);
	buf_release(&out);
}

int remote_is_askpass(void)
{
	const char *v = getenv("KURA_ASKPASS");

	return v && !strcmp(v, "1");
}

int remote_askpass_main(int argc, char **argv)
{
	const char *prompt = argc > 1 ? argv[1] : "";
	const char *v;

	/* git asks "Username for 'URL': " and "Password for 'URL': ". */
	if (!strncmp(prompt, "Username", 8))
		v = getenv("KURA_ASKPASS_USERNAME");
	else if (!strncmp(prompt, "Password", 8))
		v = getenv("KURA_ASKPASS_PASSWORD");
	else
		return 1;
	if (!v)
		return 1;
	printf("%s\n", v);
	return fflush(stdout) == 0 ? 0 : 1;
}
