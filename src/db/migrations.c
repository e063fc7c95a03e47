/* Versioned, forward-only schema migrations. Each step runs in its own
 * transaction that re-reads the version first, so two processes starting at
 * once apply each step exactly once. Never edit a released step: add one.
 *
 * SQL here is portable between SQLite and PostgreSQL except for tokens that
 * migration_expand() replaces per dialect:
 *   @PK@   an auto-increment 64-bit primary key
 */
#include "db_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"

#include <string.h>

struct migration {
	int version;
	const char *what;
	const char *sql;
};

static const struct migration migrations[] = {
	{ 1, "users, namespaces, projects, members",
	  "CREATE TABLE users ("
	  " id @PK@,"
	  " username TEXT NOT NULL,"
	  " email TEXT NOT NULL,"
	  " name TEXT NOT NULL,"
	  " password_hash TEXT,"
	  " is_admin INTEGER NOT NULL DEFAULT 0,"
	  " state TEXT NOT NULL DEFAULT 'active',"
	  " created_at BIGINT NOT NULL,"
	  " updated_at BIGINT NOT NULL,"
	  " last_sign_in_at BIGINT,"
	  " last_activity_at BIGINT);"
	  "CREATE UNIQUE INDEX users_username ON users (lower(username));"
	  "CREATE UNIQUE INDEX users_email ON users (lower(email));"
	  "CREATE TABLE namespaces ("
	  " id @PK@,"
	  " kind TEXT NOT NULL,"
	  " name TEXT NOT NULL,"
	  " path TEXT NOT NULL,"
	  " full_path TEXT NOT NULL,"
	  " parent_id BIGINT REFERENCES namespaces (id),"
	  " owner_id BIGINT REFERENCES users (id) ON DELETE CASCADE,"
	  " description TEXT NOT NULL DEFAULT '',"
	  " visibility TEXT NOT NULL DEFAULT 'private',"
	  " created_at BIGINT NOT NULL,"
	  " updated_at BIGINT NOT NULL);"
	  "CREATE UNIQUE INDEX namespaces_full_path ON namespaces (lower(full_path));"
	  "CREATE INDEX namespaces_parent ON namespaces (parent_id);"
	  "CREATE TABLE projects ("
	  " id @PK@,"
	  " namespace_id BIGINT NOT NULL REFERENCES namespaces (id),"
	  " path TEXT NOT NULL,"
	  " name TEXT NOT NULL,"
	  " description TEXT NOT NULL DEFAULT '',"
	  " visibility TEXT NOT NULL DEFAULT 'private',"
	  " default_branch TEXT,"
	  " creator_id BIGINT REFERENCES users (id) ON DELETE SET NULL,"
	  " archived INTEGER NOT NULL DEFAULT 0,"
	  " created_at BIGINT NOT NULL,"
	  " updated_at BIGINT NOT NULL,"
	  " last_activity_at BIGINT NOT NULL);"
	  "CREATE UNIQUE INDEX projects_path ON projects (namespace_id, lower(path));"
	  "CREATE TABLE members ("
	  " id @PK@,"
	  " source_kind TEXT NOT NULL,"	/* 'project' or 'namespace' */
	  " source_id BIGINT NOT NULL,"
	  " user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	  " access_level INTEGER NOT NULL,"
	  " created_at BIGINT NOT NULL,"
	  " expires_at BIGINT);"
	  "CREATE UNIQUE INDEX members_source_user ON members (source_kind, source_id, user_id);"
	  "CREATE INDEX members_user ON members (user_id);" },
	{ 2, "personal access tokens",
	  "CREATE TABLE personal_access_tokens ("
	  " id @PK@,"
	  " user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	  " name TEXT NOT NULL,"
	  " token_hash TEXT NOT NULL,"
	  " scopes TEXT NOT NULL,"
	  " created_at BIGINT NOT NULL,"
	  " expires_at BIGINT,"
	  " last_used_at BIGINT,"
	  " revoked INTEGER NOT NULL DEFAULT 0);"
	  "CREATE UNIQUE INDEX pat_hash ON personal_access_tokens (token_hash);"
	  "CREATE INDEX pat_user ON personal_access_tokens (user_id);" },
	{ 3, "authentication failure windows",
	  "CREATE TABLE auth_failures ("
	  " key TEXT PRIMARY KEY,"
	  " window_start BIGINT NOT NULL,"
	  " failures INTEGER NOT NULL);" },
	{ 4, "protected branches, push events, jobs, webhooks",
	  "CREATE TABLE protected_branches ("
	  " id @PK@,"
	  " project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
	  " name TEXT NOT NULL,"			/* exact name or wildcard pattern */
	  " push_access_level INTEGER NOT NULL,"	/* 0 no one, 30 developers, 40 maintainers */
	  " merge_access_level INTEGER NOT NULL,"
	  " allow_force_push INTEGER NOT NULL DEFAULT 0,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE UNIQUE INDEX protected_branches_name ON protected_branches (project_id, name);"
	  "CREATE TABLE push_events ("
	  " id @PK@,"
	  " project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
	  " user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,"
	  " ref TEXT NOT NULL,"
	  " before_sha TEXT NOT NULL,"
	  " after_sha TEXT NOT NULL,"
	  " commit_count INTEGER NOT NULL DEFAULT 0,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE INDEX push_events_project ON push_events (project_id, id);"
	  "CREATE TABLE jobs ("
	  " id @PK@,"
	  " kind TEXT NOT NULL,"
	  " payload TEXT NOT NULL,"
	  " idempotency_key TEXT NOT NULL,"
	  " run_at BIGINT NOT NULL,"
	  " attempts INTEGER NOT NULL DEFAULT 0,"
	  " max_attempts INTEGER NOT NULL,"
	  " lease_until BIGINT,"
	  " locked_by TEXT,"
	  " last_error TEXT,"
	  " state TEXT NOT NULL DEFAULT 'pending',"	/* pending, done, failed */
	  " created_at BIGINT NOT NULL,"
	  " finished_at BIGINT);"
	  "CREATE INDEX jobs_due ON jobs (state, run_at);"
	  "CREATE TABLE webhooks ("
	  " id @PK@,"
	  " scope TEXT NOT NULL,"			/* project, group, system */
	  " scope_id BIGINT,"				/* project or namespace id; NULL for system */
	  " url TEXT NOT NULL,"
	  " token TEXT,"				/* X-Gitlab-Token, shown never again */
	  " push_events INTEGER NOT NULL DEFAULT 1,"
	  " tag_push_events INTEGER NOT NULL DEFAULT 0,"
	  " merge_requests_events INTEGER NOT NULL DEFAULT 0,"
	  " repository_update_events INTEGER NOT NULL DEFAULT 0,"
	  " enable_ssl_verification INTEGER NOT NULL DEFAULT 1,"
	  " push_events_branch_filter TEXT,"
	  " branch_filter_strategy TEXT NOT NULL DEFAULT 'wildcard',"	/* wildcard, regex, all_branches */
	  " uuid TEXT NOT NULL,"
	  " recent_failures INTEGER NOT NULL DEFAULT 0,"
	  " disabled_until BIGINT,"
	  " permanently_disabled INTEGER NOT NULL DEFAULT 0,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE INDEX webhooks_scope ON webhooks (scope, scope_id);"
	  "CREATE TABLE webhook_deliveries ("
	  " id @PK@,"
	  " webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,"
	  " event TEXT NOT NULL,"
	  " idempotency_key TEXT NOT NULL,"
	  " request_body TEXT NOT NULL,"
	  " response_status INTEGER,"
	  " response_body TEXT,"
	  " error TEXT,"
	  " duration_ms BIGINT,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);" },
	{ 5, "browser sessions",
	  "CREATE TABLE sessions ("
	  " id @PK@,"
	  " secret_hash TEXT NOT NULL UNIQUE,"		/* SHA-256 of the cookie's secret */
	  " user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	  " created_at BIGINT NOT NULL,"
	  " last_seen_at BIGINT NOT NULL,"
	  " expires_at BIGINT NOT NULL);"		/* absolute end; idle end from last_seen_at */
	  "CREATE INDEX sessions_user ON sessions (user_id);" },
	{ 6, "commit statuses, SSH keys, deploy keys and tokens, project bots",
	  "CREATE TABLE ci_pipelines ("		/* the external pipelines statuses hang on */
	  " id @PK@,"
	  " project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
	  " sha TEXT NOT NULL,"
	  " ref TEXT NOT NULL,"
	  " user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE INDEX ci_pipelines_sha ON ci_pipelines (project_id, sha, ref);"
	  "CREATE TABLE commit_statuses ("
	  " id @PK@,"
	  " project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
	  " pipeline_id BIGINT NOT NULL REFERENCES ci_pipelines (id) ON DELETE CASCADE,"
	  " sha TEXT NOT NULL,"
	  " ref TEXT NOT NULL,"
	  " name TEXT NOT NULL,"
	  " stage TEXT NOT NULL DEFAULT 'external',"
	  " status TEXT NOT NULL,"			/* pending running success failed canceled */
	  " target_url TEXT,"
	  " description TEXT,"
	  " coverage TEXT,"				/* a decimal number as sent, or NULL */
	  " user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,"
	  " retried INTEGER NOT NULL DEFAULT 0,"	/* a newer status of the same name exists */
	  " created_at BIGINT NOT NULL,"
	  " started_at BIGINT,"
	  " finished_at BIGINT);"
	  "CREATE INDEX commit_statuses_sha ON commit_statuses (project_id, sha, id);"
	  "CREATE TABLE ssh_keys ("			/* user keys and deploy keys, as GitLab's keys */
	  " id @PK@,"
	  " kind TEXT NOT NULL,"			/* user or deploy */
	  " user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,"
	  " title TEXT NOT NULL,"
	  " key TEXT NOT NULL,"
	  " key_type TEXT NOT NULL,"
	  " fingerprint_sha256 TEXT NOT NULL,"		/* SHA256:base64, unique over every key */
	  " fingerprint_md5 TEXT NOT NULL,"
	  " usage_type TEXT NOT NULL DEFAULT 'auth_and_signing',"
	  " expires_at BIGINT,"
	  " last_used_at BIGINT,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE UNIQUE INDEX ssh_keys_fingerprint ON ssh_keys (fingerprint_sha256);"
	  "CREATE INDEX ssh_keys_user ON ssh_keys (user_id);"
	  "CREATE TABLE deploy_keys_projects ("
	  " id @PK@,"
	  " deploy_key_id BIGINT NOT NULL REFERENCES ssh_keys (id) ON DELETE CASCADE,"
	  " project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
	  " can_push INTEGER NOT NULL DEFAULT 0,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE UNIQUE INDEX deploy_keys_projects_pair ON deploy_keys_projects"
	  " (project_id, deploy_key_id);"
	  "CREATE INDEX deploy_keys_projects_key ON deploy_keys_projects (deploy_key_id);"
	  "CREATE TABLE deploy_tokens ("
	  " id @PK@,"
	  " project_id BIGINT REFERENCES projects (id) ON DELETE CASCADE,"
	  " namespace_id BIGINT REFERENCES namespaces (id) ON DELETE CASCADE,"
	  " name TEXT NOT NULL,"
	  " username TEXT NOT NULL,"
	  " token_hash TEXT NOT NULL UNIQUE,"		/* SHA-256 of the secret */
	  " scopes TEXT NOT NULL,"
	  " expires_at BIGINT,"
	  " revoked INTEGER NOT NULL DEFAULT 0,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE INDEX deploy_tokens_project ON deploy_tokens (project_id);"
	  "CREATE INDEX deploy_tokens_namespace ON deploy_tokens (namespace_id);"
	  "CREATE TABLE project_bots ("		/* users behind project access tokens */
	  " user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,"
	  " project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE INDEX project_bots_project ON project_bots (project_id);" },
	{ 7, "imports, pull mirrors and push mirrors",
	  "CREATE TABLE project_mirrors ("		/* imported from a URL; mirror: pull mirror */
	  " project_id BIGINT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,"
	  " url TEXT NOT NULL,"				/* without userinfo */
	  " credentials TEXT,"				/* secretbox-sealed, never returned */
	  " mirror INTEGER NOT NULL DEFAULT 0,"
	  " interval_ms BIGINT NOT NULL,"
	  " import_status TEXT NOT NULL,"		/* none scheduled started finished failed */
	  " import_error TEXT,"
	  " sched_seq BIGINT NOT NULL DEFAULT 0,"	/* the live chain of scheduled updates */
	  " last_update_started_at BIGINT,"
	  " last_update_at BIGINT,"
	  " last_successful_update_at BIGINT,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE TABLE remote_mirrors ("		/* push mirrors, GitLab's remote mirrors */
	  " id @PK@,"
	  " project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
	  " url TEXT NOT NULL,"
	  " credentials TEXT,"
	  " enabled INTEGER NOT NULL DEFAULT 1,"
	  " only_protected_branches INTEGER NOT NULL DEFAULT 0,"
	  " keep_divergent_refs INTEGER NOT NULL DEFAULT 0,"
	  " interval_ms BIGINT NOT NULL,"
	  " update_status TEXT NOT NULL DEFAULT 'none',"
	  " last_error TEXT,"
	  " sched_seq BIGINT NOT NULL DEFAULT 0,"
	  " last_update_started_at BIGINT,"
	  " last_update_at BIGINT,"
	  " last_successful_update_at BIGINT,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE INDEX remote_mirrors_project ON remote_mirrors (project_id);" },
	{ 8, "OAuth2 applications, authorization codes and tokens",
	  "CREATE TABLE oauth_applications ("
	  " id @PK@,"
	  " uid TEXT NOT NULL UNIQUE,"			/* client_id */
	  " secret_hash TEXT NOT NULL,"			/* SHA-256 of the client secret */
	  " name TEXT NOT NULL,"
	  " redirect_uri TEXT NOT NULL,"		/* one or more, whitespace-separated */
	  " scopes TEXT NOT NULL,"			/* space-separated */
	  " confidential INTEGER NOT NULL DEFAULT 1,"
	  " owner_id BIGINT REFERENCES users (id) ON DELETE CASCADE,"	/* NULL: instance-wide */
	  " created_at BIGINT NOT NULL);"
	  "CREATE INDEX oauth_applications_owner ON oauth_applications (owner_id);"
	  "CREATE TABLE oauth_grants ("			/* authorization codes */
	  " id @PK@,"
	  " application_id BIGINT NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,"
	  " user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	  " code_hash TEXT NOT NULL UNIQUE,"
	  " redirect_uri TEXT NOT NULL,"
	  " scopes TEXT NOT NULL,"
	  " code_challenge TEXT,"			/* PKCE */
	  " code_challenge_method TEXT,"
	  " expires_at BIGINT NOT NULL,"
	  " used_at BIGINT,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE INDEX oauth_grants_expires ON oauth_grants (expires_at);"
	  "CREATE TABLE oauth_access_tokens ("		/* an access token and its refresh token */
	  " id @PK@,"
	  " application_id BIGINT NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,"
	  " user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	  " grant_id BIGINT REFERENCES oauth_grants (id) ON DELETE SET NULL,"
	  " token_hash TEXT NOT NULL UNIQUE,"
	  " refresh_hash TEXT NOT NULL UNIQUE,"
	  " scopes TEXT NOT NULL,"
	  " created_at BIGINT NOT NULL,"
	  " expires_at BIGINT NOT NULL,"		/* of the access token */
	  " revoked_at BIGINT,"
	  " revoke_reason TEXT,"			/* revoked refreshed superseded reused */
	  " successor_id BIGINT,"			/* the pair a refresh produced */
	  " last_used_at BIGINT);"
	  "CREATE INDEX oauth_access_tokens_grant ON oauth_access_tokens (grant_id);"
	  "CREATE INDEX oauth_access_tokens_user ON oauth_access_tokens (user_id);" },
	{ 9, "password reset tokens, project integrations, token expiry notices",
	  "CREATE TABLE password_resets ("
	  " id @PK@,"
	  " user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	  " token_hash TEXT NOT NULL UNIQUE,"		/* SHA-256 of the mailed secret */
	  " password_stamp TEXT NOT NULL,"		/* digest of the password hash at issue */
	  " created_at BIGINT NOT NULL,"
	  " expires_at BIGINT NOT NULL,"
	  " used_at BIGINT);"
	  "CREATE INDEX password_resets_user ON password_resets (user_id, created_at);"
	  "CREATE TABLE project_integrations ("
	  " id @PK@,"
	  " project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
	  " kind TEXT NOT NULL,"			/* emails_on_push */
	  " active INTEGER NOT NULL DEFAULT 1,"
	  " properties TEXT NOT NULL,"			/* JSON object */
	  " created_at BIGINT NOT NULL,"
	  " updated_at BIGINT NOT NULL);"
	  "CREATE UNIQUE INDEX project_integrations_kind ON project_integrations (project_id, kind);"
	  "CREATE TABLE pat_expiry_notices ("		/* one expiry mail per token */
	  " token_id BIGINT PRIMARY KEY REFERENCES personal_access_tokens (id) ON DELETE CASCADE,"
	  " sent_at BIGINT NOT NULL);"
	  /* The daily sweep re-queues itself; this row starts the chain. */
	  "INSERT INTO jobs (kind, payload, idempotency_key, run_at, max_attempts, created_at)"
	  " VALUES ('token_expiry_sweep', '{}', 'token-expiry-sweep-first', 0, 5, 0);" },
	{ 10, "stars, forks, group shares, impersonation tokens",
	  "CREATE TABLE project_stars ("
	  " project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
	  " user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	  " created_at BIGINT NOT NULL,"
	  " PRIMARY KEY (project_id, user_id));"
	  "CREATE INDEX project_stars_user ON project_stars (user_id);"
	  /* One row per fork; deleting either side ends the relation. */
	  "CREATE TABLE project_forks ("
	  " project_id BIGINT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,"
	  " forked_from_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
	  " created_at BIGINT NOT NULL);"
	  "CREATE INDEX project_forks_source ON project_forks (forked_from_id);"
	  /* A group or project shared with a group: that group's members get
	   * access up to access_level. */
	  "CREATE TABLE group_group_links ("
	  " shared_group_id BIGINT NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,"
	  " shared_with_group_id BIGINT NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,"
	  " access_level INTEGER NOT NULL,"
	  " expires_at BIGINT,"
	  " created_at BIGINT NOT NULL,"
	  " PRIMARY KEY (shared_group_id, shared_with_group_id));"
	  "CREATE INDEX group_group_links_with ON group_group_links (shared_with_group_id);"
	  "CREATE TABLE project_group_links ("
	  " project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
	  " group_id BIGINT NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,"
	  " access_level INTEGER NOT NULL,"
	  " expires_at BIGINT,"
	  " created_at BIGINT NOT NULL,"
	  " PRIMARY KEY (project_id, group_id));"
	  "CREATE INDEX project_group_links_group ON project_group_links (group_id);"
	  "ALTER TABLE personal_access_tokens ADD COLUMN impersonation INTEGER NOT NULL DEFAULT 0;" },
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int db_schema_latest(void)
{
	return migrations[NMIGRATIONS - 1].version;
}

static void migration_expand(struct buf *out, const char *sql, enum db_dialect d)
{
	const char *pk = d == DB_SQLITE ? "INTEGER PRIMARY KEY AUTOINCREMENT"
					: "BIGSERIAL PRIMARY KEY";

	for (const char *p = sql; *p;) {
		if (!strncmp(p, "@PK@", 4)) {
			buf_addstr(out, pk);
			p += 4;
		} else {
			buf_addch(out, *p++);
		}
	}
}

int db_schema_version(struct db *db, int *out)
{
	struct db_stmt *st = NULL;
	int ret;

	ret = db_queryp(db, &st, "SELECT max(version) FROM schema_migrations", "");
	if (ret < 0)
		return ret;
	*out = ret > 0 && !db_col_is_null(st, 0) ? (int)db_col_int64(st, 0) : 0;
	db_stmt_free(st);
	return 0;
}

static int migration_apply(struct db *db, const struct migration *m, struct buf *err)
{
	struct buf sql = BUF_INIT;
	int version = 0;
	int ret;

	ret = db_tx_begin(db);
	if (ret < 0)
		return ret;
	ret = db_schema_version(db, &version);
	if (ret == 0 && version < m->version) {
		migration_expand(&sql, m->sql, db_dialect(db));
		ret = db_exec(db, sql.ptr);
		if (ret == 0)
			ret = db_execp(db, "INSERT INTO schema_migrations (version, applied_at)"
					   " VALUES ($1, $2)", "ii", (int64_t)m->version,
				       time_now_ms());
		if (ret == 0)
			log_info("db", "migrated version=%d what=\"%s\"", m->version, m->what);
		else
			buf_addf(err, "migration %d (%s) failed: %s", m->version, m->what,
				 err_name(ret));
	}
	ret = db_tx_end(db, ret);
	buf_release(&sql);
	return ret;
}

int db_migrate_to(struct db *db, int target, struct buf *err)
{
	int ret;

	ret = db->drv->migrate_lock(db);
	if (ret < 0) {
		buf_addf(err, "cannot take the migration lock: %s", err_name(ret));
		return ret;
	}
	ret = db_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			  " version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
	if (ret < 0)
		buf_addf(err, "cannot create schema_migrations: %s", err_name(ret));
	for (int i = 0; ret == 0 && i < NMIGRATIONS && migrations[i].version <= target; i++)
		ret = migration_apply(db, &migrations[i], err);
	db->drv->migrate_unlock(db);
	return ret;
}

int db_migrate(struct db *db, struct buf *err)
{
	int version = 0;
	int ret = db_migrate_to(db, db_schema_latest(), err);

	if (ret == 0)
		ret = db_schema_version(db, &version);
	if (ret == 0 && version > db_schema_latest()) {
		/* A newer kura migrated this database: refuse to run old code on it. */
		buf_addf(err, "database schema version %d is newer than this kura (%d)", version,
			 db_schema_latest());
		ret = ERR_INVALID;
	}
	return ret;
}
