/* README and Markdown files: cmark-gfm with GitHub's extensions (tables,
 * autolinks, strikethrough, task lists, and the tag filter), in its default
 * safe mode, which drops raw HTML and javascript:, vbscript:, file: and
 * non-image data: URLs. Relative links are rewritten to point inside the
 * repository at the ref being shown. */
#include "web_ctx.h"
#include "core/xalloc.h"

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_register(void)
{
	cmark_gfm_core_extensions_ensure_registered();
}

/* "http:", "mailto:" …: a scheme before any '/', '?' or '#'. */
static int has_scheme(const char *url)
{
	for (const char *p = url; *p; p++) {
		if (*p == ':')
			return p != url;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
			return 0;
	}
	return 0;
}

static void md_rewrite_links(cmark_node *root, const struct web_md_links *l)
{
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(n);
		int img = t == CMARK_NODE_IMAGE;
		const char *url;
		struct buf abs = BUF_INIT;

		if (ev != CMARK_EVENT_ENTER || (t != CMARK_NODE_LINK && !img))
			continue;
		url = cmark_node_get_url(n);
		if (!url || !*url || url[0] == '#' || has_scheme(url) ||
		    (url[0] == '/' && url[1] == '/'))
			continue;
		/* "/x" is from the root of the ref, "x" from the README's directory. */
		if (url[0] == '/')
			buf_addf(&abs, "%s%s", img ? l->raw_root : l->blob_root, url + 1);
		else
			buf_addf(&abs, "%s%s", img ? l->raw_dir : l->blob_dir, url);
		cmark_node_set_url(n, abs.ptr);
		buf_release(&abs);
	}
	cmark_iter_free(it);
}

void web_markdown(struct buf *out, const char *md, size_t len, const struct web_md_links *links)
{
	static const char *const exts[] = { "table", "autolink", "strikethrough", "tasklist",
					    "tagfilter" };
	const int opts = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;
	cmark_parser *parser;
	cmark_node *doc;
	char *html;

	pthread_once(&md_once, md_register);
	parser = cmark_parser_new(opts);
	for (size_t i = 0; i < sizeof(exts) / sizeof(*exts); i++) {
		cmark_syntax_extension *e = cmark_find_syntax_extension(exts[i]);

		if (e)
			cmark_parser_attach_syntax_extension(parser, e);
	}
	cmark_parser_feed(parser, md, len);
	doc = cmark_parser_finish(parser);
	if (links)
		md_rewrite_links(doc, links);
	html = cmark_render_html(doc, opts, cmark_parser_get_syntax_extensions(parser));
	/* cmark's own renderer escapes text and attributes; this is the one
	 * place raw markup from a renderer enters a page. */
	html_addf(out, "%r", html);
	free(html);
	cmark_node_free(doc);
	cmark_parser_free(parser);
}
