/* The dashboard's activity feed: pushes to the projects the signed-in user
 * reads, newest first, a page at a time. */
#include "web_ctx.h"
#include "core/err.h"
#include "model/push_event_list.h"
#include "model/user.h"

#include <string.h>

#define WEB_ACTIVITY_PER_PAGE 30

static const char zero_oid[] = "0000000000000000000000000000000000000000";

struct feed {
	struct web_ctx *c;
	int shown;
};

static int event_item(const struct push_event_row *e, void *ctx)
{
	struct feed *f = ctx;
	struct web_ctx *c = f->c;
	const char *ref = e->ref;
	const char *what = "pushed to branch";
	int tag = !strncmp(ref, "refs/tags/", 10);
	struct buf when = BUF_INIT;

	if (!strncmp(ref, "refs/heads/", 11))
		ref += 11;
	else if (tag)
		ref += 10;
	if (!strcmp(e->after_sha, zero_oid))
		what = tag ? "deleted tag" : "deleted branch";
	else if (!strcmp(e->before_sha, zero_oid))
		what = tag ? "pushed new tag" : "pushed new branch";
	else if (tag)
		what = "pushed to tag";
	f->shown++;
	web_time(&when, e->created_at);
	html_addf(&c->out, "<li><strong>%s</strong> %s <code>%s</code> at <a href=\"/%u\">%s</a>",
		  e->username ? e->username : "A deleted user", what, ref, e->project_full_path,
		  e->project_full_path);
	if (strcmp(e->after_sha, zero_oid)) {
		char short_sha[9] = { 0 };

		memcpy(short_sha, e->after_sha, strnlen(e->after_sha, 8));
		html_addf(&c->out, " <a class=\"mono\" href=\"/%u/-/commit/%u\">%s</a>",
			  e->project_full_path, e->after_sha, short_sha);
	}
	html_addf(&c->out, "<br><span class=\"muted\">%s</span></li>", when.ptr);
	buf_release(&when);
	return 0;
}

void web_dashboard_activity(struct web_ctx *c)
{
	int64_t page = web_page_param(c);
	struct feed f = { c, 0 };
	int more = 0, ret;

	if (web_require_user(c))
		return;
	web_page_begin(c, "Activity");
	html_addf(&c->out, "<div class=\"toolbar\"><h1>Activity</h1></div><nav class=\"tabs\" "
		  "aria-label=\"Dashboard\"><a href=\"/dashboard/projects\">Projects</a>"
		  "<a href=\"/dashboard/activity\" aria-current=\"page\">Activity</a></nav>"
		  "<ul class=\"list\" id=\"activity\">");
	ret = push_event_feed(c->db, c->who.user->id, (page - 1) * WEB_ACTIVITY_PER_PAGE,
			      WEB_ACTIVITY_PER_PAGE, event_item, &f, &more);
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	html_addf(&c->out, "</ul>");
	if (!f.shown)
		html_addf(&c->out, "<p class=\"muted\">No pushes to show.</p>");
	web_pager(c, "/dashboard/activity", page, more);
	web_page_end(c, 200);
}
