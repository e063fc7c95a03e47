/* Trees and blobs: GET /repository/tree (path, ref, recursive, paginated),
 * GET /repository/blobs/:sha and /raw. */
#include "api_repo.h"
#include "core/err.h"
#include "http/http.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* A blob answered whole (libgit2 reads blobs whole); larger ones get 413. */
#define API_BLOB_MAX (32 * 1024 * 1024)

/* "src/" and "src" name the same directory; "" and NULL the root. A bad
 * path answers 400 and returns ERR_INVALID. */
static int tree_path_param(struct api_ctx *c, struct buf *out)
{
	struct buf err = BUF_INIT_MAX(256);
	const char *s = NULL;
	int ret = api_param_str(c, "path", &s);

	if (ret <= 0 || !*s)
		return ret;
	buf_addstr(out, s);
	while (out->len > 1 && out->ptr[out->len - 1] == '/')
		buf_truncate(out, out->len - 1);
	ret = repo_path_check(out->ptr, out->len, &err);
	if (ret < 0)
		api_message(c, 400, err.len ? err.ptr : "path is invalid");
	buf_release(&err);
	return ret < 0 ? ret : 1;
}

static json_t *entry_json(const struct repo_tree_entry *e)
{
	char mode[16];

	snprintf(mode, sizeof(mode), "%06o", e->mode);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", e->id, "name", e->name, "type",
			 repo_entry_type_name(e->type), "path", e->path, "mode", mode);
}

static void tree_list(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_tree_list *l = NULL;
	struct buf path = BUF_INIT_MAX(REPO_PATH_MAX + 1);
	struct api_page pg;
	const char *ref = NULL;
	int recursive = 0, ret;
	json_t *items;

	if (api_page_parse(c, &pg) < 0 || api_param_str(c, "ref", &ref) < 0 ||
	    api_param_bool(c, "recursive", &recursive) < 0 || tree_path_param(c, &path) < 0 ||
	    api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	ret = repo_tree_list(ar.r, ref, path.len ? path.ptr : NULL, recursive,
			     (size_t)api_page_offset(&pg), (size_t)pg.per_page, &l);
	/* An unknown or refused revision is a tree that is not there. */
	if (ret == ERR_INVALID)
		ret = ERR_NOTFOUND;
	if (ret < 0) {
		api_repo_fail(&ar, ret, "Tree", NULL);
		goto out;
	}
	items = json_array();
	for (size_t i = 0; i < l->nr; i++)
		json_array_append_new(items, entry_json(&l->v[i]));
	api_page_respond(c, &pg, (int64_t)l->total, items);
out:
	repo_tree_list_free(l);
	buf_release(&path);
	api_repo_close(&ar);
}

static int blob_load(struct api_repo *ar, struct repo_blob **out)
{
	int ret = repo_blob_get(ar->r, api_arg(ar->c, 1), API_BLOB_MAX, out);

	if (ret == ERR_INVALID)
		ret = ERR_NOTFOUND;
	if (ret < 0)
		api_repo_fail(ar, ret, "Blob", NULL);
	return ret;
}

static void blob_get(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_blob *b = NULL;
	struct buf b64 = BUF_INIT;

	if (api_repo_open(c, &ar, API_REPO_READ) < 0 || blob_load(&ar, &b) < 0)
		goto out;
	api_base64_encode(&b64, b->content, b->size);
	api_json(c, 200, json_pack("{s:I, s:s, s:s#, s:s}", "size", (json_int_t)b->size,
				   "encoding", "base64", "content", b64.ptr, b64.len, "sha", b->id));
out:
	repo_blob_free(b);
	buf_release(&b64);
	api_repo_close(&ar);
}

/* Raw bytes a browser must never render as a page of this origin. */
void api_repo_raw(struct api_ctx *c, const char *name, const char *data, size_t len,
		  int binary)
{
	struct buf disp = BUF_INIT;

	buf_addstr(&disp, "inline");
	if (name) {
		buf_addstr(&disp, "; filename*=UTF-8''");
		for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
				buf_addch(&disp, (char)*p);
			else
				buf_addf(&disp, "%%%02X", *p);
		}
	}
	http_add_header(c->req, "Content-Disposition", disp.ptr);
	http_add_header(c->req, "Content-Security-Policy", "sandbox; default-src 'none'");
	http_respond(c->req, 200, binary ? "application/octet-stream" : "text/plain; charset=utf-8",
		     data, len);
	buf_release(&disp);
}

static void blob_raw(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_blob *b = NULL;

	if (api_repo_open(c, &ar, API_REPO_READ) == 0 && blob_load(&ar, &b) == 0)
		api_repo_raw(c, NULL, b->content, b->size, b->is_binary);
	repo_blob_free(b);
	api_repo_close(&ar);
}

const struct api_endpoint api_repo_tree_endpoints[] = {
	{ "GET", "/projects/:id/repository/tree", tree_list, 0 },
	{ "GET", "/projects/:id/repository/blobs/:sha", blob_get, 0 },
	{ "GET", "/projects/:id/repository/blobs/:sha/raw", blob_raw, 0 },
	{ NULL, NULL, NULL, 0 },
};
