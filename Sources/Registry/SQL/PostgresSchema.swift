// The registry schema on PostgreSQL: the same named migrations as the SQLite ones in
// Schema.swift, written as plain DDL (same tables, columns, types, keys, checks and indexes),
// recorded in `schema_migrations`. Applied under an advisory lock so concurrent first opens
// of one database do not race.
import Foundation

extension RegistrySchema {
  static let postgresMigrations: [(name: String, statements: [String])] = [
    (
      "v1-initial-schema",
      [
        "CREATE TABLE registry_info (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)",
        """
        CREATE TABLE experiments (id BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL UNIQUE,
          description TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)
        """,
        """
        CREATE TABLE runs (
          id BIGINT NOT NULL PRIMARY KEY,
          experiment_id BIGINT REFERENCES experiments(id) ON DELETE SET NULL,
          name TEXT NOT NULL, kind TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('queued','running','finished','failed','interrupted')),
          parent_id BIGINT REFERENCES runs(id) ON DELETE SET NULL,
          config_json TEXT NOT NULL, config_hash TEXT NOT NULL, seed BIGINT, git_commit TEXT,
          dataset_fingerprint TEXT, host TEXT NOT NULL, pid BIGINT, worker TEXT, command_line TEXT NOT NULL,
          created_at DOUBLE PRECISION NOT NULL, started_at DOUBLE PRECISION, ended_at DOUBLE PRECISION,
          heartbeat_at DOUBLE PRECISION, error TEXT, resume_from TEXT)
        """,
        "CREATE INDEX runs_status ON runs (status, id)",
        "CREATE INDEX runs_experiment ON runs (experiment_id)",
        "CREATE INDEX runs_parent ON runs (parent_id)",
        "CREATE INDEX runs_config_hash ON runs (config_hash)",
        """
        CREATE TABLE params (run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, key TEXT NOT NULL,
          kind TEXT NOT NULL, text TEXT NOT NULL, number DOUBLE PRECISION, PRIMARY KEY (run_id, key))
        """,
        "CREATE INDEX params_key_number ON params (key, number)",
        "CREATE INDEX params_key_text ON params (key, text)",
        """
        CREATE TABLE series_points (run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          name TEXT NOT NULL, step BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL, time DOUBLE PRECISION NOT NULL,
          PRIMARY KEY (run_id, name, step))
        """,
        """
        CREATE TABLE series_summaries (run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          name TEXT NOT NULL, goal TEXT NOT NULL CHECK (goal IN ('min','max')), points_logged BIGINT NOT NULL,
          last_step BIGINT NOT NULL, last_value DOUBLE PRECISION NOT NULL, min_step BIGINT NOT NULL,
          min_value DOUBLE PRECISION NOT NULL, max_step BIGINT NOT NULL, max_value DOUBLE PRECISION NOT NULL,
          updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (run_id, name))
        """,
        "CREATE INDEX series_summaries_name ON series_summaries (name, last_value)",
        """
        CREATE TABLE checkpoints (id TEXT NOT NULL PRIMARY KEY,
          run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step BIGINT NOT NULL, path TEXT NOT NULL,
          sha256 TEXT NOT NULL, bytes BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL)
        """,
        "CREATE INDEX checkpoints_run ON checkpoints (run_id, step)",
        """
        CREATE TABLE frame_scores (run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          method TEXT NOT NULL, sequence TEXT NOT NULL, frame BIGINT NOT NULL, metric TEXT NOT NULL,
          value DOUBLE PRECISION NOT NULL, PRIMARY KEY (run_id, method, sequence, frame, metric))
        """,
        """
        CREATE TABLE artifacts (id TEXT NOT NULL PRIMARY KEY,
          run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, kind TEXT NOT NULL, path TEXT NOT NULL,
          sha256 TEXT NOT NULL, bytes BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL)
        """,
        "CREATE INDEX artifacts_run ON artifacts (run_id)",
        "INSERT INTO registry_info (key, value) VALUES ('schema_version', '1'), ('created_by', 'lmlab')",
      ]
    ),
    (
      "v2-run-attempt-time",
      [
        "ALTER TABLE runs ADD COLUMN earlier_seconds DOUBLE PRECISION NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN resumes BIGINT NOT NULL DEFAULT 0",
        "UPDATE registry_info SET value = '2' WHERE key = 'schema_version'",
      ]
    ),
    (
      "v3-sweeps",
      [
        """
        CREATE TABLE sweeps (experiment_id BIGINT NOT NULL PRIMARY KEY REFERENCES experiments(id) ON DELETE CASCADE,
          trainer TEXT NOT NULL, rank_field TEXT NOT NULL, rank_goal TEXT NOT NULL, swept_keys TEXT NOT NULL,
          spec_path TEXT NOT NULL, spec TEXT NOT NULL, trials BIGINT NOT NULL, max_resumes BIGINT NOT NULL,
          created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL)
        """,
        "UPDATE registry_info SET value = '3' WHERE key = 'schema_version'",
      ]
    ),
    (
      "v4-scheduler-jobs",
      [
        "ALTER TABLE runs ADD COLUMN scheduler_job TEXT",
        "ALTER TABLE sweeps ADD COLUMN scheduler_jobs TEXT NOT NULL DEFAULT ''",
        "UPDATE registry_info SET value = '4' WHERE key = 'schema_version'",
      ]
    ),
    ("v5-resume-step-frame-index", v5Statements),
    ("v6-paths-relative-to-registry", v6Statements),
  ]

  /// v6 is the same plain SQL on both engines.
  static let v6Statements = [
    "INSERT INTO registry_info (key, value) VALUES ('path_base', 'working-folder')",
    "UPDATE registry_info SET value = '6' WHERE key = 'schema_version'",
  ]

  /// v5 is the same plain SQL on both engines.
  static let v5Statements = [
    "ALTER TABLE runs ADD COLUMN resumed_from_step BIGINT",
    "ALTER TABLE frame_scores ADD COLUMN frame_index BIGINT",
    """
    UPDATE frame_scores SET frame_index = (SELECT COUNT(*) FROM frame_scores f
          WHERE f.run_id = frame_scores.run_id AND f.method = frame_scores.method
          AND f.sequence = frame_scores.sequence AND f.metric = frame_scores.metric AND f.frame <= frame_scores.frame)
    """,
    "UPDATE registry_info SET value = '5' WHERE key = 'schema_version'",
  ]

  /// Checks, in a read-only transaction, that a PostgreSQL database is a registry at exactly this
  /// build's schema (what a handle that only looks needs; nothing is created or migrated).
  static func checkPostgresCurrent(_ db: SQLDatabase) throws {
    try db.read { c in
      let tables = try c.strings(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name")
      if !tables.contains("registry_info") {
        if tables.isEmpty { throw RegistryError.missing(path: db.location) }
        throw RegistryError.foreignDatabase(path: db.location, tables: tables)
      }
      let applied = tables.contains("schema_migrations") ? try c.strings("SELECT identifier FROM schema_migrations") : []
      let version = try c.queryOne("SELECT value FROM registry_info WHERE key = 'schema_version'")?.string("value")
      try checkNotNewer(location: db.location, applied: applied, version: version)
      if !Set(migrationNames).isSubset(of: applied) {
        throw RegistryError.schemaNotCurrent(path: db.location)
      }
    }
  }

  /// Brings a PostgreSQL database to this build's schema. A database holding other tables and no
  /// `registry_info` is refused untouched; so is one with migrations this build does not know.
  static func migratePostgres(_ db: SQLDatabase) throws {
    precondition(postgresMigrations.map(\.name) == migrationNames, "PostgreSQL and SQLite migrations differ")
    try db.write { c in
      // One opener at a time runs the migrations (others wait here, then find them done).
      try c.execute("SELECT pg_advisory_xact_lock(hashtext('lmlab.registry.migrations'))")
      let tables = try c.strings(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name")
      if !tables.isEmpty && !tables.contains("registry_info") {
        throw RegistryError.foreignDatabase(path: db.location, tables: tables)
      }
      try c.execute("CREATE TABLE IF NOT EXISTS schema_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
      let applied = try c.strings("SELECT identifier FROM schema_migrations")
      let version = tables.contains("registry_info")
        ? try c.queryOne("SELECT value FROM registry_info WHERE key = 'schema_version'")?.string("value") : nil
      try checkNotNewer(location: db.location, applied: applied, version: version)
      for m in postgresMigrations where !applied.contains(m.name) {
        for s in m.statements { try c.execute(s) }
        try c.execute("INSERT INTO schema_migrations (identifier) VALUES (?)", m.name)
      }
    }
  }
}
