/* Shared by the project model files: the columns every project query
 * selects and the row decoder. */
#ifndef KURA_PROJECT_INTERNAL_H
#define KURA_PROJECT_INTERNAL_H

struct db_stmt;
struct project;

#define PROJECT_COLUMNS \
	"p.id, p.namespace_id, p.path, p.name, p.description, p.visibility, p.default_branch," \
	" p.creator_id, p.archived, p.created_at, p.updated_at, p.last_activity_at," \
	" n.full_path, n.name, n.kind, n.owner_id, n.parent_id"
#define PROJECT_FROM " FROM projects p JOIN namespaces n ON n.id = p.namespace_id "
#define PROJECT_NCOLUMNS 17

/* A project from the current row of a query selecting PROJECT_COLUMNS first. */
struct project *project_from_row(struct db_stmt *st);

#endif
