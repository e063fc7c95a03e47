/* Git's ref advertisements answered from kura's own process, so that
 * ls-remote, a no-op fetch and the first request of every clone, fetch and
 * push cost no fork and exec of git.
 *
 * The output is byte for byte what git upload-pack and receive-pack write
 * with --stateless-rpc --advertise-refs, and what upload-pack answers to a
 * protocol v2 ls-refs command. What git alone knows (its capability lists,
 * agent string, v2 capability advertisement) is asked of the installed git
 * once per process, against a throw-away repository, so the answers follow
 * the server-wide config in DATA/git/gitconfig; served repositories carry
 * no settings of their own that change an advertisement.
 *
 * Every function answers ERR_UNAVAILABLE when it cannot promise git's exact
 * answer (capabilities not captured, a shallow repository, alternates, a
 * request it does not fully understand): the caller then runs git as
 * before, so unusual cases get git's own behaviour, errors included. */
#ifndef KURA_REF_ADVERT_H
#define KURA_REF_ADVERT_H
#include <stddef.h>
#include <stdint.h>

struct buf;

/* upload-pack's v0 advertisement of the project's repository (HEAD, refs,
 * peeled tags, capabilities, flush), appended to out. */
int ref_advert_upload_v0(struct buf *out, int64_t project_id);
/* receive-pack's v0 advertisement (refs, capabilities, flush). */
int ref_advert_receive_v0(struct buf *out, int64_t project_id);
/* upload-pack's protocol v2 capability advertisement (no refs in it). */
int ref_advert_upload_v2(struct buf *out);
/* The answer to a whole v2 request body req[0..n) when it is an ls-refs
 * command; ERR_UNAVAILABLE for anything else, malformed input included. */
int ref_advert_ls_refs(struct buf *out, int64_t project_id, const char *req, size_t n);
/* 1 when req[0..n) starts with a complete "command=ls-refs" packet, 0 when
 * it starts with another packet, ERR_NOTFOUND when more bytes are needed. */
int ref_advert_is_ls_refs(const char *req, size_t n);

#endif
