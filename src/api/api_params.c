/* Request parameters as Grape sees them: the query string merged with a form
 * or JSON body, GitLab's key[]= and key[sub]= encodings, and typed accessors
 * that answer GitLab's 400 shapes. */
#include "api_ctx.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "http/http.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LIMIT_FORM_PARAMS 1000		/* form fields per body */
#define LIMIT_PARAM_DEPTH 4		/* a[b][c][d] */

const char *api_arg(const struct api_ctx *c, int i)
{
	return i >= 0 && i < API_MAX_ARGS ? c->args[i] : NULL;
}

/* Splits "a[b][][c]" into its base "a" and subkeys "b", "", "c". Returns
 * the number of subkeys, or -1 when the brackets are malformed or too deep
 * (the key is then taken literally). */
static int key_split(const char *key, struct buf *base, struct buf *subs, int max)
{
	const char *open = strchr(key, '[');
	int n = 0;

	if (!open || open == key)
		return -1;
	buf_add(base, key, (size_t)(open - key));
	for (const char *p = open; *p; n++) {
		const char *close = strchr(p, ']');

		if (*p != '[' || !close || n == max)
			return -1;
		buf_add(&subs[n], p + 1, (size_t)(close - p - 1));
		p = close + 1;
	}
	return n;
}

/* Rack's nesting: "[]" appends to an array, "[k]" sets in an object;
 * "[][k]" fills the last object of the array unless it already has k. */
static void params_nest(json_t *parent, const char *key, struct buf *subs, int n, json_t *val)
{
	json_t *cur = json_object_get(parent, key);

	if (n == 0) {
		json_object_set_new(parent, key, val);
		return;
	}
	if (subs[0].len == 0) {
		json_t *last;

		if (!json_is_array(cur)) {
			cur = json_array();
			json_object_set_new(parent, key, cur);
		}
		if (n == 1) {
			json_array_append_new(cur, val);
			return;
		}
		last = json_array_get(cur, json_array_size(cur) - 1);
		if (!json_is_object(last) || json_object_get(last, subs[1].ptr)) {
			last = json_object();
			json_array_append_new(cur, last);
		}
		params_nest(last, subs[1].ptr, subs + 2, n - 2, val);
		return;
	}
	if (!json_is_object(cur)) {
		cur = json_object();
		json_object_set_new(parent, key, cur);
	}
	params_nest(cur, subs[0].ptr, subs + 1, n - 1, val);
}

void api_params_set(json_t *obj, const char *key, const char *value)
{
	struct buf base = BUF_INIT, subs[LIMIT_PARAM_DEPTH];
	int n;

	for (int i = 0; i < LIMIT_PARAM_DEPTH; i++)
		buf_init(&subs[i], LIMIT_URL_PATH);
	n = key_split(key, &base, subs, LIMIT_PARAM_DEPTH);
	if (n < 0)
		json_object_set_new(obj, key, json_string(value));
	else
		params_nest(obj, base.ptr, subs, n, json_string(value));
	buf_release(&base);
	for (int i = 0; i < LIMIT_PARAM_DEPTH; i++)
		buf_release(&subs[i]);
}

static int query_one(const char *k, const char *v, void *ctx)
{
	/* Keys and values that are not UTF-8 cannot live in JSON strings:
	 * jansson refuses them, so they read as missing. */
	api_params_set(ctx, k, v);
	return 0;
}

static int params_from_form(json_t *obj, const char *s, size_t len)
{
	const char *end = s + len;
	int count = 0;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		size_t n = amp ? (size_t)(amp - s) : (size_t)(end - s);
		const char *eq = memchr(s, '=', n);
		size_t klen = eq ? (size_t)(eq - s) : n;
		char *k = parse_form_decode(s, klen);
		char *v = eq ? parse_form_decode(eq + 1, n - klen - 1) : xstrdup("");
		int ok = k && v && *k;

		if (ok && ++count > LIMIT_FORM_PARAMS)
			ok = -1;
		else if (ok)
			query_one(k, v, obj);
		free(k);
		free(v);
		if (ok < 0)
			return ERR_TOOBIG;
		s += n + (amp ? 1 : 0);
	}
	return 0;
}

static int params_from_json(struct api_ctx *c, json_t *obj)
{
	json_error_t jerr;
	json_t *body = json_loadb(c->req->body.ptr, c->req->body.len, JSON_REJECT_DUPLICATES, &jerr);
	const char *k;
	json_t *v;

	if (!body || !json_is_object(body)) {
		json_decref(body);
		api_error(c, 400, "400 Bad request - the body is not a JSON object");
		return ERR_INVALID;
	}
	json_object_foreach(body, k, v)
		json_object_set(obj, k, v);
	json_decref(body);
	return 0;
}

int api_params_load(struct api_ctx *c)
{
	const char *ct = http_header(c->req, "Content-Type");

	c->params = json_object();
	http_query_each(c->req, query_one, c->params);
	if (!c->req->body.len || !ct)
		return 0;
	if (!strncasecmp(ct, "application/json", 16))
		return params_from_json(c, c->params);
	if (!strncasecmp(ct, "application/x-www-form-urlencoded", 33) &&
	    params_from_form(c->params, c->req->body.ptr, c->req->body.len) < 0) {
		api_message(c, 413, "413 Request Entity Too Large");
		return ERR_TOOBIG;
	}
	return 0;
}

const char *api_param_peek(const struct api_ctx *c, const char *name)
{
	return json_string_value(json_object_get(c->params, name));
}

static int param_bad(struct api_ctx *c, const char *name, const char *what)
{
	struct buf msg = BUF_INIT_MAX(512);

	buf_add_quoted(&msg, name, strlen(name), 64);
	buf_addf(&msg, " %s", what);
	api_error(c, 400, msg.ptr);
	buf_release(&msg);
	return ERR_INVALID;
}

int api_param_str(struct api_ctx *c, const char *name, const char **out)
{
	json_t *v = json_object_get(c->params, name);
	char tmp[32];

	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		*out = json_string_value(v);
		return 1;
	}
	if (json_is_integer(v))
		snprintf(tmp, sizeof(tmp), "%" PRId64, (int64_t)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(tmp, sizeof(tmp), "%s", json_is_true(v) ? "true" : "false");
	else
		return param_bad(c, name, "is invalid");
	*out = http_keep(c->req, xstrdup(tmp));
	return 1;
}

int api_param_required(struct api_ctx *c, const char *name, const char **out)
{
	int ret = api_param_str(c, name, out);

	if (ret == 0)
		return param_bad(c, name, "is missing");
	return ret < 0 ? ret : 0;
}

int api_param_int(struct api_ctx *c, const char *name, int64_t min, int64_t max, int64_t *out)
{
	const char *s = NULL;
	int64_t v;
	int ret = api_param_str(c, name, &s);

	if (ret <= 0)
		return ret;
	if (parse_i64(s, min, max, &v) < 0)
		return param_bad(c, name, "is invalid");
	*out = v;
	return 1;
}

int api_param_bool(struct api_ctx *c, const char *name, int *out)
{
	const char *s = NULL;
	int v;
	int ret = api_param_str(c, name, &s);

	if (ret <= 0)
		return ret;
	if (parse_bool(s, &v) < 0)
		return param_bad(c, name, "is invalid");
	*out = v;
	return 1;
}

int api_param_enum(struct api_ctx *c, const char *name, const char *const *words,
		   const char **out)
{
	const char *s = NULL;
	int ret = api_param_str(c, name, &s);

	if (ret <= 0)
		return ret;
	for (int i = 0; words[i]; i++) {
		if (!strcmp(words[i], s)) {
			*out = words[i];
			return 1;
		}
	}
	return param_bad(c, name, "does not have a valid value");
}
