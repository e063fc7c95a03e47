/* Shared by the namespace model files: the selected columns and the row decoder. */
#ifndef KURA_NAMESPACE_INTERNAL_H
#define KURA_NAMESPACE_INTERNAL_H

struct db_stmt;
struct namespace;

#define NAMESPACE_COLUMNS \
	"id, kind, name, path, full_path, description, visibility, parent_id, owner_id," \
	" created_at, updated_at"

/* A namespace from the current row of a query selecting NAMESPACE_COLUMNS first. */
struct namespace *namespace_from_row(struct db_stmt *st);

#endif
