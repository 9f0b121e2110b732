// The registry schema as named GRDB migrations. A migration is never edited once it has
// shipped: changes go in a new migration appended to `RegistrySchema.migrator`.
//
// Portability: column types are spelled so the same DDL runs on PostgreSQL (BIGINT,
// DOUBLE PRECISION, TEXT; SQLite gives them INTEGER/REAL/TEXT affinity); keys are natural
// composite primary keys or app-assigned ids (no AUTOINCREMENT); writes use
// `INSERT ... ON CONFLICT (...) DO UPDATE`, which both engines accept.
import GRDB

enum SQLType {
  static let bigint = Database.ColumnType(rawValue: "BIGINT")
  static let double = Database.ColumnType(rawValue: "DOUBLE PRECISION")
  static let text = Database.ColumnType.text
}

public enum RegistrySchema {
  /// Identifies a LandmarkLab registry in the SQLite header (`PRAGMA application_id`): 'LMLB'.
  public static let applicationID: Int32 = 0x4C4D_4C42
  /// Bumped with every migration; stored in `registry_info.schema_version`.
  public static let version = 6
  /// Every migration this build knows, in order.
  public static let migrationNames = ["v1-initial-schema", "v2-run-attempt-time", "v3-sweeps", "v4-scheduler-jobs", "v5-resume-step-frame-index",
    "v6-paths-relative-to-registry",
  ]

  /// Refuses a registry written by a newer lmlab: a migration this build does not know, or a
  /// higher `schema_version` (on either backend).
  static func checkNotNewer(location: String, applied: [String], version: String?) throws {
    let unknown = Set(applied).subtracting(migrationNames)
    if let newest = unknown.sorted().last {
      throw RegistryError.newerSchema(
        path: location, found: "migration '\(newest)'", known: "up to '\(migrationNames.last!)'")
    }
    if let v = version, let n = Int(v), n > RegistrySchema.version {
      throw RegistryError.newerSchema(path: location, found: "version \(n)", known: "version \(RegistrySchema.version)")
    }
  }

  /// The SQLite migrations (GRDB's migrator, recorded in `grdb_migrations`). PostgreSQL runs the
  /// same migrations as plain DDL (`postgresMigrations`); a test compares the two schemas.
  static var migrator: DatabaseMigrator {
    var m = DatabaseMigrator()
    m.registerMigration("v1-initial-schema") { db in
      try db.create(table: "registry_info") { t in
        t.column("key", SQLType.text).notNull().primaryKey()
        t.column("value", SQLType.text).notNull()
      }
      try db.create(table: "experiments") { t in
        t.column("id", SQLType.bigint).notNull().primaryKey()
        t.column("name", SQLType.text).notNull().unique()
        t.column("description", SQLType.text).notNull()
        t.column("created_at", SQLType.double).notNull()
      }
      try db.create(table: "runs") { t in
        t.column("id", SQLType.bigint).notNull().primaryKey()
        t.column("experiment_id", SQLType.bigint).references("experiments", onDelete: .setNull)
        t.column("name", SQLType.text).notNull()
        t.column("kind", SQLType.text).notNull()
        t.column("status", SQLType.text).notNull()
          .check(sql: "status IN ('queued','running','finished','failed','interrupted')")
        t.column("parent_id", SQLType.bigint).references("runs", onDelete: .setNull)
        t.column("config_json", SQLType.text).notNull()
        t.column("config_hash", SQLType.text).notNull()
        t.column("seed", SQLType.bigint)
        t.column("git_commit", SQLType.text)
        t.column("dataset_fingerprint", SQLType.text)
        t.column("host", SQLType.text).notNull()
        t.column("pid", SQLType.bigint)
        t.column("worker", SQLType.text)
        t.column("command_line", SQLType.text).notNull()
        t.column("created_at", SQLType.double).notNull()
        t.column("started_at", SQLType.double)
        t.column("ended_at", SQLType.double)
        t.column("heartbeat_at", SQLType.double)
        t.column("error", SQLType.text)
        t.column("resume_from", SQLType.text)
      }
      try db.create(index: "runs_status", on: "runs", columns: ["status", "id"])
      try db.create(index: "runs_experiment", on: "runs", columns: ["experiment_id"])
      try db.create(index: "runs_parent", on: "runs", columns: ["parent_id"])
      try db.create(index: "runs_config_hash", on: "runs", columns: ["config_hash"])

      try db.create(table: "params") { t in
        t.column("run_id", SQLType.bigint).notNull().references("runs", onDelete: .cascade)
        t.column("key", SQLType.text).notNull()
        t.column("kind", SQLType.text).notNull()
        t.column("text", SQLType.text).notNull()
        t.column("number", SQLType.double)
        t.primaryKey(["run_id", "key"])
      }
      try db.create(index: "params_key_number", on: "params", columns: ["key", "number"])
      try db.create(index: "params_key_text", on: "params", columns: ["key", "text"])

      try db.create(table: "series_points") { t in
        t.column("run_id", SQLType.bigint).notNull().references("runs", onDelete: .cascade)
        t.column("name", SQLType.text).notNull()
        t.column("step", SQLType.bigint).notNull()
        t.column("value", SQLType.double).notNull()
        t.column("time", SQLType.double).notNull()
        // The primary key is the (run, name, step) index.
        t.primaryKey(["run_id", "name", "step"])
      }
      try db.create(table: "series_summaries") { t in
        t.column("run_id", SQLType.bigint).notNull().references("runs", onDelete: .cascade)
        t.column("name", SQLType.text).notNull()
        t.column("goal", SQLType.text).notNull().check(sql: "goal IN ('min','max')")
        t.column("points_logged", SQLType.bigint).notNull()
        t.column("last_step", SQLType.bigint).notNull()
        t.column("last_value", SQLType.double).notNull()
        t.column("min_step", SQLType.bigint).notNull()
        t.column("min_value", SQLType.double).notNull()
        t.column("max_step", SQLType.bigint).notNull()
        t.column("max_value", SQLType.double).notNull()
        t.column("updated_at", SQLType.double).notNull()
        t.primaryKey(["run_id", "name"])
      }
      try db.create(index: "series_summaries_name", on: "series_summaries", columns: ["name", "last_value"])

      try db.create(table: "checkpoints") { t in
        t.column("id", SQLType.text).notNull().primaryKey()
        t.column("run_id", SQLType.bigint).notNull().references("runs", onDelete: .cascade)
        t.column("step", SQLType.bigint).notNull()
        t.column("path", SQLType.text).notNull()
        t.column("sha256", SQLType.text).notNull()
        t.column("bytes", SQLType.bigint).notNull()
        t.column("created_at", SQLType.double).notNull()
      }
      try db.create(index: "checkpoints_run", on: "checkpoints", columns: ["run_id", "step"])

      try db.create(table: "frame_scores") { t in
        t.column("run_id", SQLType.bigint).notNull().references("runs", onDelete: .cascade)
        t.column("method", SQLType.text).notNull()
        t.column("sequence", SQLType.text).notNull()
        t.column("frame", SQLType.bigint).notNull()
        t.column("metric", SQLType.text).notNull()
        t.column("value", SQLType.double).notNull()
        t.primaryKey(["run_id", "method", "sequence", "frame", "metric"])
      }

      try db.create(table: "artifacts") { t in
        t.column("id", SQLType.text).notNull().primaryKey()
        t.column("run_id", SQLType.bigint).notNull().references("runs", onDelete: .cascade)
        t.column("kind", SQLType.text).notNull()
        t.column("path", SQLType.text).notNull()
        t.column("sha256", SQLType.text).notNull()
        t.column("bytes", SQLType.bigint).notNull()
        t.column("created_at", SQLType.double).notNull()
      }
      try db.create(index: "artifacts_run", on: "artifacts", columns: ["run_id"])

      try db.execute(
        sql: "INSERT INTO registry_info (key, value) VALUES ('schema_version', ?), ('created_by', 'lmlab')",
        arguments: [String(1)])
    }
    // A resumed run restarts `started_at`; the time of its earlier attempts is kept here so
    // TIME is the run's total. NOT NULL DEFAULT fills existing rows (SQLite and PostgreSQL).
    m.registerMigration("v2-run-attempt-time") { db in
      try db.execute(sql: "ALTER TABLE runs ADD COLUMN earlier_seconds DOUBLE PRECISION NOT NULL DEFAULT 0")
      try db.execute(sql: "ALTER TABLE runs ADD COLUMN resumes BIGINT NOT NULL DEFAULT 0")
      try db.execute(sql: "UPDATE registry_info SET value = '2' WHERE key = 'schema_version'")
    }
    // A sweep is an experiment whose runs are its trials; this row says how they were made
    // (the spec as written) and how they are ranked.
    m.registerMigration("v3-sweeps") { db in
      try db.create(table: "sweeps") { t in
        t.column("experiment_id", SQLType.bigint).notNull().primaryKey().references("experiments", onDelete: .cascade)
        t.column("trainer", SQLType.text).notNull()
        t.column("rank_field", SQLType.text).notNull()
        t.column("rank_goal", SQLType.text).notNull()
        t.column("swept_keys", SQLType.text).notNull()
        t.column("spec_path", SQLType.text).notNull()
        t.column("spec", SQLType.text).notNull()
        t.column("trials", SQLType.bigint).notNull()
        t.column("max_resumes", SQLType.bigint).notNull()
        t.column("created_at", SQLType.double).notNull()
        t.column("updated_at", SQLType.double).notNull()
      }
      try db.execute(sql: "UPDATE registry_info SET value = '3' WHERE key = 'schema_version'")
    }
    // Cluster jobs: the scheduler job (e.g. Slurm's ARRAYJOB_TASK) of the process that last
    // claimed a run, and the jobs submitted for a sweep.
    m.registerMigration("v4-scheduler-jobs") { db in
      try db.execute(sql: "ALTER TABLE runs ADD COLUMN scheduler_job TEXT")
      try db.execute(sql: "ALTER TABLE sweeps ADD COLUMN scheduler_jobs TEXT NOT NULL DEFAULT ''")
      try db.execute(sql: "UPDATE registry_info SET value = '4' WHERE key = 'schema_version'")
    }
    // A resumed run records the checkpoint step it continued from; a per-frame score records its
    // position on the run's curve (horizon step or interpolated-frame index), which the report
    // used to re-derive from frame ranks: existing rows get exactly that rank.
    m.registerMigration("v5-resume-step-frame-index") { db in
      for s in RegistrySchema.v5Statements { try db.execute(sql: s) }
    }
    // File paths were stored relative to the working folder; from v6 they are relative to the
    // registry's file root (FileRoot.swift). This marks the registry's paths as the old kind;
    // `Registry.rebaseLegacyPaths`, which needs the file system, rewrites them on open and sets
    // `path_base` to 'registry'.
    m.registerMigration("v6-paths-relative-to-registry") { db in
      for s in RegistrySchema.v6Statements { try db.execute(sql: s) }
    }
    return m
  }
}
