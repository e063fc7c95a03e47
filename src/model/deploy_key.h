/* Deploy keys: SSH keys (kind "deploy" in ssh_keys) enabled for projects,
 * each link saying whether the key may push. One key may serve several
 * projects; it is deleted with its last link. */
#ifndef KURA_DEPLOY_KEY_H
#define KURA_DEPLOY_KEY_H
#include <stdint.h>

struct buf;
struct db;
struct ssh_key;
struct ssh_key_req;

struct deploy_key_link {
	int64_t id;
	int64_t deploy_key_id;
	int64_t project_id;
	int can_push;
	int64_t created_at;
};

/* A new deploy key (r->kind "deploy") enabled for project_id, in one
 * transaction; ssh_key_create's errors. */
int deploy_key_create(struct db *db, const struct ssh_key_req *r, int64_t project_id,
		      int can_push, int64_t *id_out, struct buf *err);
/* Links key_id to project_id. ERR_EXISTS when already linked. */
int deploy_key_link(struct db *db, int64_t key_id, int64_t project_id, int can_push);
/* The link of key_id in project_id; ERR_NOTFOUND. */
int deploy_key_link_find(struct db *db, int64_t project_id, int64_t key_id,
			 struct deploy_key_link *out);
int deploy_key_link_update(struct db *db, int64_t project_id, int64_t key_id, int can_push);
/* Removes the link, and the key when no project uses it any more. */
int deploy_key_unlink(struct db *db, int64_t project_id, int64_t key_id);
/* The links of a key, oldest first (at most limit). */
int deploy_key_links(struct db *db, int64_t key_id, int64_t limit,
		     int (*fn)(const struct deploy_key_link *l, void *ctx), void *ctx);
/* The deploy keys of a project with their links, oldest link first. */
int deploy_key_project_count(struct db *db, int64_t project_id, int64_t *out);
int deploy_key_project_list(struct db *db, int64_t project_id, int64_t offset, int64_t limit,
			    int (*fn)(const struct ssh_key *k, const struct deploy_key_link *l,
				      void *ctx), void *ctx);

#endif
