#include "ref_advert.h"
#include "gitproc.h"
#include "pktline.h"
#include "repo_internal.h"
#include "repo_store.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROBE_GIT_MS (10 * 1000)
#define PROBE_HEAD "refs/heads/main"
#define PROBE_SYMREF " symref=HEAD:" PROBE_HEAD
/* git's ls-refs stops honouring ref-prefix lines past this many. */
#define LS_REFS_MAX_PREFIXES 65536

/* What only git knows, asked once per process (see the header). */
static struct {
	int ok;
	char *upload_before;	/* upload-pack's capabilities before " symref=…" */
	char *upload_after;	/* … and after it */
	char *receive;		/* receive-pack's capabilities */
	struct buf upload_v2;	/* the whole v2 capability advertisement */
	int allow_unborn;	/* v2 advertises ls-refs=unborn */
} caps = { .upload_v2 = BUF_INIT };

static pthread_once_t caps_once = PTHREAD_ONCE_INIT;

/* ---- asking git once ---- */

/* A bare repository with one empty commit on main, HEAD pointing at it. */
static int probe_create(const char *path)
{
	git_repository_init_options opts;
	git_repository *git = NULL;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, commit_id;
	int ret;

	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	opts.initial_head = "main";
	ret = git_repository_init_ext(&git, path, &opts);
	if (ret == 0)
		ret = git_treebuilder_new(&tb, git, NULL);
	if (ret == 0)
		ret = git_treebuilder_write(&tree_id, tb);
	if (ret == 0)
		ret = git_tree_lookup(&tree, git, &tree_id);
	if (ret == 0)
		ret = git_signature_new(&sig, "kura", "kura@localhost", 0, 0);
	if (ret == 0)
		ret = git_commit_create(&commit_id, git, PROBE_HEAD, sig, sig, NULL, "probe\n",
					tree, 0, NULL);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_repository_free(git);
	return ret < 0 ? repo_git_err(ret, "advertisement probe") : 0;
}

static int probe_run(struct buf *out, const char *service, const char *protocol,
		     const char *path)
{
	struct gitproc p = GITPROC_INIT;
	int ret;

	gitproc_arg(&p, service);
	gitproc_arg(&p, "--stateless-rpc");
	gitproc_arg(&p, "--advertise-refs");
	gitproc_arg_value(&p, path);
	if (protocol)
		gitproc_env_protocol(&p, protocol);
	ret = gitproc_run(&p, out, PROBE_GIT_MS);
	gitproc_release(&p);
	return ret;
}

/* The capabilities after the NUL of the first packet, which must name
 * want_ref; a copy the caller frees, or NULL. */
static char *probe_first_caps(const struct buf *out, const char *want_ref)
{
	struct pktline pkt;
	size_t off = 0;
	const char *nul;

	if (pktline_next(out->ptr, out->len, &off, &pkt) < 0 || pkt.kind != PKTLINE_DATA ||
	    pkt.len < GIT_OID_HEXSZ + 1 + strlen(want_ref) + 1)
		return NULL;
	nul = memchr(pkt.data, '\0', pkt.len);
	if (!nul || (size_t)(nul - pkt.data) != GIT_OID_HEXSZ + 1 + strlen(want_ref) ||
	    memcmp(pkt.data + GIT_OID_HEXSZ + 1, want_ref, strlen(want_ref)))
		return NULL;
	return xstrndup(nul + 1, pkt.len - (size_t)(nul + 1 - pkt.data));
}

static int probe_parse_upload(const struct buf *out)
{
	char *all = probe_first_caps(out, "HEAD");
	char *at = all ? strstr(all, PROBE_SYMREF) : NULL;

	if (!at) {
		free(all);
		return ERR_INTERNAL;
	}
	caps.upload_before = xstrndup(all, (size_t)(at - all));
	caps.upload_after = xstrdup(at + strlen(PROBE_SYMREF));
	free(all);
	return 0;
}

static int probe_parse_v2(const struct buf *out)
{
	static const char version[] = "000eversion 2\n";

	if (out->len < sizeof(version) + 3 || memcmp(out->ptr, version, sizeof(version) - 1) ||
	    memcmp(out->ptr + out->len - 4, "0000", 4))
		return ERR_INTERNAL;
	buf_add(&caps.upload_v2, out->ptr, out->len);
	caps.allow_unborn = memmem(out->ptr, out->len, "ls-refs=unborn\n", 15) != NULL;
	return 0;
}

static void caps_capture(void)
{
	struct buf dir = BUF_INIT, repo = BUF_INIT, out = BUF_INIT_MAX(64 * 1024);
	int ret;

	buf_addf(&dir, "%s/git/probe-XXXXXX", repo_store_data_dir());
	if (!mkdtemp(dir.ptr)) {
		log_warn("git_http", "advertisements come from git: no probe directory");
		goto out;
	}
	buf_addf(&repo, "%s/probe.git", dir.ptr);
	ret = probe_create(repo.ptr);
	if (ret == 0)
		ret = probe_run(&out, "upload-pack", NULL, repo.ptr);
	if (ret == 0)
		ret = probe_parse_upload(&out);
	buf_reset(&out);
	if (ret == 0)
		ret = probe_run(&out, "upload-pack", "version=2", repo.ptr);
	if (ret == 0)
		ret = probe_parse_v2(&out);
	buf_reset(&out);
	if (ret == 0)
		ret = probe_run(&out, "receive-pack", NULL, repo.ptr);
	if (ret == 0)
		caps.receive = probe_first_caps(&out, PROBE_HEAD);
	caps.ok = ret == 0 && caps.receive;
	if (!caps.ok)
		log_warn("git_http", "git's advertisement not understood; git serves every one");
	(void)repo_store_remove_tree(dir.ptr);
out:
	buf_release(&dir);
	buf_release(&repo);
	buf_release(&out);
}

static int caps_ready(void)
{
	pthread_once(&caps_once, caps_capture);
	return caps.ok ? 0 : ERR_UNAVAILABLE;
}

/* ---- the refs, as git's ref iteration sees them ---- */

struct adv_ref {
	char *name;
	char *symref_target;	/* the ref a symbolic ref resolves to; NULL if direct */
	git_oid oid;
	git_oid peeled;		/* what a tag peels to, when has_peeled */
	int has_peeled;
};

struct adv_refs {
	struct adv_ref *v;
	size_t nr, alloc;
	struct adv_ref head;
	enum { HEAD_NONE, HEAD_OK, HEAD_UNBORN } head_state;
};

static void adv_refs_release(struct adv_refs *refs)
{
	for (size_t i = 0; i < refs->nr; i++) {
		free(refs->v[i].name);
		free(refs->v[i].symref_target);
	}
	free(refs->v);
	free(refs->head.name);
	free(refs->head.symref_target);
}

/* What an object peels to never changes, so it is remembered per process
 * in a small direct-mapped table: a repository's tags cost a read each the
 * first time they are advertised, not on every ls-remote. Only the
 * object's own facts are kept; whether this repository has it is still
 * asked every time. */
enum peel_state { PEEL_UNKNOWN, PEEL_NON_TAG, PEEL_TAG, PEEL_BROKEN };

struct peel_slot {
	git_oid oid;
	git_oid peeled;
	unsigned char state;
};

#define PEEL_CACHE_SLOTS 8192	/* ~360 KB once used; a collision only costs a read */

static struct peel_slot *peel_cache;
static pthread_mutex_t peel_lock = PTHREAD_MUTEX_INITIALIZER;

static struct peel_slot *peel_slot_for(const git_oid *id)
{
	unsigned int h = ((unsigned int)id->id[0] << 8 | id->id[1]) << 8 | id->id[2];

	if (!peel_cache)
		peel_cache = xcalloc(PEEL_CACHE_SLOTS, sizeof(*peel_cache));
	return &peel_cache[h % PEEL_CACHE_SLOTS];
}

static enum peel_state peel_cache_get(const git_oid *id, git_oid *peeled)
{
	enum peel_state state = PEEL_UNKNOWN;
	struct peel_slot *slot;

	pthread_mutex_lock(&peel_lock);
	slot = peel_slot_for(id);
	if (slot->state != PEEL_UNKNOWN && git_oid_equal(&slot->oid, id)) {
		state = slot->state;
		git_oid_cpy(peeled, &slot->peeled);
	}
	pthread_mutex_unlock(&peel_lock);
	return state;
}

static void peel_cache_put(const git_oid *id, enum peel_state state, const git_oid *peeled)
{
	struct peel_slot *slot;

	pthread_mutex_lock(&peel_lock);
	slot = peel_slot_for(id);
	git_oid_cpy(&slot->oid, id);
	git_oid_cpy(&slot->peeled, peeled);
	slot->state = (unsigned char)state;
	pthread_mutex_unlock(&peel_lock);
}

/* git's peel_object(): follows tags as each one names its target, to the
 * first target that is not a tag (which need not be present). */
static enum peel_state peel_read(git_repository *git, git_odb *odb, const git_oid *id,
				 git_oid *peeled)
{
	git_object_t type;
	git_oid cur;
	size_t size;

	if (git_odb_read_header(&size, &type, odb, id) < 0)
		return PEEL_UNKNOWN;	/* missing here: nothing to remember */
	if (type != GIT_OBJECT_TAG)
		return PEEL_NON_TAG;
	git_oid_cpy(&cur, id);
	while (type == GIT_OBJECT_TAG) {
		git_tag *tag = NULL;

		if (git_tag_lookup(&tag, git, &cur) < 0)
			return PEEL_BROKEN;
		git_oid_cpy(&cur, git_tag_target_id(tag));
		type = git_tag_target_type(tag);
		git_tag_free(tag);
	}
	git_oid_cpy(peeled, &cur);
	return PEEL_TAG;
}

/* Sets r->peeled for a tag, as git's advertisement shows it; a packed
 * ref's recorded peel is used as git uses it. */
static void adv_peel(git_repository *git, git_odb *odb, const git_reference *direct,
		     struct adv_ref *r)
{
	const git_oid *packed = git_reference_target_peel(direct);
	git_oid zero = { { 0 } };
	enum peel_state state;

	if (packed) {
		git_oid_cpy(&r->peeled, packed);
		r->has_peeled = 1;
		return;
	}
	state = peel_cache_get(&r->oid, &r->peeled);
	if (state == PEEL_NON_TAG)
		return;
	if (state == PEEL_UNKNOWN) {
		state = peel_read(git, odb, &r->oid, &r->peeled);
		if (state != PEEL_UNKNOWN)
			peel_cache_put(&r->oid, state, state == PEEL_TAG ? &r->peeled : &zero);
	} else if (!git_odb_exists(odb, &r->oid)) {
		return;		/* a tag some other repository has, not this one */
	}
	r->has_peeled = state == PEEL_TAG;
}

/* Fills r from ref, following a symbolic ref to its end. ERR_NOTFOUND for
 * a symbolic ref to nothing, which git's iteration skips; a ref to a
 * missing object git still lists (unpeeled), and so does kura. */
static int adv_ref_fill(git_repository *git, git_odb *odb, git_reference *ref,
			struct adv_ref *r)
{
	git_reference *resolved = NULL;

	if (git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC) {
		if (git_reference_resolve(&resolved, ref) < 0)
			return ERR_NOTFOUND;
		r->symref_target = xstrdup(git_reference_name(resolved));
	}
	git_oid_cpy(&r->oid, git_reference_target(resolved ? resolved : ref));
	adv_peel(git, odb, resolved ? resolved : ref, r);
	git_reference_free(resolved);
	return 0;
}

static int cmp_ref_name(const void *a, const void *b)
{
	return strcmp(((const struct adv_ref *)a)->name, ((const struct adv_ref *)b)->name);
}

/* HEAD as git's head_ref and resolve_ref_unsafe see it: resolving (even to
 * a missing object), unborn (a symbolic ref to nothing yet), or absent. */
static void adv_head(git_repository *git, git_odb *odb, struct adv_refs *refs)
{
	git_reference *head = NULL, *resolved = NULL;

	if (git_reference_lookup(&head, git, "HEAD") < 0)
		return;
	refs->head.name = xstrdup("HEAD");
	if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    git_reference_resolve(&resolved, head) < 0) {
		refs->head.symref_target = xstrdup(git_reference_symbolic_target(head));
		refs->head_state = HEAD_UNBORN;
		goto out;
	}
	if (resolved)
		refs->head.symref_target = xstrdup(git_reference_name(resolved));
	git_oid_cpy(&refs->head.oid, git_reference_target(resolved ? resolved : head));
	adv_peel(git, odb, resolved ? resolved : head, &refs->head);
	refs->head_state = HEAD_OK;
out:
	git_reference_free(resolved);
	git_reference_free(head);
}

static int adv_refs_collect(struct repo *r, struct adv_refs *refs)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_odb *odb = NULL;
	int ret, gerr;

	ret = git_repository_odb(&odb, r->git) < 0 ||
	      git_reference_iterator_new(&it, r->git) < 0 ? ERR_UNAVAILABLE : 0;
	while (ret == 0 && (gerr = git_reference_next(&ref, it)) == 0) {
		struct adv_ref one = { 0 };

		if (!strncmp(git_reference_name(ref), "refs/", 5) &&
		    adv_ref_fill(r->git, odb, ref, &one) == 0) {
			if (refs->nr == refs->alloc) {
				refs->alloc = refs->alloc ? refs->alloc * 2 : 64;
				refs->v = xrealloc(refs->v, refs->alloc * sizeof(*refs->v));
			}
			one.name = xstrdup(git_reference_name(ref));
			refs->v[refs->nr++] = one;
		}
		git_reference_free(ref);
	}
	/* A ref libgit2 cannot read is one git may still list: let git answer. */
	if (ret == 0 && gerr != GIT_ITEROVER)
		ret = ERR_UNAVAILABLE;
	if (ret == 0) {
		if (refs->nr)
			qsort(refs->v, refs->nr, sizeof(*refs->v), cmp_ref_name);
		adv_head(r->git, odb, refs);
	}
	git_reference_iterator_free(it);
	git_odb_free(odb);
	return ret;
}

/* Opens the project's repository when kura can answer for it exactly:
 * git advertises shallow roots (upload-pack) and alternates' refs
 * (receive-pack), which kura leaves to git. */
static int adv_open(struct repo **out, int64_t project_id)
{
	struct buf alt = BUF_INIT;
	struct repo *r = NULL;
	int ret = caps_ready();

	if (ret == 0 && repo_open(&r, project_id) < 0)
		ret = ERR_UNAVAILABLE;
	if (ret == 0) {
		buf_addf(&alt, "%s/objects/info/alternates", git_repository_path(r->git));
		if (git_repository_is_shallow(r->git) != 0 || access(alt.ptr, F_OK) == 0)
			ret = ERR_UNAVAILABLE;
	}
	buf_release(&alt);
	if (ret < 0) {
		repo_close(r);
		return ret;
	}
	*out = r;
	return 0;
}

/* ---- v0 advertisements ---- */

/* "<oid> <name><suffix>[\0<caps>]\n", built in place: this runs once per
 * ref on every advertisement. */
static void add_ref_line(struct buf *out, const git_oid *oid, const char *name,
			 const char *suffix, const struct buf *caps_line)
{
	size_t start = pktline_start(out);
	char hex[GIT_OID_HEXSZ];

	git_oid_fmt(hex, oid);
	buf_add(out, hex, sizeof(hex));
	buf_addch(out, ' ');
	buf_addstr(out, name);
	buf_addstr(out, suffix);
	if (caps_line) {
		buf_addch(out, '\0');
		buf_add(out, caps_line->ptr, caps_line->len);
	}
	buf_addch(out, '\n');
	pktline_end(out, start);
}

/* One ref and, for a tag, its peeled line; the first line carries caps. */
static void add_v0_ref(struct buf *out, const struct adv_ref *r, int peel,
		       const struct buf *caps_line, int *first)
{
	add_ref_line(out, &r->oid, r->name, "", *first ? caps_line : NULL);
	*first = 0;
	if (peel && r->has_peeled)
		add_ref_line(out, &r->peeled, r->name, "^{}", NULL);
}

/* upload-pack's and receive-pack's v0 lists differ in three ways: HEAD
 * first with symref= for upload-pack, peeled lines for upload-pack, and a
 * placeholder line carrying receive-pack's capabilities when it has no ref. */
static void add_v0_refs(struct buf *out, const struct adv_refs *refs, int upload)
{
	struct buf line = BUF_INIT;
	int first = 1;

	if (upload) {
		buf_addstr(&line, caps.upload_before);
		if (refs->head_state == HEAD_OK && refs->head.symref_target)
			buf_addf(&line, " symref=HEAD:%s", refs->head.symref_target);
		buf_addstr(&line, caps.upload_after);
		if (refs->head_state == HEAD_OK)
			add_v0_ref(out, &refs->head, 1, &line, &first);
	} else {
		buf_addstr(&line, caps.receive);
	}
	for (size_t i = 0; i < refs->nr; i++)
		add_v0_ref(out, &refs->v[i], upload, &line, &first);
	if (first && !upload) {
		git_oid zero = { { 0 } };

		add_ref_line(out, &zero, "capabilities^{}", "", &line);
	}
	pktline_flush(out);
	buf_release(&line);
}

static int ref_advert_v0(struct buf *out, int64_t project_id, int upload)
{
	struct adv_refs refs = { 0 };
	struct repo *r = NULL;
	int ret = adv_open(&r, project_id);

	if (ret == 0)
		ret = adv_refs_collect(r, &refs);
	if (ret == 0) {
		add_v0_refs(out, &refs, upload);
		ret = buf_error(out) ? ERR_UNAVAILABLE : 0;
	}
	adv_refs_release(&refs);
	repo_close(r);
	return ret;
}

int ref_advert_upload_v0(struct buf *out, int64_t project_id)
{
	return ref_advert_v0(out, project_id, 1);
}

int ref_advert_receive_v0(struct buf *out, int64_t project_id)
{
	return ref_advert_v0(out, project_id, 0);
}

int ref_advert_upload_v2(struct buf *out)
{
	int ret = caps_ready();

	if (ret == 0)
		buf_add(out, caps.upload_v2.ptr, caps.upload_v2.len);
	return ret;
}

/* ---- protocol v2 ls-refs ---- */

struct ls_refs_args {
	int peel, symrefs, unborn;
	const char **prefixes;	/* borrowed from the request; NUL-free copies */
	size_t nr_prefixes;
	char *storage;		/* one NUL-terminated copy of the request */
};

static int pkt_is(const struct pktline *pkt, const char *s)
{
	return pkt->kind == PKTLINE_DATA && pkt->len == strlen(s) && !memcmp(pkt->data, s, pkt->len);
}

static int pkt_starts(const struct pktline *pkt, const char *s)
{
	return pkt->kind == PKTLINE_DATA && pkt->len >= strlen(s) &&
	       !memcmp(pkt->data, s, strlen(s));
}

int ref_advert_is_ls_refs(const char *req, size_t n)
{
	struct pktline pkt;
	size_t off = 0;
	int ret = pktline_next(req, n, &off, &pkt);

	if (ret == ERR_NOTFOUND)
		return ret;
	return ret == 0 && pkt_is(&pkt, "command=ls-refs");
}

/* The capability lines git's serve loop accepts from a client without
 * dying: its agent, server options, and the object format it serves. */
static int ls_refs_client_capability(const struct pktline *pkt)
{
	return pkt_starts(pkt, "agent=") || pkt_starts(pkt, "server-option=") ||
	       pkt_is(pkt, "object-format=sha1");
}

/* Parses exactly what git's serve loop and ls_refs() accept, and nothing
 * else: anything unusual is git's to answer (and usually to refuse). */
static int ls_refs_parse(struct ls_refs_args *a, const char *req, size_t n)
{
	struct pktline pkt;
	size_t off = 0;
	int command = 0;

	if (memchr(req, '\0', n))
		return ERR_UNAVAILABLE;
	for (;;) {
		if (pktline_next(req, n, &off, &pkt) < 0)
			return ERR_UNAVAILABLE;
		if (pkt.kind == PKTLINE_DELIM)
			break;
		if (pkt.kind == PKTLINE_FLUSH && command) {
			off -= 4;	/* git peeks at it: the arguments end there */
			break;
		}
		if (pkt_is(&pkt, "command=ls-refs") && !command)
			command = 1;
		else if (!ls_refs_client_capability(&pkt))
			return ERR_UNAVAILABLE;
	}
	if (!command)
		return ERR_UNAVAILABLE;
	a->storage = xstrndup(req, n);
	a->prefixes = xcalloc(n / 4 + 1, sizeof(*a->prefixes));
	for (;;) {
		if (pktline_next(req, n, &off, &pkt) < 0 || pkt.kind == PKTLINE_DELIM ||
		    pkt.kind == PKTLINE_END)
			return ERR_UNAVAILABLE;
		if (pkt.kind == PKTLINE_FLUSH)
			break;
		if (pkt_is(&pkt, "peel")) {
			a->peel = 1;
		} else if (pkt_is(&pkt, "symrefs")) {
			a->symrefs = 1;
		} else if (pkt_is(&pkt, "unborn")) {
			a->unborn = caps.allow_unborn;
		} else if (pkt_starts(&pkt, "ref-prefix ")) {
			char *copy = a->storage + (pkt.data - req) + strlen("ref-prefix ");

			copy[pkt.len - strlen("ref-prefix ")] = '\0';
			a->prefixes[a->nr_prefixes++] = copy;
		} else {
			return ERR_UNAVAILABLE;
		}
	}
	/* Past git's limit the prefixes are dropped, not half applied. */
	if (a->nr_prefixes >= LS_REFS_MAX_PREFIXES)
		a->nr_prefixes = 0;
	return 0;
}

static int ls_refs_match(const struct ls_refs_args *a, const char *name)
{
	if (!a->nr_prefixes)
		return 1;
	for (size_t i = 0; i < a->nr_prefixes; i++)
		if (!strncmp(name, a->prefixes[i], strlen(a->prefixes[i])))
			return 1;
	return 0;
}

static void ls_refs_line(struct buf *out, const struct ls_refs_args *a,
			 const struct adv_ref *r, int unborn)
{
	char hex[GIT_OID_HEXSZ + 1];
	struct buf line = BUF_INIT;

	if (!ls_refs_match(a, r->name))
		return;
	if (unborn) {
		buf_addf(&line, "unborn %s", r->name);
	} else {
		git_oid_tostr(hex, sizeof(hex), &r->oid);
		buf_addf(&line, "%s %s", hex, r->name);
	}
	if (a->symrefs && r->symref_target)
		buf_addf(&line, " symref-target:%s", r->symref_target);
	if (a->peel && !unborn && r->has_peeled) {
		git_oid_tostr(hex, sizeof(hex), &r->peeled);
		buf_addf(&line, " peeled:%s", hex);
	}
	buf_addch(&line, '\n');
	pktline_add(out, line.ptr, line.len);
	buf_release(&line);
}

int ref_advert_ls_refs(struct buf *out, int64_t project_id, const char *req, size_t n)
{
	struct ls_refs_args args = { 0 };
	struct adv_refs refs = { 0 };
	struct repo *r = NULL;
	int ret = caps_ready();

	if (ret == 0)
		ret = ls_refs_parse(&args, req, n);
	if (ret == 0)
		ret = adv_open(&r, project_id);
	if (ret == 0)
		ret = adv_refs_collect(r, &refs);
	if (ret < 0)
		goto out;
	if (refs.head_state == HEAD_OK)
		ls_refs_line(out, &args, &refs.head, 0);
	else if (refs.head_state == HEAD_UNBORN && args.unborn && args.symrefs)
		ls_refs_line(out, &args, &refs.head, 1);
	for (size_t i = 0; i < refs.nr; i++)
		ls_refs_line(out, &args, &refs.v[i], 0);
	pktline_flush(out);
	ret = buf_error(out) ? ERR_UNAVAILABLE : 0;
out:
	adv_refs_release(&refs);
	free(args.prefixes);
	free(args.storage);
	repo_close(r);
	return ret;
}
