import GRDB

/// The database schema, one registered migration per version; never edit a shipped migration, add one.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: jobs, queues, items, logs, agents") { db in
            // One counter for every write: rows carry the value of the write that last touched them,
            // so `changes(since:)` is an index range scan whatever the table sizes.
            try db.execute(sql: """
                CREATE TABLE change_counter (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
                INSERT INTO change_counter (id, seq) VALUES (1, 0);

                CREATE TABLE jobs (
                    name TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    spec TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (name, version)
                );

                CREATE TABLE queues (
                    name TEXT PRIMARY KEY,
                    target TEXT NOT NULL,
                    config_text TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    paused INTEGER NOT NULL DEFAULT 0,
                    changed_seq INTEGER NOT NULL
                );
                CREATE INDEX queues_changed ON queues (changed_seq);

                CREATE TABLE items (
                    position INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    queue TEXT NOT NULL REFERENCES queues (name),
                    job_name TEXT NOT NULL,
                    job_version INTEGER NOT NULL,
                    overrides TEXT NOT NULL,
                    priority INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    max_attempts INTEGER NOT NULL,
                    agent_id TEXT,
                    lease_expires_at REAL,
                    enqueued_at REAL NOT NULL,
                    leased_at REAL,
                    building_at REAL,
                    running_at REAL,
                    finished_at REAL,
                    updated_at REAL NOT NULL,
                    exit_code INTEGER,
                    error TEXT,
                    relaunch_of TEXT,
                    progress TEXT,
                    log_count INTEGER NOT NULL DEFAULT 0,
                    log_dropped INTEGER NOT NULL DEFAULT 0,
                    changed_seq INTEGER NOT NULL
                );
                CREATE INDEX items_dispatch ON items (queue, state, priority, position);
                CREATE INDEX items_changed ON items (changed_seq);
                CREATE INDEX items_lease ON items (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
                CREATE INDEX items_finished ON items (finished_at) WHERE finished_at IS NOT NULL;

                CREATE TABLE item_logs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    item_id TEXT NOT NULL,
                    stream TEXT NOT NULL,
                    at REAL NOT NULL,
                    line TEXT NOT NULL
                );
                CREATE INDEX item_logs_item ON item_logs (item_id, id);

                CREATE TABLE agents (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    host TEXT NOT NULL,
                    queues TEXT NOT NULL,
                    max_jobs INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    version TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    last_heartbeat REAL NOT NULL,
                    environment TEXT NOT NULL,
                    changed_seq INTEGER NOT NULL
                );
                CREATE INDEX agents_changed ON agents (changed_seq);
                """)
        }
        migrator.registerMigration("v2: attempts that lost their lease, queue config versions, store stalls") { db in
            try db.execute(sql: """
                ALTER TABLE items ADD COLUMN reclaimed_from TEXT;
                ALTER TABLE queues ADD COLUMN config_version INTEGER NOT NULL DEFAULT 1;
                -- Until when no lease is reclaimed, because the store was stalled (a long lock, a full disk): agents
                -- that could not heartbeat meanwhile are not dead.
                CREATE TABLE store_health (id INTEGER PRIMARY KEY CHECK (id = 1), reclaim_paused_until REAL NOT NULL);
                INSERT INTO store_health (id, reclaim_paused_until) VALUES (1, 0);
                """)
        }
        migrator.registerMigration("v3: agent stop requests, relaunch links") { db in
            try db.execute(sql: """
                ALTER TABLE agents ADD COLUMN stop_requested INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX items_relaunch_of ON items (relaunch_of) WHERE relaunch_of IS NOT NULL;
                -- Each stream's own lines in order, so trimming a chatty stream never pushes out another's last lines.
                CREATE INDEX item_logs_stream ON item_logs (item_id, stream, id);
                """)
        }
        migrator.registerMigration("v4: idempotency keys, API tokens") { db in
            try db.execute(sql: """
                -- A client's key for one enqueue or relaunch: a retry of it finds the item instead of making another.
                ALTER TABLE items ADD COLUMN idempotency_key TEXT;
                CREATE UNIQUE INDEX items_idempotency ON items (idempotency_key) WHERE idempotency_key IS NOT NULL;
                -- The tokens of `launchdeck server`: SHA-256 of each secret, never the secret.
                CREATE TABLE api_tokens (
                    id TEXT PRIMARY KEY,
                    secret_hash TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    queues TEXT,
                    created_at REAL NOT NULL,
                    expires_at REAL,
                    revoked_at REAL
                );
                """)
        }
        return migrator
    }
}
