/* Commits from GitLab's file actions (create, update, delete, move, chmod).
 * The start tree is loaded into an in-memory index, the actions are applied
 * in order, and the resulting tree is committed and put on the branch with
 * repo_ref_update(), a compare-and-swap from the start commit. Nothing touches
 * a working tree or the repository's own index. */
#include "repo_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const action_names[] = {
	[REPO_ACTION_CREATE] = "create",
	[REPO_ACTION_UPDATE] = "update",
	[REPO_ACTION_DELETE] = "delete",
	[REPO_ACTION_MOVE] = "move",
	[REPO_ACTION_CHMOD] = "chmod",
};

int repo_action_kind_parse(const char *s, enum repo_action_kind *out)
{
	for (size_t i = 0; s && i < sizeof(action_names) / sizeof(action_names[0]); i++) {
		if (!strcmp(s, action_names[i])) {
			*out = (enum repo_action_kind)i;
			return 0;
		}
	}
	return ERR_INVALID;
}

/* Everything one commit needs while its actions are applied. */
struct commit_ctx {
	struct repo *r;
	git_index *index;
	char start_id[REPO_OID_HEX];	/* "" for a root commit */
	struct buf *err;
};

static int path_ok(struct commit_ctx *c, const char *path)
{
	if (!path) {
		buf_addstr(c->err, "A file path is missing.");
		return ERR_INVALID;
	}
	return repo_path_check(path, strlen(path), c->err);
}

static unsigned file_mode(unsigned current, int execute_filemode)
{
	if (current == GIT_FILEMODE_LINK || execute_filemode < 0)
		return current ? current : GIT_FILEMODE_BLOB;
	return execute_filemode ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
}

static const git_index_entry *file_at(struct commit_ctx *c, const char *path)
{
	return git_index_get_bypath(c->index, path, 0);
}

/* A new file at path must not replace a directory nor sit under a file. */
static int check_free(struct commit_ctx *c, const char *path)
{
	struct buf prefix = BUF_INIT;
	size_t pos;
	int ret = 0;

	if (file_at(c, path)) {
		buf_addstr(c->err, "A file with this name already exists.");
		return ERR_EXISTS;
	}
	buf_addf(&prefix, "%s/", path);
	if (git_index_find_prefix(&pos, c->index, prefix.ptr) == 0) {
		buf_addstr(c->err, "A directory with this name already exists.");
		ret = ERR_EXISTS;
	}
	for (char *p = prefix.ptr; ret == 0 && (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (file_at(c, prefix.ptr)) {
			buf_addstr(c->err, "A file exists where the path needs a directory.");
			ret = ERR_EXISTS;
		}
		*p = '/';
	}
	buf_release(&prefix);
	return ret;
}

static const git_index_entry *existing(struct commit_ctx *c, const char *path, int *ret)
{
	const git_index_entry *e = file_at(c, path);

	*ret = 0;
	if (!e || e->mode == GIT_FILEMODE_COMMIT) {
		buf_addstr(c->err, "A file with this name doesn't exist.");
		*ret = ERR_NOTFOUND;
		return NULL;
	}
	return e;
}

static int check_last_commit(struct commit_ctx *c, const struct repo_action *a)
{
	char last[REPO_OID_HEX];
	int ret;

	if (!a->last_commit_id)
		return 0;
	ret = c->start_id[0] ? repo_last_commit_for_path(c->r, c->start_id, a->path, last)
			     : ERR_NOTFOUND;
	if (ret == 0 && !strcasecmp(last, a->last_commit_id))
		return 0;
	if (ret < 0 && ret != ERR_NOTFOUND)
		return ret;
	buf_addstr(c->err, "You are attempting to update a file that has changed since you "
		   "started editing it.");
	return ERR_BUSY;
}

static int put_file(struct commit_ctx *c, const char *path, const git_oid *blob, unsigned mode)
{
	git_index_entry e;

	memset(&e, 0, sizeof(e));
	e.path = path;
	e.mode = mode;
	git_oid_cpy(&e.id, blob);
	return repo_git_err(git_index_add(c->index, &e), "index add");
}

static int write_blob(struct commit_ctx *c, const struct repo_action *a, git_oid *out)
{
	return repo_git_err(git_blob_create_from_buffer(out, c->r->git,
				a->content ? a->content : "", a->content ? a->content_len : 0),
			    "blob");
}

static int apply_create(struct commit_ctx *c, const struct repo_action *a)
{
	git_oid blob;
	int ret;

	ret = check_free(c, a->path);
	if (ret == 0)
		ret = write_blob(c, a, &blob);
	if (ret == 0)
		ret = put_file(c, a->path, &blob, file_mode(0, a->execute_filemode > 0));
	return ret;
}

static int apply_update(struct commit_ctx *c, const struct repo_action *a)
{
	const git_index_entry *e;
	unsigned mode;
	git_oid blob;
	int ret;

	e = existing(c, a->path, &ret);
	if (ret < 0)
		return ret;
	if (!a->content) {
		buf_addstr(c->err, "The content of the file is missing.");
		return ERR_INVALID;
	}
	mode = file_mode(e->mode, a->execute_filemode);
	ret = check_last_commit(c, a);
	if (ret == 0)
		ret = write_blob(c, a, &blob);
	if (ret == 0)
		ret = put_file(c, a->path, &blob, mode);
	return ret;
}

static int apply_delete(struct commit_ctx *c, const struct repo_action *a)
{
	int ret;

	existing(c, a->path, &ret);
	if (ret == 0)
		ret = check_last_commit(c, a);
	if (ret == 0)
		ret = repo_git_err(git_index_remove(c->index, a->path, 0), "index remove");
	return ret;
}

static int apply_move(struct commit_ctx *c, const struct repo_action *a)
{
	const git_index_entry *e;
	unsigned mode;
	git_oid blob;
	int ret;

	ret = path_ok(c, a->previous_path);
	if (ret < 0)
		return ret;
	e = existing(c, a->previous_path, &ret);
	if (ret < 0)
		return ret;
	/* Copied before the index changes under e. */
	mode = file_mode(e->mode, a->execute_filemode);
	git_oid_cpy(&blob, &e->id);
	ret = check_free(c, a->path);
	if (ret == 0 && a->content)
		ret = write_blob(c, a, &blob);
	if (ret == 0)
		ret = repo_git_err(git_index_remove(c->index, a->previous_path, 0), "index remove");
	if (ret == 0)
		ret = put_file(c, a->path, &blob, mode);
	return ret;
}

static int apply_chmod(struct commit_ctx *c, const struct repo_action *a)
{
	const git_index_entry *e;
	git_oid blob;
	int ret;

	e = existing(c, a->path, &ret);
	if (ret < 0)
		return ret;
	if (a->execute_filemode < 0) {
		buf_addstr(c->err, "execute_filemode is missing.");
		return ERR_INVALID;
	}
	git_oid_cpy(&blob, &e->id);
	return put_file(c, a->path, &blob, file_mode(e->mode, a->execute_filemode));
}

static int apply_action(struct commit_ctx *c, const struct repo_action *a)
{
	int ret = path_ok(c, a->path);

	if (ret < 0)
		return ret;
	switch (a->kind) {
	case REPO_ACTION_CREATE:
		return apply_create(c, a);
	case REPO_ACTION_UPDATE:
		return apply_update(c, a);
	case REPO_ACTION_DELETE:
		return apply_delete(c, a);
	case REPO_ACTION_MOVE:
		return apply_move(c, a);
	case REPO_ACTION_CHMOD:
		return apply_chmod(c, a);
	}
	buf_addstr(c->err, "The action is not one of create, update, delete, move, chmod.");
	return ERR_INVALID;
}

static int check_request(const struct repo_commit_req *req, struct buf *err)
{
	if (repo_branch_name_check(req->branch) < 0) {
		buf_addstr(err, "The branch name is invalid.");
		return ERR_INVALID;
	}
	if (req->start_branch && repo_branch_name_check(req->start_branch) < 0) {
		buf_addstr(err, "The start branch name is invalid.");
		return ERR_INVALID;
	}
	if (!req->message || !*req->message || strlen(req->message) > REPO_MESSAGE_MAX) {
		buf_addstr(err, "The commit message is missing or too long.");
		return ERR_INVALID;
	}
	if (req->actions_nr == 0 || req->actions_nr > REPO_ACTIONS_MAX) {
		buf_addf(err, "A commit needs between 1 and %d actions.", REPO_ACTIONS_MAX);
		return ERR_INVALID;
	}
	return 0;
}

/* Picks the start commit and the value the branch must still have when we
 * move it: the branch itself, or start_branch for a new branch, or nothing
 * for the first commit of an empty repository (GitLab's rules). */
static int find_start(struct commit_ctx *c, const struct repo_commit_req *req,
		      const char *refname, char old_id[REPO_OID_HEX])
{
	struct buf start = BUF_INIT;
	int exists, ret;

	exists = repo_resolve_commit(c->r, refname, old_id) == 0;
	if (req->start_branch && strcmp(req->start_branch, req->branch) != 0) {
		if (exists) {
			buf_addf(c->err, "A branch called '%s' already exists. Switch to that "
				 "branch in order to make changes.", req->branch);
			return ERR_EXISTS;
		}
		memcpy(old_id, REPO_ZERO_OID, REPO_OID_HEX);
		buf_addf(&start, "refs/heads/%s", req->start_branch);
		ret = repo_resolve_commit(c->r, start.ptr, c->start_id);
		buf_release(&start);
		if (ret == ERR_NOTFOUND && repo_is_empty(c->r))
			ret = 0;	/* both missing in an empty repository: a root commit */
		if (ret == ERR_NOTFOUND)
			buf_addstr(c->err, "You can only create or edit files when you are on "
				   "a branch.");
		return ret;
	}
	if (exists) {
		memcpy(c->start_id, old_id, REPO_OID_HEX);
		return 0;
	}
	memcpy(old_id, REPO_ZERO_OID, REPO_OID_HEX);
	if (repo_is_empty(c->r))
		return 0;
	buf_addstr(c->err, "You can only create or edit files when you are on a branch.");
	return ERR_NOTFOUND;
}

static int load_start_tree(struct commit_ctx *c)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	int ret;

	ret = repo_git_err(git_index_new(&c->index), "index");
	if (ret < 0 || !c->start_id[0])
		return ret;
	ret = repo_git_err(git_oid_fromstr(&oid, c->start_id), "start id");
	if (ret == 0)
		ret = repo_git_err(git_commit_lookup(&commit, c->r->git, &oid), "start");
	if (ret == 0)
		ret = repo_git_err(git_commit_tree(&tree, commit), "start tree");
	if (ret == 0)
		ret = repo_git_err(git_index_read_tree(c->index, tree), "read tree");
	git_tree_free(tree);
	git_commit_free(commit);
	return ret;
}

static int write_commit(struct commit_ctx *c, const struct repo_commit_req *req, git_oid *out)
{
	git_signature *author = NULL, *committer = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, pid;
	int ret;

	ret = repo_signature_new(&author, &req->author);
	if (ret == 0)
		ret = repo_signature_new(&committer,
					 req->committer.name ? &req->committer : &req->author);
	if (ret < 0) {
		buf_addstr(c->err, "The author or committer name or email is invalid.");
		goto out;
	}
	ret = repo_git_err(git_index_write_tree_to(&tree_id, c->index, c->r->git), "write tree");
	if (ret == 0)
		ret = repo_git_err(git_tree_lookup(&tree, c->r->git, &tree_id), "tree");
	if (ret == 0 && c->start_id[0]) {
		git_oid_fromstr(&pid, c->start_id);
		ret = repo_git_err(git_commit_lookup(&parent, c->r->git, &pid), "parent");
	}
	/* The message goes in as given: libgit2 adds no newline and strips nothing. */
	if (ret == 0)
		ret = repo_git_err(git_commit_create(out, c->r->git, NULL, author, committer, NULL,
						     req->message, tree, parent ? 1 : 0,
						     (const git_commit **)&parent), "commit");
out:
	git_commit_free(parent);
	git_tree_free(tree);
	git_signature_free(author);
	git_signature_free(committer);
	return ret;
}

int repo_commit_create(struct repo *r, const struct repo_commit_req *req,
		       struct repo_ref_change *out, struct buf *err)
{
	struct commit_ctx c = { .r = r, .err = err };
	struct buf refname = BUF_INIT;
	char old_id[REPO_OID_HEX], new_id[REPO_OID_HEX];
	git_oid oid;
	int ret;

	ret = check_request(req, err);
	if (ret < 0)
		return ret;
	buf_addf(&refname, "refs/heads/%s", req->branch);
	ret = find_start(&c, req, refname.ptr, old_id);
	if (ret == 0)
		ret = load_start_tree(&c);
	for (size_t i = 0; ret == 0 && i < req->actions_nr; i++)
		ret = apply_action(&c, &req->actions[i]);
	if (ret == 0)
		ret = write_commit(&c, req, &oid);
	if (ret == 0) {
		git_oid_tostr(new_id, sizeof(new_id), &oid);
		ret = repo_ref_update(r, refname.ptr, old_id, new_id, "commit", out);
		if (ret == ERR_BUSY || ret == ERR_EXISTS) {
			buf_addstr(err, "The branch changed while the commit was being made; "
				   "try again.");
			ret = ERR_BUSY;
		}
	}
	git_index_free(c.index);
	buf_release(&refname);
	return ret;
}
