/* A portable dump of the database: every table as JSON lines, a header line
 * naming the columns and their kinds, then one JSON array per row with
 * integers as numbers, text as strings (or {"b64": …} for bytes that are not
 * UTF-8) and NULL as null. The same file loads into SQLite or PostgreSQL.
 *
 * The tables are found in the database's catalog, not in a list kept here,
 * so a migration that adds a table is backed up without touching this code.
 * Catalog queries are the one place where SQL differs per dialect. */
#ifndef KURA_BACKUP_DUMP_H
#define KURA_BACKUP_DUMP_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct buf;
struct db;

struct dump_column {
	char *name;
	int is_int;	/* INTEGER or BIGINT; every other column is text */
	int self_ref;	/* a foreign key to its own table (a group's parent) */
};

struct dump_table {
	char *name;
	struct dump_column *cols;
	size_t ncols;
};

struct dump_schema {
	struct dump_table *tables;	/* in creation order: a table follows those it references */
	size_t n;
};

/* Reads the tables (but schema_migrations and SQLite's own) and their
 * columns. Free with dump_schema_release. */
int dump_schema_read(struct db *db, struct dump_schema *out);
void dump_schema_release(struct dump_schema *s);
const struct dump_table *dump_schema_find(const struct dump_schema *s, const char *name);

/* Streams the rows of t, ordered by its first column (its key), to f.
 * On PostgreSQL it reads through a cursor so that memory stays flat; call it
 * inside the snapshot transaction. */
int dump_table_write(struct db *db, const struct dump_table *t, FILE *f, int64_t *rows_out);

/* Loads one table's JSON lines into the database: dump_load_begin with the
 * header line (checked against target, the table as the database has it),
 * dump_load_row per line. ERR_INVALID with a sentence for a line that does
 * not fit; database errors pass up. */
struct dump_loader;
int dump_load_begin(struct dump_loader **out, struct db *db, const struct dump_schema *target,
		    const char *header, size_t len, struct buf *err);
int dump_load_row(struct dump_loader *l, const char *line, size_t len, struct buf *err);
/* Sets the columns that point into the table itself, once every row is in:
 * a row may name a parent with a higher id (a group moved under a newer
 * one), so they are inserted as NULL first. Call after the last row. */
int dump_load_finish(struct dump_loader *l, struct buf *err);
int64_t dump_loader_rows(const struct dump_loader *l);
void dump_loader_free(struct dump_loader *l);

/* PostgreSQL: moves the id sequence of the table past the ids loaded, so
 * new rows never collide with restored ones. A no-op on SQLite, whose
 * AUTOINCREMENT follows explicit ids by itself. */
int dump_advance_sequence(struct db *db, const struct dump_table *t);

/* *empty_out is 1 when the database has no users (migrations alone may
 * have seeded rows elsewhere). */
int dump_db_is_empty(struct db *db, const struct dump_schema *s, int *empty_out);
/* Deletes every row, dependents first. */
int dump_db_wipe(struct db *db, const struct dump_schema *s);

#endif
