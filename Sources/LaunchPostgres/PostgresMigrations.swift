import Logging
import PostgresNIO

/// The PostgreSQL schema, one numbered migration per version; never edit one that has shipped, add one.
/// `migrate` runs in one transaction under an advisory lock, so servers that start together migrate once: the
/// others wait for the lock, then find every version applied.
public enum PostgresMigrations {
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        /// One statement each: the extended protocol postgres-nio speaks takes no more.
        public var statements: [String]
    }

    /// The advisory lock's key: "launchdeck" in ASCII, so it cannot collide with another application's by accident.
    static let lockKey: Int64 = 0x6C61_756E_6368_6465

    public static let all: [Migration] = [
        Migration(version: 1, name: "jobs, queues, items, logs, agents, tokens", statements: [
            // Every changed row carries the id of the transaction that wrote it (docs/postgres-backend.md: a follower's
            // cursor is the xmin of a snapshot, below which every writer has ended, so no late commit is skipped).
            // The trigger sets it on every update, so no statement can forget to.
            """
            CREATE FUNCTION launchdeck_touch() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.changed_xid := pg_current_xact_id(); RETURN NEW; END $$
            """,
            """
            CREATE TABLE jobs (
                name text NOT NULL,
                version integer NOT NULL,
                spec text NOT NULL,
                digest text NOT NULL,
                created_at timestamptz NOT NULL,
                PRIMARY KEY (name, version)
            )
            """,
            """
            CREATE TABLE queues (
                name text PRIMARY KEY,
                target text NOT NULL,
                config_text text NOT NULL,
                config_version integer NOT NULL DEFAULT 1,
                created_at timestamptz NOT NULL,
                paused boolean NOT NULL DEFAULT false,
                changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
            )
            """,
            "CREATE INDEX queues_changed ON queues (changed_xid)",
            "CREATE TRIGGER queues_touch BEFORE UPDATE ON queues FOR EACH ROW EXECUTE FUNCTION launchdeck_touch()",
            """
            CREATE TABLE items (
                position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                -- Byte order, as ULIDs sort, whatever the database's collation: prefix lookups and pages by id.
                id text COLLATE "C" NOT NULL UNIQUE,
                queue text NOT NULL REFERENCES queues (name),
                job_name text NOT NULL,
                job_version integer NOT NULL,
                overrides text NOT NULL,
                priority smallint NOT NULL,
                state text NOT NULL,
                attempts integer NOT NULL DEFAULT 0,
                max_attempts integer NOT NULL,
                agent_id text,
                lease_expires_at timestamptz,
                enqueued_at timestamptz NOT NULL,
                leased_at timestamptz,
                building_at timestamptz,
                running_at timestamptz,
                finished_at timestamptz,
                updated_at timestamptz NOT NULL,
                exit_code integer,
                error text,
                relaunch_of text,
                reclaimed_from text,
                progress text,
                log_count integer NOT NULL DEFAULT 0,
                log_dropped integer NOT NULL DEFAULT 0,
                idempotency_key text,
                changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
            ) WITH (fillfactor = 80)
            """,
            "CREATE INDEX items_dispatch ON items (queue, state, priority, position)",
            "CREATE INDEX items_changed ON items (changed_xid)",
            "CREATE INDEX items_finished ON items (finished_at) WHERE finished_at IS NOT NULL",
            "CREATE INDEX items_relaunch_of ON items (relaunch_of) WHERE relaunch_of IS NOT NULL",
            "CREATE UNIQUE INDEX items_idempotency ON items (idempotency_key) WHERE idempotency_key IS NOT NULL",
            // In-flight items, for reclaiming expired leases: a partial index on state, not on the expiry, so a lease
            // renewal (the most frequent write) changes no indexed column and stays on its page (HOT, fillfactor 80).
            "CREATE INDEX items_in_flight ON items (position) WHERE state IN ('leased', 'building', 'running')",
            // Every update is a change for followers except a lease renewal alone, which dashboards do not show: the
            // trigger fires for statements that set any column but lease_expires_at (and the tag itself).
            """
            CREATE TRIGGER items_touch BEFORE UPDATE OF queue, job_name, job_version, overrides, priority, state, attempts,
                max_attempts, agent_id, enqueued_at, leased_at, building_at, running_at, finished_at, updated_at, exit_code,
                error, relaunch_of, reclaimed_from, progress, log_count, log_dropped, idempotency_key
            ON items FOR EACH ROW EXECUTE FUNCTION launchdeck_touch()
            """,
            """
            CREATE TABLE item_logs (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                item_id text NOT NULL,
                stream text NOT NULL,
                at timestamptz NOT NULL,
                line text NOT NULL
            )
            """,
            "CREATE INDEX item_logs_item ON item_logs (item_id, id)",
            // Each stream's own lines in order, so trimming a chatty stream never pushes out another's last lines.
            "CREATE INDEX item_logs_stream ON item_logs (item_id, stream, id)",
            """
            CREATE TABLE agents (
                id text PRIMARY KEY,
                name text NOT NULL,
                host text NOT NULL,
                queues text NOT NULL,
                max_jobs integer NOT NULL,
                state text NOT NULL,
                version text NOT NULL,
                started_at timestamptz NOT NULL,
                last_heartbeat timestamptz NOT NULL,
                environment text NOT NULL,
                stop_requested boolean NOT NULL DEFAULT false,
                changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
            )
            """,
            "CREATE INDEX agents_changed ON agents (changed_xid)",
            "CREATE TRIGGER agents_touch BEFORE UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION launchdeck_touch()",
            // Until when no lease is reclaimed, because the store was stalled: agents that could not heartbeat
            // meanwhile are not dead.
            "CREATE TABLE store_health (id integer PRIMARY KEY CHECK (id = 1), reclaim_paused_until timestamptz NOT NULL)",
            "INSERT INTO store_health (id, reclaim_paused_until) VALUES (1, 'epoch')",
            // The tokens of `launchdeck server`: SHA-256 of each secret, never the secret.
            """
            CREATE TABLE api_tokens (
                id text PRIMARY KEY,
                secret_hash text NOT NULL UNIQUE,
                name text NOT NULL,
                role text NOT NULL,
                queues text,
                created_at timestamptz NOT NULL,
                expires_at timestamptz,
                revoked_at timestamptz
            )
            """,
        ]),
    ]

    /// Applies the versions the database lacks, in order; returns those it applied (none when another server
    /// already had).
    @discardableResult
    public static func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS launchdeck_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM launchdeck_migrations", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            var done: [Int] = []
            for migration in all where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO launchdeck_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                                           logger: logger)
                done.append(migration.version)
            }
            return done
        }
    }
}
