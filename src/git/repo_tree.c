/* Trees, blobs and files at a revision, and the checks every client path
 * passes before it is looked up or written (SECURITY.md 1.4, 1.6). */
#include "repo_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- path checks ---- */

/* Bytes HFS+ ignores in names, so ".g\u200cit" is ".git" on a Mac checkout. */
static size_t hfs_ignorable_len(const unsigned char *p, size_t left)
{
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x80 &&
	    ((p[2] >= 0x8c && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae)))
		return 3;
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xaa && p[2] <= 0xaf)
		return 3;
	if (left >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return 3;
	return 0;
}

/* ".git" in any case, with HFS ignorables inside or NTFS trailing dots and
 * spaces, or NTFS's short name "git~1": all name the git directory on some
 * client's checkout. */
static int is_dotgit(const char *comp, size_t len)
{
	char norm[8];
	size_t n = 0;

	for (size_t i = 0; i < len;) {
		size_t skip = hfs_ignorable_len((const unsigned char *)comp + i, len - i);

		if (skip) {
			i += skip;
			continue;
		}
		if (n == sizeof(norm))
			return 0;
		norm[n++] = comp[i++];
	}
	while (n > 0 && (norm[n - 1] == '.' || norm[n - 1] == ' '))
		n--;
	if (n == 4 && !strncasecmp(norm, ".git", 4))
		return 1;
	return n == 5 && !strncasecmp(norm, "git~1", 5);
}

int repo_path_check(const char *path, size_t len, struct buf *err)
{
	const char *comp;

	if (!path || len == 0) {
		buf_addstr(err, "The path is empty.");
		return ERR_INVALID;
	}
	if (len > REPO_PATH_MAX) {
		buf_addf(err, "The path is longer than %d bytes.", REPO_PATH_MAX);
		return ERR_INVALID;
	}
	if (memchr(path, '\0', len)) {
		buf_addstr(err, "The path contains a NUL byte.");
		return ERR_INVALID;
	}
	if (path[0] == '/') {
		buf_addstr(err, "The path must be relative to the repository root.");
		return ERR_INVALID;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c < 0x20 || c == 0x7f || c == '\\') {
			buf_addstr(err, "The path contains a control character or backslash.");
			return ERR_INVALID;
		}
	}
	comp = path;
	while (comp <= path + len) {
		const char *slash = memchr(comp, '/', (size_t)(path + len - comp));
		size_t clen = (slash ? slash : path + len) - comp;

		if (clen == 0 || (clen == 1 && comp[0] == '.') ||
		    (clen == 2 && comp[0] == '.' && comp[1] == '.')) {
			buf_addstr(err, "The path contains an empty, '.' or '..' component.");
			return ERR_INVALID;
		}
		if (clen > LIMIT_PATH_SEGMENT) {
			buf_addf(err, "A path component is longer than %d bytes.",
				 LIMIT_PATH_SEGMENT);
			return ERR_INVALID;
		}
		if (is_dotgit(comp, clen)) {
			buf_addstr(err, "The path contains a .git component.");
			return ERR_INVALID;
		}
		if (!slash)
			break;
		comp = slash + 1;
	}
	return 0;
}

/* Tree and archive paths may end in one '/'; it names the same directory. */
static int dir_path_check(const char *path, char **norm_out)
{
	struct buf ignored = BUF_INIT;
	size_t len = strlen(path);
	int ret;

	if (len > 1 && path[len - 1] == '/')
		len--;
	ret = repo_path_check(path, len, &ignored);
	buf_release(&ignored);
	if (ret == 0)
		*norm_out = xstrndup(path, len);
	return ret;
}

void repo_path_entry_id(const git_commit *commit, const char *path, git_oid *out)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;

	memset(out, 0, sizeof(*out));
	if (git_commit_tree(&tree, commit) < 0)
		return;
	if (git_tree_entry_bypath(&e, tree, path) == 0)
		git_oid_cpy(out, git_tree_entry_id(e));
	git_tree_entry_free(e);
	git_tree_free(tree);
}

/* ---- trees ---- */

const char *repo_entry_type_name(enum repo_entry_type t)
{
	switch (t) {
	case REPO_ENTRY_TREE:
		return "tree";
	case REPO_ENTRY_BLOB:
		return "blob";
	case REPO_ENTRY_COMMIT:
		return "commit";
	}
	return "blob";
}

struct tree_walk {
	struct repo_tree_entry *v;
	size_t nr, alloc;
	const char *base;	/* the listed directory, "" for the root */
	int overflow;
};

static int entry_type(const git_tree_entry *e, enum repo_entry_type *out)
{
	switch (git_tree_entry_type(e)) {
	case GIT_OBJECT_TREE:
		*out = REPO_ENTRY_TREE;
		return 0;
	case GIT_OBJECT_BLOB:
		*out = REPO_ENTRY_BLOB;
		return 0;
	case GIT_OBJECT_COMMIT:
		*out = REPO_ENTRY_COMMIT;
		return 0;
	default:
		return -1;
	}
}

static int walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct tree_walk *w = payload;
	struct repo_tree_entry *t;
	struct buf path = BUF_INIT;
	enum repo_entry_type type;

	if (entry_type(e, &type) < 0)
		return 0;
	if (w->nr == REPO_TREE_SCAN_MAX) {
		w->overflow = 1;
		return -1;
	}
	if (w->nr == w->alloc) {
		w->alloc = w->alloc ? w->alloc * 2 : 64;
		w->v = xrealloc(w->v, w->alloc * sizeof(*w->v));
	}
	t = &w->v[w->nr++];
	git_oid_tostr(t->id, sizeof(t->id), git_tree_entry_id(e));
	t->name = xstrdup(git_tree_entry_name(e));
	if (*w->base)
		buf_addf(&path, "%s/", w->base);
	buf_addf(&path, "%s%s", root, t->name);
	t->path = buf_detach(&path, NULL);
	t->type = type;
	t->mode = (unsigned)git_tree_entry_filemode(e);
	return 0;
}

static void entry_release(struct repo_tree_entry *e)
{
	free(e->name);
	free(e->path);
}

/* Loads the directory at path ("" or NULL: root) of rev's tree. */
static int lookup_dir(struct repo *r, const char *rev, const char *path, git_tree **out,
		      char **norm_out)
{
	git_commit *commit = NULL;
	git_tree *root = NULL;
	git_tree_entry *e = NULL;
	char *norm = NULL;
	int ret;

	if (path && *path && dir_path_check(path, &norm) < 0)
		return ERR_INVALID;
	ret = repo_lookup_commit(r, rev ? rev : "HEAD", &commit);
	if (ret == 0)
		ret = repo_git_err(git_commit_tree(&root, commit), "commit tree");
	if (ret == 0 && norm) {
		ret = repo_git_err(git_tree_entry_bypath(&e, root, norm), "tree path");
		if (ret == 0 && git_tree_entry_type(e) != GIT_OBJECT_TREE)
			ret = ERR_NOTFOUND;
		if (ret == 0)
			ret = repo_git_err(git_tree_lookup(out, r->git, git_tree_entry_id(e)),
					   "subtree");
		git_tree_free(root);
	} else if (ret == 0) {
		*out = root;
	}
	git_tree_entry_free(e);
	git_commit_free(commit);
	if (ret == 0)
		*norm_out = norm ? norm : xstrdup("");
	else
		free(norm);
	return ret;
}

int repo_tree_list(struct repo *r, const char *rev, const char *path, int recursive,
		   size_t offset, size_t limit, struct repo_tree_list **out)
{
	struct tree_walk w = { 0 };
	struct repo_tree_list *l;
	git_tree *tree = NULL;
	char *base = NULL;
	size_t seen = 0;
	int ret;

	ret = lookup_dir(r, rev, path, &tree, &base);
	if (ret < 0)
		return ret;
	w.base = base;
	if (recursive) {
		git_tree_walk(tree, GIT_TREEWALK_PRE, walk_cb, &w);
	} else {
		for (size_t i = 0; i < git_tree_entrycount(tree); i++)
			walk_cb("", git_tree_entry_byindex(tree, i), &w);
	}
	git_tree_free(tree);
	free(base);
	if (w.overflow) {
		for (size_t i = 0; i < w.nr; i++)
			entry_release(&w.v[i]);
		free(w.v);
		return ERR_TOOBIG;
	}
	if (limit == 0)
		limit = LIMIT_PER_PAGE_DEFAULT;
	l = xcalloc(1, sizeof(*l));
	l->total = w.nr;
	l->v = xcalloc(limit < w.nr ? limit : (w.nr ? w.nr : 1), sizeof(*l->v));
	/* GitLab's order: directories, then files, then submodules. */
	for (int type = REPO_ENTRY_TREE; type <= REPO_ENTRY_COMMIT; type++) {
		for (size_t i = 0; i < w.nr; i++) {
			if ((int)w.v[i].type != type)
				continue;
			if (seen++ >= offset && l->nr < limit) {
				l->v[l->nr++] = w.v[i];
				continue;
			}
			entry_release(&w.v[i]);
		}
	}
	free(w.v);
	*out = l;
	return 0;
}

void repo_tree_list_free(struct repo_tree_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nr; i++)
		entry_release(&l->v[i]);
	free(l->v);
	free(l);
}

/* ---- blobs and files ---- */

static int blob_fill(struct repo *r, const git_oid *oid, size_t max_content,
		     struct repo_blob *b)
{
	git_odb *odb = NULL;
	git_blob *blob = NULL;
	git_object_t type;
	size_t size = 0;
	int ret;

	ret = git_repository_odb(&odb, r->git);
	if (ret == 0)
		ret = git_odb_read_header(&size, &type, odb, oid);
	git_odb_free(odb);
	if (ret < 0)
		return repo_git_err(ret, "blob header");
	if (type != GIT_OBJECT_BLOB)
		return ERR_NOTFOUND;
	/* Refuse before loading: libgit2 reads a blob whole. */
	if (max_content && size > max_content)
		return ERR_TOOBIG;
	ret = git_blob_lookup(&blob, r->git, oid);
	if (ret < 0)
		return repo_git_err(ret, "blob lookup");
	memset(b, 0, sizeof(*b));
	git_oid_tostr(b->id, sizeof(b->id), oid);
	b->size = (size_t)git_blob_rawsize(blob);
	b->is_binary = git_blob_is_binary(blob);
	if (max_content) {
		b->content = xmalloc(b->size + 1);
		memcpy(b->content, git_blob_rawcontent(blob), b->size);
		b->content[b->size] = '\0';
	}
	git_blob_free(blob);
	return 0;
}

int repo_blob_get(struct repo *r, const char *sha, size_t max_content, struct repo_blob **out)
{
	git_object *obj = NULL;
	struct repo_blob *b;
	git_oid oid;
	size_t len = sha ? strlen(sha) : 0;
	int ret;

	if (len < 4 || len > 40 || strspn(sha, "0123456789abcdefABCDEF") != len)
		return ERR_INVALID;
	ret = git_oid_fromstrn(&oid, sha, len);
	if (ret == 0)
		ret = git_object_lookup_prefix(&obj, r->git, &oid, len, GIT_OBJECT_BLOB);
	if (ret < 0)
		return repo_git_err(ret, "blob prefix");
	git_oid_cpy(&oid, git_object_id(obj));
	git_object_free(obj);
	b = xcalloc(1, sizeof(*b));
	ret = blob_fill(r, &oid, max_content, b);
	if (ret < 0) {
		free(b);
		return ret;
	}
	*out = b;
	return 0;
}

void repo_blob_free(struct repo_blob *b)
{
	if (!b)
		return;
	free(b->content);
	free(b);
}

int repo_file_get(struct repo *r, const char *rev, const char *path, size_t max_content,
		  struct repo_file **out)
{
	struct buf ignored = BUF_INIT;
	struct repo_file *f = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	const char *slash;
	int ret;

	ret = path ? repo_path_check(path, strlen(path), &ignored) : ERR_INVALID;
	buf_release(&ignored);
	if (ret < 0)
		return ret;
	ret = repo_lookup_commit(r, rev ? rev : "HEAD", &commit);
	if (ret == 0)
		ret = repo_git_err(git_commit_tree(&tree, commit), "commit tree");
	if (ret == 0)
		ret = repo_git_err(git_tree_entry_bypath(&e, tree, path), "file path");
	if (ret == 0 && git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		ret = ERR_NOTFOUND;
	if (ret < 0)
		goto out;
	f = xcalloc(1, sizeof(*f));
	ret = blob_fill(r, git_tree_entry_id(e), max_content, &f->blob);
	if (ret < 0)
		goto out;
	slash = strrchr(path, '/');
	f->file_name = xstrdup(slash ? slash + 1 : path);
	f->file_path = xstrdup(path);
	f->mode = (unsigned)git_tree_entry_filemode(e);
	git_oid_tostr(f->blob_id, sizeof(f->blob_id), git_tree_entry_id(e));
	git_oid_tostr(f->commit_id, sizeof(f->commit_id), git_commit_id(commit));
	/* last_commit_id is left to callers that need it: finding it walks
	 * history, and a page showing a file must not pay for that. */
out:
	if (ret < 0) {
		repo_file_free(f);
		f = NULL;
	}
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(commit);
	if (ret == 0)
		*out = f;
	return ret;
}

void repo_file_free(struct repo_file *f)
{
	if (!f)
		return;
	free(f->file_name);
	free(f->file_path);
	free(f->blob.content);
	free(f);
}
