/* Shared by the user model files: the selected columns and the row decoder. */
#ifndef KURA_USER_INTERNAL_H
#define KURA_USER_INTERNAL_H

struct db_stmt;
struct user;

#define USER_COLUMNS \
	"u.id, u.username, u.email, u.name, u.state, u.password_hash, u.is_admin," \
	" u.created_at, u.updated_at, u.last_sign_in_at, u.last_activity_at," \
	" (SELECT n.id FROM namespaces n WHERE n.owner_id = u.id AND n.kind = 'user')"

/* A user from the current row of a query selecting USER_COLUMNS first. */
struct user *user_from_row(struct db_stmt *st);

#endif
