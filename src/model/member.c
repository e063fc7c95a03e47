#include "member.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"

static const char *const source_names[] = { "project", "namespace" };

int access_level_valid(int level)
{
	return level == ACCESS_GUEST || level == ACCESS_REPORTER || level == ACCESS_DEVELOPER ||
	       level == ACCESS_MAINTAINER || level == ACCESS_OWNER;
}

int member_set(struct db *db, enum member_source kind, int64_t source_id, int64_t user_id,
	       int level, int64_t expires_at)
{
	int ret;

	if (!access_level_valid(level))
		return ERR_INVALID;
	ret = db_tx_begin(db);
	if (ret < 0)
		return ret;
	ret = db_execp(db, "DELETE FROM members WHERE source_kind = $1 AND source_id = $2"
			   " AND user_id = $3", "sii", source_names[kind], source_id, user_id);
	if (ret == 0)
		ret = db_execp(db, "INSERT INTO members (source_kind, source_id, user_id,"
				   " access_level, created_at, expires_at)"
				   " VALUES ($1, $2, $3, $4, $5, $6)", "siiiiI",
			       source_names[kind], source_id, user_id, (int64_t)level,
			       time_now_ms(), expires_at);
	return db_tx_end(db, ret);
}

int member_remove(struct db *db, enum member_source kind, int64_t source_id, int64_t user_id)
{
	return db_execp(db, "DELETE FROM members WHERE source_kind = $1 AND source_id = $2"
			    " AND user_id = $3", "sii", source_names[kind], source_id, user_id);
}

int member_direct_level(struct db *db, enum member_source kind, int64_t source_id,
			int64_t user_id, int *level_out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT access_level FROM members WHERE source_kind = $1"
			    " AND source_id = $2 AND user_id = $3", "sii", source_names[kind],
			    source_id, user_id);

	if (ret < 0)
		return ret;
	*level_out = ret > 0 ? (int)db_col_int64(st, 0) : ACCESS_NONE;
	db_stmt_free(st);
	return 0;
}

/* Ancestors of a namespace (itself included) by a recursive walk up
 * parent_id; the depth is bounded by LIMIT_NAMESPACE_DEPTH at creation. */
#define ANCESTORS_CTE \
	"WITH RECURSIVE anc(id, parent_id) AS (" \
	" SELECT id, parent_id FROM namespaces WHERE id = $1" \
	" UNION ALL SELECT n.id, n.parent_id FROM namespaces n JOIN anc ON n.id = anc.parent_id) "

/* Sharing (GitLab's group links): a group, or a project, shared with
 * another group gives that group's members, direct or inherited from its
 * ancestors, their level there capped at the link's level. A group's link
 * also reaches its subgroups and their projects, so links are looked up on
 * every ancestor. Links are not followed transitively, as in GitLab.
 * The CTE "shares" lists (group, cap) pairs; SHARE_ANCESTORS_CTE walks up
 * from each group so inherited members count; SHARED_LEVEL_SELECT is the
 * capped level of the user through any of them. */
#define SHARED_GROUPS_SELECT \
	"SELECT l.shared_with_group_id, l.access_level FROM group_group_links l" \
	" WHERE l.shared_group_id IN (SELECT id FROM anc)" \
	" AND (l.expires_at IS NULL OR l.expires_at > $3)"
#define SHARE_ANCESTORS_CTE \
	", share_anc(id, parent_id, cap) AS (" \
	" SELECT n.id, n.parent_id, s.cap FROM namespaces n JOIN shares s ON n.id = s.group_id" \
	" UNION ALL SELECT n.id, n.parent_id, sa.cap FROM namespaces n" \
	"  JOIN share_anc sa ON n.id = sa.parent_id) "
#define SHARED_LEVEL_SELECT \
	"SELECT CASE WHEN m.access_level < sa.cap THEN m.access_level ELSE sa.cap END" \
	" FROM members m JOIN share_anc sa ON m.source_kind = 'namespace' AND m.source_id = sa.id" \
	" WHERE m.user_id = $2 AND (m.expires_at IS NULL OR m.expires_at > $3)"

/* Runs a max(level) query whose parameters are $1 namespace, $2 user, $3 now
 * and, for projects, $4 the project. */
static int member_level_query(struct db *db, const char *sql, int64_t project_id,
			      int64_t namespace_id, int64_t user_id, int *level_out)
{
	struct db_stmt *st = NULL;
	int ret;

	if (project_id)
		ret = db_queryp(db, &st, sql, "iiii", namespace_id, user_id, time_now_ms(),
				project_id);
	else
		ret = db_queryp(db, &st, sql, "iii", namespace_id, user_id, time_now_ms());
	if (ret < 0)
		return ret;
	*level_out = ret > 0 && !db_col_is_null(st, 0) ? (int)db_col_int64(st, 0) : ACCESS_NONE;
	db_stmt_free(st);
	return 0;
}

int member_project_level(struct db *db, int64_t project_id, int64_t namespace_id,
			 int64_t user_id, int *level_out)
{
	return member_level_query(db, ANCESTORS_CTE
		", shares(group_id, cap) AS ("
		" SELECT l.group_id, l.access_level FROM project_group_links l"
		"  WHERE l.project_id = $4 AND (l.expires_at IS NULL OR l.expires_at > $3)"
		" UNION ALL " SHARED_GROUPS_SELECT ") " SHARE_ANCESTORS_CTE
		"SELECT max(level) FROM ("
		" SELECT m.access_level AS level FROM members m"
		"  WHERE m.user_id = $2 AND (m.expires_at IS NULL OR m.expires_at > $3) AND ("
		"   (m.source_kind = 'project' AND m.source_id = $4) OR"
		"   (m.source_kind = 'namespace' AND m.source_id IN (SELECT id FROM anc)))"
		" UNION ALL SELECT 50 FROM namespaces n WHERE n.id = $1 AND n.owner_id = $2"
		" UNION ALL " SHARED_LEVEL_SELECT
		") levels", project_id, namespace_id, user_id, level_out);
}

int member_namespace_level(struct db *db, int64_t namespace_id, int64_t user_id,
			   int *level_out)
{
	return member_level_query(db, ANCESTORS_CTE
		", shares(group_id, cap) AS (" SHARED_GROUPS_SELECT ") " SHARE_ANCESTORS_CTE
		"SELECT max(level) FROM ("
		" SELECT m.access_level AS level FROM members m"
		"  WHERE m.user_id = $2 AND (m.expires_at IS NULL OR m.expires_at > $3)"
		"   AND m.source_kind = 'namespace' AND m.source_id IN (SELECT id FROM anc)"
		" UNION ALL SELECT 50 FROM namespaces n WHERE n.id = $1 AND n.owner_id = $2"
		" UNION ALL " SHARED_LEVEL_SELECT
		") levels", 0, namespace_id, user_id, level_out);
}
