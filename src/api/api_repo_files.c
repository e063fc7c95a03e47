/* Repository files: GET and HEAD (JSON with base64 content), /raw, and
 * create, update and delete as one-action commits, with GitLab's X-Gitlab-*
 * headers and last_commit_id optimistic locking. */
#include "api_repo.h"
#include "core/err.h"
#include "core/limits.h"
#include "http/http.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_FILE_MAX (32 * 1024 * 1024)	/* answered whole; larger ones get 413 */

static const char *const encodings[] = { "text", "base64", NULL };

/* :file_path, checked; 400 and ERR_INVALID for "..", ".git", NUL … */
static int file_path_arg(struct api_ctx *c, const char **out)
{
	const char *path = api_arg(c, 1);
	struct buf err = BUF_INIT_MAX(256);
	int ret = repo_path_check(path, strlen(path), &err);

	if (ret < 0)
		api_error(c, 400, "file_path should be a valid file path");
	else
		*out = path;
	buf_release(&err);
	return ret;
}

static void header_str(struct api_ctx *c, const char *name, const char *value)
{
	http_add_header(c->req, name, value);
}

/* The X-Gitlab-* headers GitLab sends with GET, HEAD and raw. */
static void file_headers(struct api_ctx *c, const struct repo_file *f, const char *ref,
			 const char *sha256)
{
	char size[32], mode[8];

	snprintf(size, sizeof(size), "%zu", f->blob.size);
	snprintf(mode, sizeof(mode), "%s", f->mode == 0100755 ? "true" : "false");
	header_str(c, "X-Gitlab-Blob-Id", f->blob_id);
	header_str(c, "X-Gitlab-Commit-Id", f->commit_id);
	header_str(c, "X-Gitlab-Content-Sha256", sha256);
	header_str(c, "X-Gitlab-Encoding", "base64");
	header_str(c, "X-Gitlab-Execute-Filemode", mode);
	header_str(c, "X-Gitlab-File-Name", f->file_name);
	header_str(c, "X-Gitlab-File-Path", f->file_path);
	header_str(c, "X-Gitlab-Last-Commit-Id", f->last_commit_id);
	header_str(c, "X-Gitlab-Ref", ref);
	header_str(c, "X-Gitlab-Size", size);
}

static void sha256_hex(char out[65], const void *data, size_t n)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, data, n);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

/* Header values must not carry line breaks; paths checked above have none,
 * and refs are checked by the resolver. */
static int file_load(struct api_repo *ar, const char *path, const char *ref,
		     struct repo_file **out)
{
	char sha[REPO_OID_HEX];
	int ret = repo_resolve_commit(ar->r, ref, sha);

	if (ret == ERR_INVALID || ret == ERR_NOTFOUND) {
		api_message(ar->c, 404, "404 Commit Not Found");
		return ERR_NOTFOUND;
	}
	if (ret == 0)
		ret = repo_file_get(ar->r, sha, path, API_FILE_MAX, out);
	/* GitLab's file answer names the last commit that changed the file. */
	if (ret == 0) {
		ret = repo_last_commit_for_path(ar->r, (*out)->commit_id, path,
						(*out)->last_commit_id);
		if (ret < 0) {
			repo_file_free(*out);
			*out = NULL;
		}
	}
	if (ret == ERR_INVALID)
		ret = ERR_NOTFOUND;
	if (ret < 0)
		api_repo_fail(ar, ret, "File", NULL);
	return ret;
}

static void files_get(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_file *f = NULL;
	struct buf b64 = BUF_INIT;
	const char *path = NULL, *ref = NULL;
	char sha256[65];
	json_t *o;

	if (file_path_arg(c, &path) < 0 || api_param_required(c, "ref", &ref) < 0 ||
	    api_repo_open(c, &ar, API_REPO_READ) < 0 || file_load(&ar, path, ref, &f) < 0)
		goto out;
	sha256_hex(sha256, f->blob.content, f->blob.size);
	file_headers(c, f, ref, sha256);
	api_base64_encode(&b64, f->blob.content, f->blob.size);
	o = json_pack("{s:s, s:s, s:I, s:s, s:s#, s:s, s:s, s:s, s:s, s:s, s:b}",
		      "file_name", f->file_name, "file_path", f->file_path,
		      "size", (json_int_t)f->blob.size, "encoding", "base64",
		      "content", b64.ptr, b64.len, "content_sha256", sha256, "ref", ref,
		      "blob_id", f->blob_id, "commit_id", f->commit_id,
		      "last_commit_id", f->last_commit_id,
		      "execute_filemode", f->mode == 0100755);
	if (!o)
		api_message(c, 400, "file_path or ref is not valid UTF-8");
	else
		api_json(c, 200, o);
out:
	repo_file_free(f);
	buf_release(&b64);
	api_repo_close(&ar);
}

static void files_raw(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_file *f = NULL;
	const char *path = NULL, *ref = NULL;
	char *def = NULL;
	char sha256[65];

	if (file_path_arg(c, &path) < 0 || api_param_str(c, "ref", &ref) < 0 ||
	    api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	if (!ref && repo_default_branch(ar.r, &def) == 0)
		ref = def;
	if (file_load(&ar, path, ref ? ref : "HEAD", &f) < 0)
		goto out;
	sha256_hex(sha256, f->blob.content, f->blob.size);
	file_headers(c, f, ref ? ref : "HEAD", sha256);
	api_repo_raw(c, f->file_name, f->blob.content, f->blob.size, f->blob.is_binary);
out:
	free(def);
	repo_file_free(f);
	api_repo_close(&ar);
}

/* POST, PUT and DELETE: one action on branch. */
static void files_write(struct api_ctx *c, enum repo_action_kind kind)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_action act = { 0 };
	struct repo_commit_req req = { 0 };
	struct buf content = BUF_INIT_MAX(LIMIT_API_BODY);
	const char *path = NULL, *text = NULL, *encoding = NULL;
	int exec = -1, ret;

	act.kind = kind;
	act.execute_filemode = -1;
	if (file_path_arg(c, &path) < 0 || api_param_required(c, "branch", &req.branch) < 0 ||
	    api_param_required(c, "commit_message", &req.message) < 0 ||
	    api_param_str(c, "start_branch", &req.start_branch) < 0 ||
	    api_param_str(c, "last_commit_id", &act.last_commit_id) < 0 ||
	    api_param_enum(c, "encoding", encodings, &encoding) < 0)
		goto out;
	if (kind != REPO_ACTION_DELETE) {
		if (api_param_required(c, "content", &text) < 0)
			goto out;
		ret = api_param_bool(c, "execute_filemode", &exec);
		if (ret < 0)
			goto out;
		act.execute_filemode = ret ? exec : -1;
	}
	if (api_repo_open(c, &ar, API_REPO_WRITE) < 0)
		goto out;
	if (text && api_repo_content(c, encoding, text, &content) < 0)
		goto out;
	act.path = path;
	act.content = text ? content.ptr : NULL;
	act.content_len = content.len;
	req.actions = &act;
	req.actions_nr = 1;
	if (api_repo_commit(&ar, &req, NULL) < 0)
		goto out;
	if (kind == REPO_ACTION_DELETE)
		api_no_content(c);
	else
		api_json(c, kind == REPO_ACTION_CREATE ? 201 : 200,
			 json_pack("{s:s, s:s}", "file_path", path, "branch", req.branch));
out:
	buf_release(&content);
	api_repo_close(&ar);
}

static void files_create(struct api_ctx *c)
{
	files_write(c, REPO_ACTION_CREATE);
}

static void files_update(struct api_ctx *c)
{
	files_write(c, REPO_ACTION_UPDATE);
}

static void files_delete(struct api_ctx *c)
{
	files_write(c, REPO_ACTION_DELETE);
}

const struct api_endpoint api_repo_file_endpoints[] = {
	{ "GET", "/projects/:id/repository/files/:file_path", files_get, 0 },
	{ "GET", "/projects/:id/repository/files/:file_path/raw", files_raw, 0 },
	{ "POST", "/projects/:id/repository/files/:file_path", files_create, API_AUTH },
	{ "PUT", "/projects/:id/repository/files/:file_path", files_update, API_AUTH },
	{ "DELETE", "/projects/:id/repository/files/:file_path", files_delete, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
