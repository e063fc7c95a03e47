/* Reading repositories in-process with libgit2: refs, commits, logs, trees,
 * blobs, files, diffs and archive command lines. No HTTP, no database: the
 * API and web handlers translate these results into their own shapes.
 *
 * Revisions given by clients ("rev" below) are resolved strictly: a full or
 * abbreviated (4-40 hex) object id, a branch name, a tag name, or a full ref
 * name starting with "refs/". Nothing starting with '-' and none of git's
 * revision syntax (^, ~, @{}, :) is accepted, so a client string can never
 * become an option or reach an unexpected object.
 *
 * Errors: ERR_NOTFOUND for a missing ref, path or object; ERR_INVALID for a
 * malformed name, path or revision; ERR_TOOBIG when a blob exceeds the
 * caller's cap; ERR_INTERNAL for I/O or libgit2 failures (logged at debug).
 *
 * Ownership: every struct returned through **out belongs to the caller, who
 * frees it with the matching *_free() (NULL is a no-op). Strings inside are
 * owned by their struct. */
#ifndef KURA_REPO_READ_H
#define KURA_REPO_READ_H
#include <stddef.h>
#include <stdint.h>

struct buf;
struct strvec;

#define REPO_OID_HEX 41			/* 40 hex digits and a NUL */
#define REPO_PATH_MAX 4096		/* a repository path; PATH_MAX of the checkouts */
#define REPO_LOG_SCAN_MAX 200000	/* commits one log call may examine (path/date filters) */
#define REPO_TREE_SCAN_MAX 200000	/* entries one recursive tree listing may visit */
#define REPO_DIFF_FILES_MAX 3000	/* GitLab's own diff file limit */
#define REPO_DIFF_BYTES_MAX (10 * 1024 * 1024)	/* diff text per response */
#define REPO_COMPARE_COMMITS_MAX 1000	/* commits listed by a compare */

/* One open repository; one per request, never shared between threads. */
struct repo;

/* Opens the bare repository of a project; ERR_NOTFOUND when it is missing. */
int repo_open(struct repo **out, int64_t project_id);
/* Opens a bare repository by directory (tests, tools). */
int repo_open_path(struct repo **out, const char *path);
void repo_close(struct repo *r);
/* Frees the open repositories kept for reuse (before git_libgit2_shutdown). */
void repo_pool_drain(void);
/* Frees those past their lifetime, so an idle server holds no pack maps. */
void repo_pool_sweep(void);

/* 1 when the repository has no branches and no tags, 0 otherwise. */
int repo_is_empty(struct repo *r);
/* The short name HEAD points at ("main"), even while unborn; caller frees. */
int repo_default_branch(struct repo *r, char **out);

/* Resolves rev to the commit it names (tags are peeled). ERR_INVALID for a
 * malformed rev, ERR_NOTFOUND when nothing matches. */
int repo_resolve_commit(struct repo *r, const char *rev, char out[REPO_OID_HEX]);
/* Checks a full ref name: not starting with '-', at most LIMIT_REF_NAME bytes,
 * and git_reference_name_is_valid. */
int repo_refname_check(const char *refname);

/* "2022-11-28T10:00:00.000+01:00": a commit time in its own zone, GitLab's
 * format; size >= 30. */
void repo_time_format(char *out, size_t size, int64_t ms, int offset_min);

/* ---- commits ---- */

struct repo_person {
	char *name;
	char *email;
	int64_t when_ms;
	int offset_min;		/* the zone the person recorded, minutes east of UTC */
};

struct repo_commit {
	char id[REPO_OID_HEX];
	char short_id[9];
	char *title;		/* the first line of message */
	char *message;		/* verbatim, as stored in the object */
	struct repo_person author, committer;
	char (*parent_ids)[REPO_OID_HEX];
	size_t parents_nr;
	int has_stats;		/* the three counts below were computed */
	int64_t additions, deletions, total;
};

struct repo_commit_list {
	struct repo_commit *v;
	size_t nr;
	int more;		/* at least one more commit follows this page */
};

enum repo_commit_flags {
	REPO_COMMIT_STATS = 1 << 0,	/* diff against the first parent for stats */
};

int repo_commit_get(struct repo *r, const char *rev, unsigned flags,
		    struct repo_commit **out);
void repo_commit_free(struct repo_commit *c);
void repo_commit_list_free(struct repo_commit_list *l);

struct repo_log_opts {
	const char *ref;	/* NULL: HEAD */
	const char *path;	/* NULL: every commit; else commits changing this path */
	int64_t since_ms;	/* 0: unbounded; compared with the committer date */
	int64_t until_ms;	/* 0: unbounded */
	int all;		/* every branch and tag instead of ref */
	int first_parent;
	size_t offset, limit;	/* limit 0 means LIMIT_PER_PAGE_DEFAULT */
	unsigned flags;		/* REPO_COMMIT_STATS */
};

/* Newest first. An empty repository gives an empty list for ref == NULL and
 * ERR_NOTFOUND for a named ref. Path filtering compares the tree entry at path
 * with the parents' and examines at most REPO_LOG_SCAN_MAX commits. */
int repo_commit_log(struct repo *r, const struct repo_log_opts *opts,
		    struct repo_commit_list **out);
/* The newest commit reachable from rev that changed path. */
int repo_last_commit_for_path(struct repo *r, const char *rev, const char *path,
			      char out[REPO_OID_HEX]);

/* ---- branches and tags ---- */

struct repo_branch {
	char *name;		/* short name: "feature/x" */
	int is_default;
	int merged;		/* the tip is reachable from the default branch */
	struct repo_commit commit;
};

struct repo_branch_list {
	struct repo_branch *v;
	size_t nr;
	size_t total;		/* matching branches, before offset/limit */
};

/* Sorted by name. search is a case-insensitive substring; "^x" anchors at the
 * start and "x$" at the end, as GitLab's. */
int repo_branch_list(struct repo *r, const char *search, size_t offset, size_t limit,
		     struct repo_branch_list **out);
int repo_branch_get(struct repo *r, const char *name, struct repo_branch **out);
void repo_branch_free(struct repo_branch *b);
void repo_branch_list_free(struct repo_branch_list *l);

struct repo_tag {
	char *name;
	char *message;		/* the annotation verbatim; NULL for a lightweight tag */
	char target[REPO_OID_HEX];	/* the id the ref names: tag object or commit */
	int has_commit;		/* the tag peels to a commit (not a tree or blob) */
	struct repo_commit commit;
};

struct repo_tag_list {
	struct repo_tag *v;
	size_t nr;
	size_t total;
};

enum repo_tag_order {
	REPO_TAG_BY_NAME,	/* ascending */
	REPO_TAG_BY_UPDATED,	/* newest commit first: GitLab's default */
};

int repo_tag_list(struct repo *r, const char *search, enum repo_tag_order order,
		  size_t offset, size_t limit, struct repo_tag_list **out);
int repo_tag_get(struct repo *r, const char *name, struct repo_tag **out);
/* The first max short names of branches ("refs/heads/") or tags
 * ("refs/tags/"), sorted, without loading a commit: for ref pickers. */
int repo_ref_names(struct repo *r, const char *prefix, size_t max, struct strvec *out);
void repo_tag_free(struct repo_tag *t);
void repo_tag_list_free(struct repo_tag_list *l);

/* ---- trees, blobs, files ---- */

enum repo_entry_type { REPO_ENTRY_TREE, REPO_ENTRY_BLOB, REPO_ENTRY_COMMIT };

/* "tree", "blob", "commit". */
const char *repo_entry_type_name(enum repo_entry_type t);

struct repo_tree_entry {
	char id[REPO_OID_HEX];
	char *name;
	char *path;		/* from the repository root */
	enum repo_entry_type type;
	unsigned mode;		/* print with "%06o" */
};

struct repo_tree_list {
	struct repo_tree_entry *v;
	size_t nr;
	size_t total;
};

/* Trees first, then blobs, then submodules, as GitLab sorts. path NULL or ""
 * is the root; ERR_NOTFOUND when path is missing or not a directory. An empty
 * repository gives ERR_NOTFOUND. */
int repo_tree_list(struct repo *r, const char *rev, const char *path, int recursive,
		   size_t offset, size_t limit, struct repo_tree_list **out);
void repo_tree_list_free(struct repo_tree_list *l);

struct repo_blob {
	char id[REPO_OID_HEX];
	size_t size;
	char *content;		/* size bytes and a NUL; NULL when not requested */
	int is_binary;		/* git's heuristic: a NUL in the first 8000 bytes */
};

/* max_content: bytes of content to load; a larger blob gives ERR_TOOBIG. 0
 * loads nothing (size and is_binary still set, reading only the start). */
int repo_blob_get(struct repo *r, const char *sha, size_t max_content, struct repo_blob **out);
void repo_blob_free(struct repo_blob *b);

struct repo_file {
	char *file_name;
	char *file_path;
	char blob_id[REPO_OID_HEX];
	char commit_id[REPO_OID_HEX];		/* what ref resolved to */
	char last_commit_id[REPO_OID_HEX];	/* "": fill with repo_last_commit_for_path */
	unsigned mode;
	struct repo_blob blob;			/* size, content, is_binary */
};

/* The file at path in rev. ERR_NOTFOUND also when path names a directory. */
int repo_file_get(struct repo *r, const char *rev, const char *path, size_t max_content,
		  struct repo_file **out);
void repo_file_free(struct repo_file *f);

/* Checks a repository path from a client (files API, tree path, archive
 * path): not empty, not absolute, no empty, "." or ".." component, no ".git"
 * component in any case or NTFS spelling, no control bytes, not longer than
 * REPO_PATH_MAX. ERR_INVALID with a sentence in err. */
int repo_path_check(const char *path, size_t len, struct buf *err);

/* ---- diffs ---- */

struct repo_diff {
	char *old_path, *new_path;
	unsigned a_mode, b_mode;
	int new_file, renamed_file, deleted_file;
	int is_binary;
	int too_large;		/* diff left empty: the response's byte budget ran out */
	char *diff;		/* unified hunks from "@@", no ---/+++ header */
};

struct repo_diff_list {
	struct repo_diff *v;
	size_t nr;
	int overflow;		/* files or bytes were cut at the caps */
	int64_t additions, deletions;
};

struct repo_diff_opts {
	size_t max_files;	/* 0: REPO_DIFF_FILES_MAX */
	size_t max_bytes;	/* 0: REPO_DIFF_BYTES_MAX */
};

/* The diff of a commit against its first parent (the empty tree for a root). */
int repo_commit_diff(struct repo *r, const char *rev, const struct repo_diff_opts *opts,
		     struct repo_diff_list **out);
void repo_diff_list_free(struct repo_diff_list *l);

struct repo_compare {
	struct repo_commit *commit;		/* the newest commit of commits, or NULL */
	struct repo_commit_list *commits;	/* from..to, oldest first */
	struct repo_diff_list *diffs;
	int same_ref;				/* from and to name the same commit */
};

/* straight: diff from..to directly; otherwise from merge-base(from, to)..to,
 * like GitLab. ERR_NOTFOUND when there is no merge base and !straight. */
int repo_compare(struct repo *r, const char *from, const char *to, int straight,
		 const struct repo_diff_opts *opts, struct repo_compare **out);
void repo_compare_free(struct repo_compare *c);

/* The best common ancestor of revs[0..n) (n >= 2). */
int repo_merge_base(struct repo *r, const char *const *revs, size_t n, char out[REPO_OID_HEX]);

/* ---- archives ---- */

enum repo_archive_format {
	REPO_ARCHIVE_TAR,
	REPO_ARCHIVE_TAR_GZ,
	REPO_ARCHIVE_TAR_BZ2,
	REPO_ARCHIVE_ZIP,
};

/* Maps GitLab's suffixes (tar.gz, tgz, gz, tar.bz2, tbz, tbz2, tb2, bz2, tar,
 * zip) to a format; ERR_INVALID otherwise. */
int repo_archive_format_parse(const char *s, enum repo_archive_format *out);
/* GitLab's archive prefix "<project>-<ref>-<sha>/" ('/' in ref and path
 * become '-'); sha is the resolved commit id. */
void repo_archive_prefix(struct buf *out, const char *project, const char *ref,
			 const char *sha, const char *path);
/* Appends the git arguments (after the git binary; GIT_DIR comes from the
 * environment the spawner builds) that write the archive of commit sha to
 * stdout. The output depends only on the commit, prefix, path and format, so
 * the same request gives the same bytes. sha must be a resolved 40-hex id and
 * path NULL or a path accepted by repo_path_check; ERR_INVALID otherwise. */
int repo_archive_argv(struct strvec *out, enum repo_archive_format fmt, const char *sha,
		      const char *prefix, const char *path);

#endif
