/* Project maintenance and attachments: POST /projects/:id/housekeeping
 * queues git maintenance of the repository (see jobs/housekeeping_job.c),
 * and POST /projects/:id/uploads stores one multipart "file" field and
 * answers GitLab's {alt, url, full_path, markdown}. The upload route reads
 * bodies up to LIMIT_UPLOAD_BODY (api.c); larger ones get 413 before any
 * handler runs. */
#include "api_ctx.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "http/http.h"
#include "http/multipart.h"
#include "jobs/queue.h"
#include "model/member.h"
#include "model/project.h"
#include "model/upload.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HOUSEKEEPING_ATTEMPTS 3

static void project_housekeeping(struct api_ctx *c)
{
	struct project *p = NULL;
	char payload[64];
	int level = 0, ret;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_MAINTAINER) == 0) {
		snprintf(payload, sizeof(payload), "{\"project_id\": %lld}", (long long)p->id);
		ret = queue_enqueue(c->db, "housekeeping", payload, NULL, HOUSEKEEPING_ATTEMPTS, 0);
		if (ret < 0)
			api_fail(c, ret, "Project", NULL);
		else
			api_message(c, 201, "201 Created");
	}
	project_free(p);
}

static int is_image(const char *name)
{
	static const char *const exts[] = { ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tiff",
					    ".ico", ".webp", NULL };
	const char *dot = strrchr(name, '.');

	for (int i = 0; dot && exts[i]; i++)
		if (!strcasecmp(dot, exts[i]))
			return 1;
	return 0;
}

static json_t *upload_json(struct api_ctx *c, const struct project *p, const char *secret,
			   const char *name)
{
	struct buf url = BUF_INIT, full = BUF_INIT, alt = BUF_INIT, md = BUF_INIT;
	const char *dot = strrchr(name, '.');
	json_t *o;

	buf_addf(&url, "/uploads/%s/%s", secret, name);
	buf_addch(&full, '/');
	project_full_path(&full, p);
	buf_addstr(&full, url.ptr);
	/* GitLab's alt text: the name without its extension. */
	buf_add(&alt, name, dot && dot != name ? (size_t)(dot - name) : strlen(name));
	buf_addf(&md, "%s[%s](%s)", is_image(name) ? "!" : "", alt.ptr, url.ptr);
	o = json_pack("{s:s, s:s, s:s, s:s}", "alt", alt.ptr, "url", url.ptr,
		      "full_path", full.ptr, "markdown", md.ptr);
	(void)c;
	buf_release(&url);
	buf_release(&full);
	buf_release(&alt);
	buf_release(&md);
	return o;
}

static void project_upload(struct api_ctx *c)
{
	struct buf name = BUF_INIT, secret = BUF_INIT, err = BUF_INIT_MAX(256);
	struct multipart_part part = { 0 };
	struct project *p = NULL;
	int level = 0, ret;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_GUEST) < 0)
		goto out;
	ret = multipart_find(http_header(c->req, "Content-Type"), c->req->body.ptr,
			     c->req->body.len, "file", &part);
	if (ret == ERR_NOTFOUND || (ret == 0 && !part.filename)) {
		api_error(c, 400, "file is missing");
		goto out;
	}
	if (ret < 0) {
		api_error(c, 400, "file is invalid");
		goto out;
	}
	if (upload_sanitise_name(&name, part.filename, part.filename_len, &err) < 0) {
		api_error(c, 400, err.ptr);
		goto out;
	}
	ret = upload_store(p->id, name.ptr, part.data, part.len, &secret);
	if (ret < 0)
		api_fail(c, ret, "Project", NULL);
	else
		api_json(c, 201, upload_json(c, p, secret.ptr, name.ptr));
out:
	project_free(p);
	buf_release(&name);
	buf_release(&secret);
	buf_release(&err);
}

const struct api_endpoint api_upload_endpoints[] = {
	{ "POST", "/projects/:id/housekeeping", project_housekeeping, API_AUTH },
	{ "POST", "/projects/:id/uploads", project_upload, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
