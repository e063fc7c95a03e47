#include "dump.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Rows fetched per round trip from a PostgreSQL cursor: bounded memory. */
#define DUMP_FETCH_ROWS 500
static const char pg_fetch[] = "FETCH 500 FROM kura_dump";	/* DUMP_FETCH_ROWS */

static const char sqlite_tables[] =
	"SELECT name FROM sqlite_master WHERE type = 'table'"
	" AND name NOT LIKE 'sqlite!_%' ESCAPE '!' AND name <> 'schema_migrations'"
	" ORDER BY rowid";
static const char sqlite_columns[] =
	"SELECT name, type FROM pragma_table_info($1) ORDER BY cid";
/* PostgreSQL needs a referenced table to exist when a foreign key is
 * created, so creation (oid) order is a loading order. */
static const char pg_tables[] =
	"SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	" WHERE n.nspname = current_schema() AND c.relkind = 'r'"
	" AND c.relname <> 'schema_migrations' ORDER BY c.oid";
static const char pg_columns[] =
	"SELECT column_name, data_type FROM information_schema.columns"
	" WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position";

/* Foreign keys of a table to itself. */
static const char sqlite_self_refs[] =
	"SELECT \"from\" FROM pragma_foreign_key_list($1) WHERE \"table\" = $1";
static const char pg_self_refs[] =
	"SELECT a.attname FROM pg_constraint c JOIN pg_attribute a"
	" ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
	" WHERE c.contype = 'f' AND c.conrelid = c.confrelid AND c.conrelid = $1::regclass";

/* Identifiers from the catalog or an archive end up in SQL text: only
 * lower-case snake_case passes, and they are quoted besides. */
static int ident_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 63 || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int read_columns(struct db *db, struct dump_table *t)
{
	int pg = db_dialect(db) == DB_POSTGRES;
	struct db_stmt *st = NULL;
	size_t alloc = 0;
	int ret;

	ret = db_queryp(db, &st, pg ? pg_columns : sqlite_columns, "s", t->name);
	for (; ret == 1; ret = db_step(st)) {
		const char *name = db_col_text(st, 0), *type = db_col_text(st, 1);

		if (!ident_ok(name)) {
			ret = ERR_INVALID;
			break;
		}
		if (t->ncols == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			t->cols = xrealloc(t->cols, alloc * sizeof(*t->cols));
		}
		t->cols[t->ncols].name = xstrdup(name);
		t->cols[t->ncols].is_int = type && strcasestr(type, "int") != NULL;
		t->cols[t->ncols].self_ref = 0;
		t->ncols++;
	}
	db_stmt_free(st);
	st = NULL;
	if (ret < 0 || !t->ncols)
		return ret < 0 ? ret : ERR_INVALID;
	ret = db_queryp(db, &st, pg ? pg_self_refs : sqlite_self_refs, "s", t->name);
	for (; ret == 1; ret = db_step(st))
		for (size_t i = 0; i < t->ncols; i++)
			if (!strcmp(t->cols[i].name, db_col_text(st, 0) ? db_col_text(st, 0) : ""))
				t->cols[i].self_ref = 1;
	db_stmt_free(st);
	return ret;
}

int dump_schema_read(struct db *db, struct dump_schema *out)
{
	int pg = db_dialect(db) == DB_POSTGRES;
	struct dump_schema s = { NULL, 0 };
	struct db_stmt *st = NULL;
	size_t alloc = 0;
	int ret;

	ret = db_queryp(db, &st, pg ? pg_tables : sqlite_tables, "");
	for (; ret == 1; ret = db_step(st)) {
		const char *name = db_col_text(st, 0);

		if (!ident_ok(name))
			continue;	/* not one of ours: kura names tables in snake_case */
		if (s.n == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			s.tables = xrealloc(s.tables, alloc * sizeof(*s.tables));
		}
		memset(&s.tables[s.n], 0, sizeof(s.tables[s.n]));
		s.tables[s.n++].name = xstrdup(name);
	}
	db_stmt_free(st);
	for (size_t i = 0; ret == 0 && i < s.n; i++)
		ret = read_columns(db, &s.tables[i]);
	if (ret < 0) {
		dump_schema_release(&s);
		return ret;
	}
	*out = s;
	return 0;
}

void dump_schema_release(struct dump_schema *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < s->tables[i].ncols; j++)
			free(s->tables[i].cols[j].name);
		free(s->tables[i].cols);
		free(s->tables[i].name);
	}
	free(s->tables);
	s->tables = NULL;
	s->n = 0;
}

const struct dump_table *dump_schema_find(const struct dump_schema *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->tables[i].name, name))
			return &s->tables[i];
	return NULL;
}

static void add_select(struct buf *sql, const struct dump_table *t)
{
	buf_addstr(sql, "SELECT ");
	for (size_t i = 0; i < t->ncols; i++)
		buf_addf(sql, "%s\"%s\"", i ? ", " : "", t->cols[i].name);
	buf_addf(sql, " FROM \"%s\" ORDER BY 1", t->name);
}

static json_t *text_value(const char *s)
{
	json_t *v = json_string(s);
	size_t n = strlen(s);
	char *b64;

	if (v)
		return v;
	/* Not UTF-8 (SQLite stores whatever it was given): keep the bytes. */
	b64 = xmalloc(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL));
	sodium_bin2base64(b64, sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL),
			  (const unsigned char *)s, n, sodium_base64_VARIANT_ORIGINAL);
	v = json_pack("{s:s}", "b64", b64);
	free(b64);
	return v;
}

static int write_row(struct db_stmt *st, const struct dump_table *t, FILE *f)
{
	json_t *row = json_array();
	int ret = 0;

	for (size_t i = 0; i < t->ncols; i++) {
		int c = (int)i;

		if (db_col_is_null(st, c))
			json_array_append_new(row, json_null());
		else if (t->cols[i].is_int)
			json_array_append_new(row, json_integer(db_col_int64(st, c)));
		else
			json_array_append_new(row, text_value(db_col_text(st, c)));
	}
	if (json_dumpf(row, f, JSON_COMPACT) < 0 || fputc('\n', f) == EOF)
		ret = ERR_UNAVAILABLE;
	json_decref(row);
	return ret;
}

static int write_header(const struct dump_table *t, FILE *f)
{
	json_t *cols = json_array(), *h;
	int ret = 0;

	for (size_t i = 0; i < t->ncols; i++)
		json_array_append_new(cols, json_pack("[ss]", t->cols[i].name,
						      t->cols[i].is_int ? "int" : "text"));
	h = json_pack("{s:s,s:o}", "table", t->name, "columns", cols);
	if (json_dumpf(h, f, JSON_COMPACT) < 0 || fputc('\n', f) == EOF)
		ret = ERR_UNAVAILABLE;
	json_decref(h);
	return ret;
}

/* Steps through the rows st already holds (ret is db_queryp's). */
static int write_rows(struct db_stmt *st, int ret, const struct dump_table *t, FILE *f,
		      int64_t *rows)
{
	for (; ret == 1; ret = db_step(st)) {
		ret = write_row(st, t, f);
		if (ret < 0)
			return ret;
		(*rows)++;
	}
	return ret;
}

int dump_table_write(struct db *db, const struct dump_table *t, FILE *f, int64_t *rows_out)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int64_t rows = 0, before;
	int ret;

	ret = write_header(t, f);
	if (ret < 0)
		return ret;
	if (db_dialect(db) == DB_SQLITE) {
		/* SQLite steps lazily: one row in memory at a time already. */
		add_select(&sql, t);
		ret = db_queryp(db, &st, sql.ptr, "");
		ret = write_rows(st, ret, t, f, &rows);
		db_stmt_free(st);
		goto out;
	}
	/* libpq holds a whole result in memory: fetch in slices. */
	buf_addstr(&sql, "DECLARE kura_dump NO SCROLL CURSOR FOR ");
	add_select(&sql, t);
	ret = db_exec(db, sql.ptr);
	do {
		before = rows;
		if (ret == 0) {
			ret = db_queryp(db, &st, pg_fetch, "");
			ret = write_rows(st, ret, t, f, &rows);
			db_stmt_free(st);
			st = NULL;
		}
	} while (ret == 0 && rows - before == DUMP_FETCH_ROWS);
	if (ret == 0)
		ret = db_exec(db, "CLOSE kura_dump");
out:
	buf_release(&sql);
	if (ret == 0)
		*rows_out = rows;
	return ret;
}

struct dump_loader {
	struct db *db;
	const struct dump_table *target;
	char *insert;		/* INSERT INTO t (cols) VALUES ($1 …) */
	int *is_int;		/* per archive column, as the target has it */
	int *deferred;		/* per archive column: a self-reference, set later */
	size_t ncols;
	int64_t rows;
	FILE *later;		/* "[key, value …]" of deferred columns, one line a row */
	json_t *columns;	/* the header's [name, kind] pairs */
};

static int header_problem(struct buf *err, const char *what)
{
	buf_addf(err, "a table dump in the archive %s", what);
	return ERR_INVALID;
}

static int loader_columns(struct dump_loader *l, json_t *cols, struct buf *sql, struct buf *err)
{
	size_t i;
	json_t *c;

	l->ncols = json_array_size(cols);
	if (l->ncols == 0)
		return header_problem(err, "names no columns");
	l->is_int = xcalloc(l->ncols, sizeof(*l->is_int));
	l->deferred = xcalloc(l->ncols, sizeof(*l->deferred));
	buf_addf(sql, "INSERT INTO \"%s\" (", l->target->name);
	json_array_foreach(cols, i, c) {
		const char *name = json_string_value(json_array_get(c, 0));
		size_t j;

		for (j = 0; name && j < l->target->ncols; j++)
			if (!strcmp(l->target->cols[j].name, name))
				break;
		if (!name || j == l->target->ncols) {
			buf_addf(err, "the table %s of this database has no column ", l->target->name);
			buf_add_quoted(err, name ? name : "", name ? strlen(name) : 0, 64);
			return ERR_INVALID;
		}
		l->is_int[i] = l->target->cols[j].is_int;
		/* The first column is the key that finds the row again. */
		l->deferred[i] = i > 0 && l->target->cols[j].self_ref;
		buf_addf(sql, "%s\"%s\"", i ? ", " : "", name);
	}
	buf_addstr(sql, ") VALUES (");
	for (i = 0; i < l->ncols; i++)
		buf_addf(sql, "%s$%zu", i ? ", " : "", i + 1);
	buf_addch(sql, ')');
	return 0;
}

int dump_load_begin(struct dump_loader **out, struct db *db, const struct dump_schema *target,
		    const char *header, size_t len, struct buf *err)
{
	struct dump_loader *l = xcalloc(1, sizeof(*l));
	struct buf sql = BUF_INIT;
	json_t *h = json_loadb(header, len, JSON_REJECT_DUPLICATES, NULL);
	const char *name = json_string_value(json_object_get(h, "table"));
	json_t *cols = json_object_get(h, "columns");
	int ret;

	l->db = db;
	if (!name || !json_is_array(cols)) {
		ret = header_problem(err, "has a bad header line");
		goto out;
	}
	l->target = dump_schema_find(target, name);
	if (!l->target) {
		buf_addstr(err, "the archive holds a table this database does not have: ");
		buf_add_quoted(err, name, strlen(name), 64);
		ret = ERR_INVALID;
		goto out;
	}
	ret = loader_columns(l, cols, &sql, err);
	if (ret == 0) {
		l->insert = buf_detach(&sql, NULL);
		l->columns = json_incref(cols);
	}
out:
	json_decref(h);
	buf_release(&sql);
	if (ret < 0)
		dump_loader_free(l);
	else
		*out = l;
	return ret;
}

static int bind_text_value(struct db_stmt *st, int idx, json_t *v)
{
	const char *b64 = json_string_value(json_object_get(v, "b64"));
	unsigned char *bin;
	size_t n, len;
	int ret;

	if (json_is_string(v)) {
		/* A NUL would cut the text short in both databases. */
		if (strlen(json_string_value(v)) != json_string_length(v))
			return ERR_INVALID;
		return db_bind_text(st, idx, json_string_value(v));
	}
	if (!b64 || json_object_size(v) != 1)
		return ERR_INVALID;
	n = strlen(b64);
	bin = xmalloc(n + 1);
	ret = sodium_base642bin(bin, n, b64, n, NULL, &len, NULL,
				sodium_base64_VARIANT_ORIGINAL) == 0 &&
	      memchr(bin, 0, len) == NULL ? 0 : ERR_INVALID;
	if (ret == 0) {
		bin[len] = '\0';
		ret = db_bind_text(st, idx, (const char *)bin);
	}
	free(bin);
	return ret;
}

static int bind_value(struct db_stmt *st, int idx, json_t *v, int is_int)
{
	if (json_is_null(v))
		return db_bind_text(st, idx, NULL);
	if (is_int)
		return json_is_integer(v) ? db_bind_int64(st, idx, json_integer_value(v))
					  : ERR_INVALID;
	return bind_text_value(st, idx, v);
}

/* Keeps the self-references of a row aside (in a temporary file: the table
 * may be large) when any is set. */
static int defer_values(struct dump_loader *l, json_t *row)
{
	json_t *later = json_array();
	int any = 0, ret = 0;

	json_array_append(later, json_array_get(row, 0));
	for (size_t i = 0; i < l->ncols; i++) {
		if (!l->deferred[i])
			continue;
		json_array_append(later, json_array_get(row, i));
		any |= !json_is_null(json_array_get(row, i));
	}
	if (any && !l->later)
		l->later = tmpfile();
	if (any && (!l->later || json_dumpf(later, l->later, JSON_COMPACT) < 0 ||
		    fputc('\n', l->later) == EOF))
		ret = ERR_UNAVAILABLE;
	json_decref(later);
	return ret;
}

int dump_load_row(struct dump_loader *l, const char *line, size_t len, struct buf *err)
{
	json_t *row = json_loadb(line, len, 0, NULL);
	struct db_stmt *st = NULL;
	int ret = 0;

	if (!json_is_array(row) || json_array_size(row) != l->ncols) {
		buf_addf(err, "row %lld of table %s in the archive is malformed",
			 (long long)l->rows + 1, l->target->name);
		json_decref(row);
		return ERR_INVALID;
	}
	ret = defer_values(l, row);
	if (ret == 0)
		ret = db_prepare(l->db, &st, l->insert);
	for (size_t i = 0; ret == 0 && i < l->ncols; i++) {
		ret = bind_value(st, (int)i + 1, l->deferred[i] ? json_null() : json_array_get(row, i),
				 l->is_int[i]);
		if (ret == ERR_INVALID)
			buf_addf(err, "row %lld of table %s in the archive has a bad value in"
				 " column %zu", (long long)l->rows + 1, l->target->name, i + 1);
	}
	if (ret == 0)
		ret = db_step(st);
	if (ret > 0)
		ret = 0;
	if (ret < 0 && !err->len)
		buf_addf(err, "row %lld of table %s was refused by the database (%s)",
			 (long long)l->rows + 1, l->target->name, err_name(ret));
	db_stmt_free(st);
	json_decref(row);
	if (ret == 0)
		l->rows++;
	return ret;
}

static void add_update(struct buf *sql, const struct dump_loader *l, json_t *cols)
{
	size_t n = 0;

	buf_addf(sql, "UPDATE \"%s\" SET ", l->target->name);
	for (size_t i = 0; i < l->ncols; i++)
		if (l->deferred[i]) {
			n++;
			buf_addf(sql, "%s\"%s\" = $%zu", n > 1 ? ", " : "",
				 json_string_value(json_array_get(json_array_get(cols, i), 0)), n);
		}
	buf_addf(sql, " WHERE \"%s\" = $%zu",
		 json_string_value(json_array_get(json_array_get(cols, 0), 0)), n + 1);
}

static int update_row(struct dump_loader *l, const char *sql, json_t *vals)
{
	struct db_stmt *st = NULL;
	size_t k = 0;
	int ret;

	ret = db_prepare(l->db, &st, sql);
	for (size_t i = 1; ret == 0 && i < l->ncols; i++) {
		if (!l->deferred[i])
			continue;
		k++;
		ret = bind_value(st, (int)k, json_array_get(vals, k), l->is_int[i]);
	}
	if (ret == 0)
		ret = bind_value(st, (int)k + 1, json_array_get(vals, 0), l->is_int[0]);
	if (ret == 0)
		ret = db_step(st);
	db_stmt_free(st);
	return ret > 0 ? 0 : ret;
}

int dump_load_finish(struct dump_loader *l, struct buf *err)
{
	struct buf sql = BUF_INIT;
	json_t *vals;
	int ret = 0;

	if (!l->later)
		return 0;
	add_update(&sql, l, l->columns);
	rewind(l->later);
	while (ret == 0 && (vals = json_loadf(l->later, JSON_DISABLE_EOF_CHECK, NULL))) {
		ret = update_row(l, sql.ptr, vals);
		json_decref(vals);
	}
	if (ret < 0)
		buf_addf(err, "the references of table %s to itself could not be restored (%s)",
			 l->target->name, err_name(ret));
	buf_release(&sql);
	return ret;
}

int64_t dump_loader_rows(const struct dump_loader *l)
{
	return l->rows;
}

void dump_loader_free(struct dump_loader *l)
{
	if (!l)
		return;
	free(l->insert);
	free(l->is_int);
	free(l->deferred);
	json_decref(l->columns);
	if (l->later)
		fclose(l->later);
	free(l);
}

int dump_advance_sequence(struct db *db, const struct dump_table *t)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int ret;

	if (db_dialect(db) != DB_POSTGRES || !t->ncols || strcmp(t->cols[0].name, "id") ||
	    !t->cols[0].is_int)
		return 0;
	/* setval(NULL, …) and setval(…, NULL) are no-ops: tables without a
	 * sequence or without rows need no special case. */
	buf_addf(&sql, "SELECT setval(pg_get_serial_sequence($1, 'id'), max(id)) FROM \"%s\"",
		 t->name);
	ret = db_queryp(db, &st, sql.ptr, "s", t->name);
	db_stmt_free(st);
	buf_release(&sql);
	return ret < 0 ? ret : 0;
}

int dump_db_is_empty(struct db *db, const struct dump_schema *s, int *empty_out)
{
	struct db_stmt *st = NULL;
	int ret = 0;

	/* Every row hangs off a user; migrations seed rows of their own
	 * (scheduled jobs) that do not make a database "used". */
	if (dump_schema_find(s, "users"))
		ret = db_queryp(db, &st, "SELECT 1 FROM users LIMIT 1", "");
	db_stmt_free(st);
	if (ret < 0)
		return ret;
	*empty_out = ret == 0;
	return 0;
}

int dump_db_wipe(struct db *db, const struct dump_schema *s)
{
	struct buf sql = BUF_INIT;
	int ret = 0;

	for (size_t i = s->n; ret == 0 && i-- > 0;) {
		buf_reset(&sql);
		buf_addf(&sql, "DELETE FROM \"%s\"", s->tables[i].name);
		ret = db_exec(db, sql.ptr);
	}
	buf_release(&sql);
	return ret;
}
