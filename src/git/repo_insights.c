/* What a repository says about itself: a commit's signature, blame,
 * contributors and languages. Each is bounded (file size, commits, tree
 * entries) so that one request never walks a whole large history. */
#include "repo_extra.h"
#include "repo_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- signatures ---- */

static const unsigned char *pgp_packet_body(const unsigned char *p, size_t n, size_t *len_out)
{
	size_t len, hdr;

	if (n < 2 || !(p[0] & 0x80))
		return NULL;
	if (p[0] & 0x40) {		/* new format */
		if ((p[0] & 0x3f) != 2)
			return NULL;
		if (p[1] < 192) {
			len = p[1], hdr = 2;
		} else if (p[1] < 224 && n >= 3) {
			len = ((size_t)(p[1] - 192) << 8) + p[2] + 192, hdr = 3;
		} else if (p[1] == 255 && n >= 6) {
			len = (size_t)p[2] << 24 | (size_t)p[3] << 16 | (size_t)p[4] << 8 | p[5];
			hdr = 6;
		} else {
			return NULL;	/* partial lengths: not for signatures */
		}
	} else {			/* old format */
		int lt = p[0] & 3;

		if (((p[0] >> 2) & 0xf) != 2 || lt == 3)
			return NULL;
		hdr = 1 + (lt == 0 ? 1 : lt == 1 ? 2 : 4);
		if (n < hdr)
			return NULL;
		len = 0;
		for (size_t i = 1; i < hdr; i++)
			len = len << 8 | p[i];
	}
	if (len > n - hdr)
		return NULL;
	*len_out = len;
	return p + hdr;
}

/* Looks for the issuer (type 16) or issuer fingerprint (type 33) subpacket. */
static int pgp_subpackets(const unsigned char *p, size_t n, unsigned char keyid[8])
{
	int found = 0;

	while (n > 0) {
		size_t len, hdr;

		if (p[0] < 192) {
			len = p[0], hdr = 1;
		} else if (p[0] < 255 && n >= 2) {
			len = ((size_t)(p[0] - 192) << 8) + p[1] + 192, hdr = 2;
		} else if (p[0] == 255 && n >= 5) {
			len = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];
			hdr = 5;
		} else {
			return ERR_INVALID;
		}
		if (len < 1 || len > n - hdr)
			return ERR_INVALID;
		if ((p[hdr] & 0x7f) == 16 && len == 9) {
			memcpy(keyid, p + hdr + 1, 8);
			return 0;
		}
		if ((p[hdr] & 0x7f) == 33 && len >= 10 && !found) {
			memcpy(keyid, p + hdr + len - 8, 8);
			found = 1;
		}
		p += hdr + len;
		n -= hdr + len;
	}
	return found ? 0 : ERR_NOTFOUND;
}

static int pgp_issuer_bin(const unsigned char *pkt, size_t n, unsigned char keyid[8])
{
	size_t len = 0, hashed, unhashed;
	const unsigned char *b = pgp_packet_body(pkt, n, &len);
	int ret;

	if (!b || len < 1)
		return ERR_INVALID;
	if (b[0] == 3)			/* v3: the key id sits at a fixed place */
		return len >= 15 ? (memcpy(keyid, b + 7, 8), 0) : ERR_INVALID;
	if ((b[0] != 4 && b[0] != 5) || len < 6)
		return ERR_INVALID;
	hashed = (size_t)b[4] << 8 | b[5];
	if (hashed > len - 6 || len - 6 - hashed < 2)
		return ERR_INVALID;
	unhashed = (size_t)b[6 + hashed] << 8 | b[7 + hashed];
	if (unhashed > len - 8 - hashed)
		return ERR_INVALID;
	ret = pgp_subpackets(b + 8 + hashed, unhashed, keyid);
	if (ret == ERR_NOTFOUND)
		ret = pgp_subpackets(b + 6, hashed, keyid);
	return ret == ERR_NOTFOUND ? ERR_INVALID : ret;
}

int repo_pgp_issuer(const char *armored, size_t len, char out[17])
{
	static const char begin[] = "-----BEGIN PGP SIGNATURE-----";
	const char *p = armored, *end = armored + len, *body;
	struct buf b64 = BUF_INIT_MAX(64 * 1024);
	unsigned char *bin = NULL, keyid[8];
	size_t bin_len = 0;
	int ret = ERR_INVALID;

	if (len < sizeof(begin) - 1 || memcmp(p, begin, sizeof(begin) - 1))
		return ERR_INVALID;
	/* Armor headers end at the first empty line. */
	body = memmem(p, len, "\n\n", 2);
	if (!body)
		return ERR_INVALID;
	for (p = body + 2; p < end && *p != '=' && *p != '-'; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		buf_add(&b64, p, n);
		p += n + (nl != NULL);
	}
	if (!buf_error(&b64) && b64.len) {
		bin = xmalloc(b64.len);
		if (sodium_base642bin(bin, b64.len, b64.ptr, b64.len, "\r ", &bin_len, NULL,
				      sodium_base64_VARIANT_ORIGINAL) == 0)
			ret = pgp_issuer_bin(bin, bin_len, keyid);
	}
	if (ret == 0) {
		for (int i = 0; i < 8; i++) {
			static const char hex[] = "0123456789ABCDEF";

			out[2 * i] = hex[keyid[i] >> 4];
			out[2 * i + 1] = hex[keyid[i] & 15];
		}
		out[16] = '\0';
	}
	free(bin);
	buf_release(&b64);
	return ret;
}

int repo_commit_signature(struct repo *r, const char *rev, struct repo_signature *out)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	git_commit *c = NULL;
	int ret = repo_lookup_commit(r, rev, &c);

	if (ret == 0)
		ret = repo_git_err(git_commit_extract_signature(&sig, &data, r->git, (git_oid *)
								git_commit_id(c), NULL), "signature");
	if (ret == 0) {
		memset(out, 0, sizeof(*out));
		if (strstr(sig.ptr, "-----BEGIN SSH SIGNATURE-----"))
			out->type = REPO_SIG_SSH;
		else if (strstr(sig.ptr, "-----BEGIN PGP SIGNATURE-----"))
			out->type = REPO_SIG_PGP;
		else
			out->type = REPO_SIG_X509;
		if (out->type == REPO_SIG_PGP && repo_pgp_issuer(sig.ptr, sig.size, out->key_id) < 0)
			out->key_id[0] = '\0';
	}
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	git_commit_free(c);
	return ret;
}

/* ---- blame ---- */

void repo_blame_free(struct repo_blame *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->lines_nr; i++)
		free(b->lines[i]);
	free(b->lines);
	free(b->v);
	free(b);
}

static void blame_split_lines(struct repo_blame *b, const char *data, size_t n)
{
	size_t cap = 0;

	for (size_t i = 0; i < n; ) {
		const char *nl = memchr(data + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - data) - i : n - i;

		if (b->lines_nr == cap) {
			cap = cap ? cap * 2 : 64;
			b->lines = xrealloc(b->lines, cap * sizeof(*b->lines));
		}
		b->lines[b->lines_nr] = xmalloc(len + 1);
		memcpy(b->lines[b->lines_nr], data + i, len);
		b->lines[b->lines_nr++][len] = '\0';
		i += len + 1;
	}
}

/* The blob at path in commit, within the size cap. */
static int blame_blob(struct repo *r, git_commit *c, const char *path, git_blob **out)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int ret = repo_git_err(git_commit_tree(&tree, c), "tree");

	if (ret == 0)
		ret = repo_git_err(git_tree_entry_bypath(&e, tree, path), "path");
	if (ret == 0 && git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		ret = ERR_INVALID;
	if (ret == 0)
		ret = repo_git_err(git_blob_lookup(out, r->git, git_tree_entry_id(e)), "blob");
	if (ret == 0 && git_blob_rawsize(*out) > REPO_BLAME_BYTES_MAX) {
		git_blob_free(*out);
		*out = NULL;
		ret = ERR_TOOBIG;
	}
	git_tree_entry_free(e);
	git_tree_free(tree);
	return ret;
}

static void blame_add(struct repo_blame *b, const git_blame_hunk *h)
{
	char id[REPO_OID_HEX];
	struct repo_blame_range *last = b->nr ? &b->v[b->nr - 1] : NULL;

	git_oid_tostr(id, sizeof(id), &h->final_commit_id);
	/* Neighbouring hunks of one commit are one range, as GitLab shows them. */
	if (last && !strcmp(last->commit_id, id) &&
	    last->start_line + last->lines == h->final_start_line_number) {
		last->lines += h->lines_in_hunk;
		return;
	}
	b->v = xrealloc(b->v, (b->nr + 1) * sizeof(*b->v));
	memcpy(b->v[b->nr].commit_id, id, sizeof(id));
	b->v[b->nr].start_line = h->final_start_line_number;
	b->v[b->nr].lines = h->lines_in_hunk;
	b->nr++;
}

int repo_blame_file(struct repo *r, const char *rev, const char *path, struct repo_blame **out)
{
	git_blame_options opts;
	struct buf err = BUF_INIT_MAX(256);
	struct repo_blame *b = NULL;
	git_blame *gb = NULL;
	git_commit *c = NULL;
	git_blob *blob = NULL;
	int ret = repo_path_check(path, strlen(path), &err);

	if (ret == 0)
		ret = repo_lookup_commit(r, rev, &c);
	if (ret == 0)
		ret = blame_blob(r, c, path, &blob);
	if (ret == 0)
		ret = repo_git_err(git_blame_options_init(&opts, GIT_BLAME_OPTIONS_VERSION), "blame");
	if (ret == 0) {
		git_oid_cpy(&opts.newest_commit, git_commit_id(c));
		ret = repo_git_err(git_blame_file(&gb, r->git, path, &opts), "blame");
	}
	if (ret == 0) {
		b = xcalloc(1, sizeof(*b));
		blame_split_lines(b, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		for (uint32_t i = 0; i < git_blame_get_hunk_count(gb); i++)
			blame_add(b, git_blame_get_hunk_byindex(gb, i));
		*out = b;
	}
	git_blame_free(gb);
	git_blob_free(blob);
	git_commit_free(c);
	buf_release(&err);
	return ret;
}

/* ---- contributors ---- */

void repo_contributor_list_free(struct repo_contributor_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nr; i++) {
		free(l->v[i].name);
		free(l->v[i].email);
	}
	free(l->v);
	free(l);
}

static struct repo_contributor *contributor_for(struct repo_contributor_list *l,
						const git_signature *a)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcasecmp(l->v[i].email, a->email))
			return &l->v[i];
	l->v = xrealloc(l->v, (l->nr + 1) * sizeof(*l->v));
	memset(&l->v[l->nr], 0, sizeof(l->v[0]));
	l->v[l->nr].name = xstrdup(a->name);
	l->v[l->nr].email = xstrdup(a->email);
	return &l->v[l->nr++];
}

int repo_contributors(struct repo *r, struct repo_contributor_list **out)
{
	struct repo_contributor_list *l = xcalloc(1, sizeof(*l));
	struct repo_walk *w = NULL;
	git_commit *head = NULL, *c = NULL;
	int ret = repo_peel_ref(r, "HEAD", &head);

	if (ret == ERR_NOTFOUND) {	/* unborn: nobody yet */
		*out = l;
		return 0;
	}
	if (ret == 0)
		ret = repo_walk_new(&w, r, 0);
	if (ret == 0)
		ret = repo_walk_push(w, git_commit_id(head));
	for (int n = 0; ret == 0 && n < REPO_CONTRIB_SCAN_MAX; n++) {
		struct repo_commit stats = { 0 };
		struct repo_contributor *who;

		ret = repo_walk_next(w, &c);
		if (ret < 0)
			break;
		who = contributor_for(l, git_commit_author(c));
		who->commits++;
		if (repo_commit_stats(r, c, &stats) == 0) {
			who->additions += stats.additions;
			who->deletions += stats.deletions;
		}
		git_commit_free(c);
	}
	if (ret == ERR_NOTFOUND)
		ret = 0;
	repo_walk_free(w);
	git_commit_free(head);
	if (ret < 0) {
		repo_contributor_list_free(l);
		return ret;
	}
	*out = l;
	return 0;
}

/* ---- languages ---- */

/* File names and extensions to GitLab's (Linguist's) language names, for the
 * programming and markup languages a repository mostly holds. */
static const struct {
	const char *pattern;	/* ".ext" (case-insensitive), or an exact file name */
	const char *language;
} lang_table[] = {
	{ ".c", "C" }, { ".h", "C" }, { ".cc", "C++" }, { ".cpp", "C++" }, { ".cxx", "C++" },
	{ ".hh", "C++" }, { ".hpp", "C++" }, { ".hxx", "C++" }, { ".cs", "C#" },
	{ ".m", "Objective-C" }, { ".mm", "Objective-C++" }, { ".go", "Go" }, { ".rs", "Rust" },
	{ ".java", "Java" }, { ".kt", "Kotlin" }, { ".kts", "Kotlin" }, { ".scala", "Scala" },
	{ ".groovy", "Groovy" }, { ".gradle", "Gradle" }, { ".swift", "Swift" },
	{ ".py", "Python" }, { ".pyi", "Python" }, { ".rb", "Ruby" }, { ".rake", "Ruby" },
	{ ".php", "PHP" }, { ".pl", "Perl" }, { ".pm", "Perl" }, { ".t", "Perl" },
	{ ".lua", "Lua" }, { ".r", "R" }, { ".jl", "Julia" }, { ".dart", "Dart" },
	{ ".js", "JavaScript" }, { ".mjs", "JavaScript" }, { ".cjs", "JavaScript" },
	{ ".jsx", "JavaScript" }, { ".ts", "TypeScript" }, { ".tsx", "TSX" }, { ".vue", "Vue" },
	{ ".svelte", "Svelte" }, { ".html", "HTML" }, { ".htm", "HTML" }, { ".css", "CSS" },
	{ ".scss", "SCSS" }, { ".sass", "Sass" }, { ".less", "Less" }, { ".sh", "Shell" },
	{ ".bash", "Shell" }, { ".zsh", "Shell" }, { ".ps1", "PowerShell" },
	{ ".bat", "Batchfile" }, { ".cmd", "Batchfile" }, { ".hs", "Haskell" },
	{ ".ml", "OCaml" }, { ".ex", "Elixir" }, { ".exs", "Elixir" }, { ".erl", "Erlang" },
	{ ".clj", "Clojure" }, { ".el", "Emacs Lisp" }, { ".vim", "Vim Script" },
	{ ".s", "Assembly" }, { ".asm", "Assembly" }, { ".tcl", "Tcl" }, { ".tf", "HCL" },
	{ ".nix", "Nix" }, { ".zig", "Zig" }, { ".f90", "Fortran" }, { ".sql", "PLpgSQL" },
	{ ".cmake", "CMake" }, { ".mk", "Makefile" }, { ".dockerfile", "Dockerfile" },
	{ ".proto", "Protocol Buffer" }, { ".xslt", "XSLT" }, { ".tex", "TeX" },
	{ "Makefile", "Makefile" }, { "GNUmakefile", "Makefile" }, { "Dockerfile", "Dockerfile" },
	{ "CMakeLists.txt", "CMake" }, { "meson.build", "Meson" }, { "Rakefile", "Ruby" },
	{ "Gemfile", "Ruby" },
};

const char *repo_language_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; i < sizeof(lang_table) / sizeof(lang_table[0]); i++) {
		const char *pat = lang_table[i].pattern;

		if (pat[0] == '.' ? dot && dot != name && !strcasecmp(dot, pat) : !strcmp(name, pat))
			return lang_table[i].language;
	}
	return NULL;
}

struct lang_walk {
	git_odb *odb;
	struct repo_language_list *out;
	size_t seen;
};

static void lang_add(struct repo_language_list *l, const char *name, int64_t bytes)
{
	size_t i;

	for (i = 0; i < l->nr && strcmp(l->v[i].name, name); i++)
		;
	if (i == l->nr) {
		if (l->nr == REPO_LANG_MAX)
			return;
		l->v[l->nr].name = name;
		l->v[l->nr++].bytes = 0;
	}
	l->v[i].bytes += bytes;
	l->total += bytes;
}

static int lang_visit(const char *root, const git_tree_entry *e, void *payload)
{
	struct lang_walk *lw = payload;
	const char *name = git_tree_entry_name(e), *lang;
	git_object_t type;
	size_t size = 0;

	(void)root;
	if (++lw->seen > REPO_LANG_SCAN_MAX)
		return -1;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		/* Vendored code is not the project's language (Linguist's rule). */
		return !strcmp(name, "vendor") || !strcmp(name, "node_modules") ||
		       !strcmp(name, "third_party") ? 1 : 0;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    git_tree_entry_filemode(e) == GIT_FILEMODE_LINK)
		return 0;
	lang = repo_language_of(name);
	if (lang && git_odb_read_header(&size, &type, lw->odb, git_tree_entry_id(e)) == 0)
		lang_add(lw->out, lang, (int64_t)size);
	return 0;
}

static int lang_cmp(const void *a, const void *b)
{
	const struct repo_language *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->name, y->name);
}

int repo_languages(struct repo *r, struct repo_language_list *out)
{
	struct lang_walk lw = { NULL, out, 0 };
	git_commit *head = NULL;
	git_tree *tree = NULL;
	int ret = repo_peel_ref(r, "HEAD", &head);

	memset(out, 0, sizeof(*out));
	if (ret == ERR_NOTFOUND)
		return 0;
	if (ret == 0)
		ret = repo_git_err(git_commit_tree(&tree, head), "tree");
	if (ret == 0)
		ret = repo_git_err(git_repository_odb(&lw.odb, r->git), "odb");
	/* A walk stopped at the scan cap reports what it counted so far. */
	if (ret == 0 && git_tree_walk(tree, GIT_TREEWALK_PRE, lang_visit, &lw) < 0)
		git_error_clear();
	if (ret == 0 && out->nr > 1)
		qsort(out->v, out->nr, sizeof(out->v[0]), lang_cmp);
	git_odb_free(lw.odb);
	git_tree_free(tree);
	git_commit_free(head);
	return ret;
}
