/* GitLab-shaped answers: JSON bodies with exactly "application/json",
 * error bodies, and offset pagination headers with Link built from the
 * external URL. */
#include "api_ctx.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/parse.h"
#include "http/http.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* python-gitlab 3.12 compares the header for equality: no charset. */
#define JSON_TYPE "application/json"

void api_json(struct api_ctx *c, int status, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	http_respond(c->req, status, JSON_TYPE, s ? s : "null", s ? strlen(s) : 4);
	free(s);
	json_decref(v);
}

void api_message(struct api_ctx *c, int status, const char *text)
{
	api_json(c, status, json_pack("{s:s}", "message", text));
}

void api_error(struct api_ctx *c, int status, const char *text)
{
	api_json(c, status, json_pack("{s:s}", "error", text));
}

void api_no_content(struct api_ctx *c)
{
	http_respond(c->req, 204, NULL, "", 0);
}

void api_invalid_value(struct api_ctx *c, const char *name)
{
	struct buf msg = BUF_INIT_MAX(256);

	buf_addf(&msg, "%s does not have a valid value", name);
	api_error(c, 400, msg.ptr);
	buf_release(&msg);
}

void api_field_error(struct api_ctx *c, const char *field, const char *text)
{
	api_json(c, 400, json_pack("{s:{s:[s]}}", "message", field, text));
}

/* "path has already been taken" → field "path", problem "has already been
 * taken": the sentences models write start with the field they judge. */
static int sentence_field(const char *s, struct buf *field, const char **rest)
{
	static const char *const verbs[] = { "is ", "has ", "must ", "can ", "cannot ",
					     "contains ", "should ", "does ", NULL };
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz_");

	if (n == 0 || s[n] != ' ')
		return 0;
	for (int i = 0; verbs[i]; i++) {
		if (!strncmp(s + n + 1, verbs[i], strlen(verbs[i]))) {
			buf_add(field, s, n);
			*rest = s + n + 1;
			return 1;
		}
	}
	return 0;
}

static void fail_sentence(struct api_ctx *c, const struct buf *err)
{
	struct buf field = BUF_INIT_MAX(64);
	const char *rest = NULL;

	if (sentence_field(err->ptr, &field, &rest))
		api_field_error(c, field.ptr, rest);
	else
		api_message(c, 400, err->ptr);
	buf_release(&field);
}

void api_fail(struct api_ctx *c, int ret, const char *what, const struct buf *err)
{
	struct buf msg = BUF_INIT_MAX(256);

	switch (ret) {
	case ERR_NOTFOUND:
		buf_addf(&msg, "404 %s Not Found", what ? what : "");
		api_message(c, 404, what ? msg.ptr : "404 Not Found");
		break;
	case ERR_DENIED:
		api_message(c, 403, "403 Forbidden");
		break;
	case ERR_AUTH:
		api_message(c, 401, "401 Unauthorized");
		break;
	case ERR_INVALID:
	case ERR_EXISTS:
		if (err && err->len)
			fail_sentence(c, err);
		else if (ret == ERR_EXISTS)
			api_message(c, 409, "409 Conflict");
		else
			api_message(c, 400, "400 Bad request");
		break;
	case ERR_TOOBIG:
		api_message(c, 413, "413 Request Entity Too Large");
		break;
	case ERR_BUSY:
		api_message(c, 429, "Retry later");
		break;
	case ERR_UNAVAILABLE:
		log_warn("api", "unavailable pattern=%s", c->ep ? c->ep->pattern : "");
		api_message(c, 503, "503 Service Unavailable");
		break;
	default:
		log_error("api", "failed pattern=%s err=%s", c->ep ? c->ep->pattern : "",
			  err_name(ret));
		api_message(c, 500, "500 Internal Server Error");
		break;
	}
	buf_release(&msg);
}

int api_page_parse(struct api_ctx *c, struct api_page *out)
{
	int64_t page = 1, per_page = LIMIT_PER_PAGE_DEFAULT;

	if (api_param_int(c, "page", INT64_MIN, INT64_MAX, &page) < 0 ||
	    api_param_int(c, "per_page", INT64_MIN, INT64_MAX, &per_page) < 0)
		return ERR_INVALID;
	/* GitLab reads page<1 as 1 and clamps per_page into 1..100. */
	if (page < 1)
		page = 1;
	if (per_page < 1)
		per_page = LIMIT_PER_PAGE_DEFAULT;
	if (per_page > LIMIT_PER_PAGE_MAX)
		per_page = LIMIT_PER_PAGE_MAX;
	/* Offsets past what a 64-bit multiply holds are empty pages anyway. */
	if (page > INT64_MAX / LIMIT_PER_PAGE_MAX)
		page = INT64_MAX / LIMIT_PER_PAGE_MAX;
	out->page = page;
	out->per_page = per_page;
	return 0;
}

/* The query string minus paging and credentials (Link headers travel into
 * proxy logs), still encoded. */
static void link_query(struct buf *out, const struct http_req *req)
{
	static const char *const dropped[] = { "page", "per_page", "private_token",
					       "access_token", NULL };
	const char *p = req->raw_query;

	while (p && *p) {
		size_t n = strcspn(p, "&");
		size_t klen = strcspn(p, "=&");
		int drop = n == 0;

		for (int i = 0; dropped[i] && !drop; i++)
			drop = klen == strlen(dropped[i]) && !memcmp(p, dropped[i], klen);
		if (!drop) {
			buf_add(out, p, n);
			buf_addch(out, '&');
		}
		p += n;
		if (*p == '&')
			p++;
	}
}

static void link_add(struct buf *link, const struct buf *base, int64_t page, int64_t per_page,
		     const char *rel)
{
	if (link->len)
		buf_addstr(link, ", ");
	buf_addf(link, "<%spage=%" PRId64 "&per_page=%" PRId64 ">; rel=\"%s\"", base->ptr, page,
		 per_page, rel);
}

/* GitLab sends X-Next-Page and X-Prev-Page empty when there is none; the
 * HTTP layer leaves an empty header out, which clients read the same. */
static void header_int(struct http_req *req, const char *name, int64_t v, int present)
{
	char tmp[24] = "";

	if (present)
		snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	http_add_header(req, name, tmp);
}

void api_page_respond(struct api_ctx *c, const struct api_page *pg, int64_t total,
		      json_t *items)
{
	struct buf base = BUF_INIT, link = BUF_INIT;
	int64_t pages = total > 0 ? (total + pg->per_page - 1) / pg->per_page : 1;
	int has_next = pg->page < pages, has_prev = pg->page > 1;

	buf_addf(&base, "%s%s?", http_external_url(c->req), http_path(c->req));
	link_query(&base, c->req);
	if (has_prev)
		link_add(&link, &base, pg->page - 1 < pages ? pg->page - 1 : pages, pg->per_page,
			 "prev");
	if (has_next)
		link_add(&link, &base, pg->page + 1, pg->per_page, "next");
	link_add(&link, &base, 1, pg->per_page, "first");
	link_add(&link, &base, pages, pg->per_page, "last");
	http_add_header(c->req, "Link", link.ptr);
	header_int(c->req, "X-Page", pg->page, 1);
	header_int(c->req, "X-Per-Page", pg->per_page, 1);
	header_int(c->req, "X-Next-Page", pg->page + 1, has_next);
	header_int(c->req, "X-Prev-Page", pg->page - 1, has_prev);
	header_int(c->req, "X-Total", total, 1);
	header_int(c->req, "X-Total-Pages", pages, 1);
	api_json(c, 200, items);
	buf_release(&base);
	buf_release(&link);
}
