/* What the SSH key, deploy key and deploy token resources share. */
#ifndef KURA_API_KEYS_H
#define KURA_API_KEYS_H
#include <jansson.h>
#include <stdint.h>

struct api_ctx;
struct ssh_key;

/* GitLab's DateTime parameter ("2030-01-31", "2030-01-31T12:00:00Z"): 1
 * when given, 0 absent or empty, ERR_INVALID after answering 400. */
int api_param_datetime(struct api_ctx *c, const char *name, int64_t *out);
/* A user's SSH key (GitLab's SSHKey entity). */
json_t *api_ssh_key_json(const struct ssh_key *k);
/* GitLab's deploy_keys_projects list of a deploy key. */
json_t *api_deploy_key_projects(struct api_ctx *c, int64_t key_id);

#endif
