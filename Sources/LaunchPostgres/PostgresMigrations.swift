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
        Migration(version: 2, name: "leases and reports by functions with cached plans", statements: [
            // `ItemLifecycle.lease` as SQL, for several agents asking for the same queues (`LeaseStatement` calls
            // it). In a function so that its plan is made once per connection: planned afresh on each call, as a
            // statement sent with its values is, this cost PostgreSQL more to plan than to run (0.59 ms against
            // 0.34 in `launchdeck bench --only postgres`, pg_stat_statements), and prepared, PostgreSQL kept
            // planning it afresh anyway, as a plan for an unknown LIMIT looks dear. The generic plan is the one a
            // custom plan finds (index scans of the dispatch and in-flight indexes), so it is forced here; and as the
            // plan is kept, it must not be one made when the table was small (a server starts on an empty one): no
            // sequential scan, which a table of a few rows would get and keep when it has grown to a million, and
            // no hash or merge join, which a plan that cannot know how few items a lease takes picks for its update
            // (a merge join read the whole id index, 16,000 entries, to lease one item: 8 ms). The slots are arrays,
            // so the update joins only the items it takes, each through the id index.
            //
            // Per open queue, the dispatch index (queue, state, priority, position) yields its best in order,
            // skipping rows another lease holds locked right now (SKIP LOCKED: no waiting, and no item leased
            // twice); the best of those, highest priority first and FIFO within one, fill the requests' slots in
            // the order the requests came (the first request's `max` slots first). The values set are the
            // lifecycle's (the conformance suite compares a leased item with `ItemLifecycle.lease` of it). A row per
            // leased item, with its request's ordinal (from 1), in order; one row with no item when none was. Each
            // row says whether a lease had run out (when `unless_expired`, and not while reclaims are paused): then
            // nothing was leased, and the caller reclaims first.
            """
            CREATE FUNCTION launchdeck_lease(unless_expired boolean, lease_at timestamptz, requesters text[], maxima bigint[],
                                             expiries timestamptz[], wanted_queues text[])
            RETURNS TABLE (leased_item items, leased_rank smallint, leased_position bigint, leased_ordinal bigint, lease_expired boolean)
            LANGUAGE plpgsql
            SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off
            AS $$
            #variable_conflict use_column
            DECLARE
                -- Slot k (from 1) is the request's whose `max` slots it falls in, the first request's first.
                slot_agents text[];
                slot_expiries timestamptz[];
                slot_ordinals bigint[];
                total bigint;
            BEGIN
                SELECT array_agg(r.agent ORDER BY r.ordinal, n.n), array_agg(r.expires ORDER BY r.ordinal, n.n),
                       array_agg(r.ordinal ORDER BY r.ordinal, n.n), count(*)
                INTO slot_agents, slot_expiries, slot_ordinals, total
                FROM unnest(requesters, maxima, expiries) WITH ORDINALITY AS r (agent, max, expires, ordinal)
                CROSS JOIN LATERAL generate_series(1, r.max) AS n (n);
                RETURN QUERY
                WITH expired AS (
                    SELECT unless_expired
                           AND EXISTS (SELECT 1 FROM items e WHERE e.state IN ('leased', 'building', 'running') AND e.lease_expires_at < lease_at)
                           AND (SELECT reclaim_paused_until FROM store_health WHERE id = 1) <= lease_at AS is_expired
                ), candidates AS (
                    SELECT c.id, c.priority, c.position FROM unnest(wanted_queues) AS wanted (name)
                    JOIN queues q ON q.name = wanted.name AND NOT q.paused AND NOT (SELECT is_expired FROM expired)
                    CROSS JOIN LATERAL (
                        SELECT i.id, i.priority, i.position FROM items i
                        WHERE i.queue = q.name AND i.state = 'queued'
                        ORDER BY i.priority, i.position LIMIT total FOR UPDATE SKIP LOCKED) c
                    ORDER BY c.priority, c.position LIMIT total
                ), ranked AS (
                    SELECT id, priority, position, row_number() OVER (ORDER BY priority, position) AS slot FROM candidates
                ), leased AS (
                    UPDATE items i SET state = 'leased', agent_id = slot_agents[c.slot], attempts = i.attempts + 1,
                                       lease_expires_at = slot_expiries[c.slot], exit_code = NULL, progress = NULL, building_at = NULL,
                                       running_at = NULL, leased_at = lease_at, updated_at = lease_at, reclaimed_from = NULL
                    FROM ranked c WHERE i.id = c.id
                    RETURNING i AS item, c.priority AS rank, c.position, slot_ordinals[c.slot] AS ordinal
                )
                SELECT l.item, l.rank, l.position, l.ordinal, expired.is_expired FROM expired LEFT JOIN leased l ON true
                ORDER BY l.ordinal, l.rank, l.position;
            END $$
            """,
            // What the lifecycle rules read of an item and a report writes back as they decided (`ItemLifecycle.report`),
            // as one value: a report batch reads its items without locking them and writes each only where this is
            // still what it read (`launchdeck_write_reports`), so a batch is two statements instead of a transaction
            // of five. Every column the rules read or copy is here; what else changes an item beside reports (its
            // log count, progress, and the time of those) is not, so a job's output never makes a report try again.
            // A renewal's lease time is, and so does: the report would put back the expiry it read. Text of a row,
            // which depends on the session's time zone: read and write are on one connection.
            """
            CREATE FUNCTION launchdeck_lifecycle_tag(i items) RETURNS text LANGUAGE sql STABLE AS $$
                SELECT md5(ROW(i.state, i.attempts, i.agent_id, i.reclaimed_from, i.lease_expires_at, i.leased_at, i.building_at,
                               i.running_at, i.finished_at, i.exit_code, i.error)::text)
            $$
            """,
            // The items a batch of reports names, each with its holder's name and host (for an attempt's first line)
            // and its lifecycle tag. A function for the reason and with the settings of `launchdeck_lease`: sent as a
            // statement, prepared or not, it was planned afresh each time (0.13 ms of planning for 0.05 of running).
            """
            CREATE FUNCTION launchdeck_reported_items(ids text[])
            RETURNS TABLE (reported_item items, holder_name text, holder_host text, read_tag text)
            LANGUAGE plpgsql
            SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off
            AS $$
            BEGIN
                RETURN QUERY
                SELECT i, a.name, a.host, launchdeck_lifecycle_tag(i) FROM items i LEFT JOIN agents a ON a.id = i.agent_id
                WHERE i.id = ANY(ids);
            END $$
            """,
            // What the rules decided for a batch of reports, and the first line of each attempt it started, in one
            // statement: each item is written only if its lifecycle tag is still the one read (another writer that
            // came between is seen: under READ COMMITTED the update waits for it and checks its row again), and an
            // attempt's line only with its item. Returns the ids written; the caller decides the others again. The
            // rows come as JSON (`PersistedItem`), which holds the NULLs arrays cannot, sorted by id, so two batches
            // lock their rows in one order and never deadlock; times as whole microseconds since 2000, PostgreSQL's
            // own unit, so none moves by rounding on the way.
            """
            CREATE FUNCTION launchdeck_write_reports(reported json, written_at timestamptz, start_items text[], start_lines text[])
            RETURNS SETOF text
            LANGUAGE plpgsql
            SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off
            AS $$
            BEGIN
                RETURN QUERY
                WITH written AS (
                    UPDATE items i SET state = u.state, attempts = u.attempts, agent_id = u.agent_id, reclaimed_from = u.reclaimed_from,
                                       lease_expires_at = timestamptz '2000-01-01 00:00:00+00' + u.lease_expires_at * interval '1 microsecond',
                                       leased_at = timestamptz '2000-01-01 00:00:00+00' + u.leased_at * interval '1 microsecond',
                                       building_at = timestamptz '2000-01-01 00:00:00+00' + u.building_at * interval '1 microsecond',
                                       running_at = timestamptz '2000-01-01 00:00:00+00' + u.running_at * interval '1 microsecond',
                                       finished_at = timestamptz '2000-01-01 00:00:00+00' + u.finished_at * interval '1 microsecond',
                                       updated_at = timestamptz '2000-01-01 00:00:00+00' + u.updated_at * interval '1 microsecond',
                                       exit_code = u.exit_code, error = u.error, log_count = i.log_count + u.logged_lines
                    FROM json_to_recordset(reported) AS u (id text, state text, attempts integer, agent_id text, reclaimed_from text,
                                                           lease_expires_at bigint, leased_at bigint, building_at bigint, running_at bigint,
                                                           finished_at bigint, updated_at bigint, exit_code integer, error text,
                                                           logged_lines integer, read_tag text)
                    WHERE i.id = u.id AND launchdeck_lifecycle_tag(i) = u.read_tag
                    RETURNING i.id
                ), started AS (
                    INSERT INTO item_logs (item_id, stream, at, line)
                    SELECT s.item, 'agent', written_at, s.line FROM unnest(start_items, start_lines) WITH ORDINALITY AS s (item, line, ordinal)
                    WHERE s.item IN (SELECT id FROM written) ORDER BY s.ordinal
                )
                SELECT id FROM written;
            END $$
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
