/* HTML output: the escapers, the formatter that escapes by default, the
 * local-redirect check, and Markdown rendering of hostile documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/html.h"
#include "web/web_ctx.h"

#include <stdlib.h>
#include <string.h>

static void test_html_txt_escapes(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "<script>", "&lt;script&gt;" },
		{ "\"><img src=x onerror=alert(1)>", "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" },
		{ "a'b&c", "a&#39;b&amp;c" },
		{ "tab\tnl\n", "tab\tnl\n" },
		{ "bell\x07" "esc\x1b" "del\x7f", "bell&#xfffd;esc&#xfffd;del&#xfffd;" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf b = BUF_INIT;

		html_txt(&b, cases[i].in);
		assert_string_equal(b.ptr, cases[i].want);
		buf_release(&b);
	}
}

static void test_html_txt_n_keeps_nul_out(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	html_txt_n(&b, "a\0b", 3);
	assert_int_equal(b.len, strlen("a&#xfffd;b"));
	assert_string_equal(b.ptr, "a&#xfffd;b");
	buf_release(&b);
}

static void test_html_url(void **state)
{
	struct buf path = BUF_INIT, query = BUF_INIT;

	(void)state;
	html_url(&path, "a b/c\"d<e>?#%&'", 1);
	assert_string_equal(path.ptr, "a%20b/c%22d%3Ce%3E%3F%23%25%26%27");
	html_url(&query, "x/y=z", 0);
	assert_string_equal(query.ptr, "x%2Fy%3Dz");
	buf_release(&path);
	buf_release(&query);
}

static void test_html_addf_escapes_by_default(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	html_addf(&b, "<a href=\"/%u?q=%q\" title=\"%s\">%s</a>%r %d %D %z 100%%", "g/p <x>",
		  "a&b", "\"t\"", "<b>", "<hr>", -3, (int64_t)1 << 40, (size_t)7);
	assert_string_equal(b.ptr, "<a href=\"/g/p%20%3Cx%3E?q=a%26b\" title=\"&quot;t&quot;\">"
			   "&lt;b&gt;</a><hr> -3 1099511627776 7 100%");
	buf_reset(&b);
	html_addf(&b, "[%s][%r]", (const char *)NULL, (const char *)NULL);
	assert_string_equal(b.ptr, "[][]");
	buf_release(&b);
}

static void test_html_local_path(void **state)
{
	static const struct {
		const char *in;
		int ok;
	} cases[] = {
		{ "/", 1 }, { "/group/project", 1 }, { "/a?b=c", 1 },
		{ "", 0 }, { "//evil.example", 0 }, { "/\\evil.example", 0 },
		{ "https://evil.example/", 0 }, { "javascript:alert(1)", 0 }, { "evil", 0 },
		{ "/a\r\nSet-Cookie: x=1", 0 }, { "/a\\b", 0 }, { "/a\tb", 0 },
	};
	(void)state;
	assert_false(html_local_path(NULL));
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (html_local_path(cases[i].in) != cases[i].ok)
			fail_msg("html_local_path(\"%s\") != %d", cases[i].in, cases[i].ok);
}

static char *render(const char *md)
{
	static const struct web_md_links links = { "/g/p/-/blob/main/docs/", "/g/p/-/raw/main/docs/",
						   "/g/p/-/blob/main/", "/g/p/-/raw/main/" };
	struct buf b = BUF_INIT;

	web_markdown(&b, md, strlen(md), &links);
	return buf_detach(&b, NULL);
}

static void test_markdown_hostile_is_inert(void **state)
{
	static const char *const hostile[] = {
		"<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"[a](javascript:alert(1))",
		"[a](JaVaScRiPt:alert(1))",
		"[a](vbscript:msgbox(1))",
		"![a](javascript:alert(1))",
		"[a](data:text/html;base64,PHNjcmlwdD4=)",
		"<iframe src=\"/\"></iframe>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"[a](\"onmouseover=alert(1))",
		"<style>*{}</style><textarea></textarea>",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(*hostile); i++) {
		char *html = render(hostile[i]);

		if (strstr(html, "<script") || strstr(html, "<img src=\"x\"") ||
		    strstr(html, "onerror=") || strstr(html, "href=\"javascript") ||
		    strstr(html, "href=\"JaVaScRiPt") || strstr(html, "vbscript:") ||
		    strstr(html, "src=\"javascript") || strstr(html, "<iframe") ||
		    strstr(html, "data:text/html") || strstr(html, "<style") ||
		    strstr(html, " onmouseover="))
			fail_msg("markdown %s rendered unsafely: %s", hostile[i], html);
		free(html);
	}
}

static void test_markdown_gfm_and_links(void **state)
{
	char *html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n\n~~gone~~ "
			    "https://example.com\n\n[rel](guide.md) [root](/README.md) "
			    "[frag](#x) [abs](https://example.org/) ![img](pic.png)\n");

	(void)state;
	assert_non_null(strstr(html, "<table>"));
	assert_non_null(strstr(html, "type=\"checkbox\""));
	assert_non_null(strstr(html, "<del>gone</del>"));
	assert_non_null(strstr(html, "href=\"https://example.com\""));
	assert_non_null(strstr(html, "href=\"/g/p/-/blob/main/docs/guide.md\""));
	assert_non_null(strstr(html, "href=\"/g/p/-/blob/main/README.md\""));
	assert_non_null(strstr(html, "href=\"#x\""));
	assert_non_null(strstr(html, "href=\"https://example.org/\""));
	assert_non_null(strstr(html, "src=\"/g/p/-/raw/main/docs/pic.png\""));
	free(html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_txt_escapes),
		cmocka_unit_test(test_html_txt_n_keeps_nul_out),
		cmocka_unit_test(test_html_url),
		cmocka_unit_test(test_html_addf_escapes_by_default),
		cmocka_unit_test(test_html_local_path),
		cmocka_unit_test(test_markdown_hostile_is_inert),
		cmocka_unit_test(test_markdown_gfm_and_links),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
