import Foundation
import LaunchAPI
import LaunchModel
import PostgresNIO

extension PostgresBackend {
    public func enqueue(_ request: EnqueueRequest) async throws -> LaunchItem {
        try await enqueue(batch: [request])[0]
    }

    public func enqueue(batch requests: [EnqueueRequest]) async throws -> [LaunchItem] {
        guard !requests.isEmpty else { return [] }
        let now = self.now
        let items = try await write { connection in
            // A batch usually targets one queue and job: read each once, and check each distinct set of variables
            // once, rather than per item.
            var queues: [String: Queue] = [:]
            var jobs: [JobReference: JobVersion] = [:]
            var checked: [String: [[String: String]: [String: JSONValue]]] = [:]
            let keys = requests.compactMap(\.idempotencyKey)
            var earlier = keys.isEmpty ? [:] : try await Self.items(idempotencyKeys: keys, connection, logger: self.logger)
            var results: [LaunchItem] = []
            var inserts: [(item: LaunchItem, key: String?)] = []
            for request in requests {
                if let key = request.idempotencyKey, let known = earlier[key] {
                    results.append(known)
                    continue
                }
                let queue: Queue
                if let known = queues[request.queue] {
                    queue = known
                } else {
                    queue = try await Self.queue(named: request.queue, connection, logger: self.logger)
                    queues[queue.name] = queue
                }
                let job: JobVersion
                if let known = jobs[request.job] {
                    job = known
                } else {
                    job = try await Self.resolveJob(request.job, connection, logger: self.logger)
                    jobs[request.job] = job
                }
                let variables: [String: JSONValue]
                if let known = checked[queue.name]?[request.variables] {
                    variables = known
                } else {
                    variables = try ItemLifecycle.enqueueVariables(request.variables, on: queue)
                    checked[queue.name, default: [:]][request.variables] = variables
                }
                var relaunchOf: String?
                if let reference = request.relaunchOf {
                    relaunchOf = try await Self.item(prefix: try ItemID.validatePrefix(reference), connection, logger: self.logger).id
                }
                let item = ItemLifecycle.enqueue(job: job, on: queue, hyperparameters: request.hyperparameters, variables: variables,
                                                 priority: request.priority, relaunchOf: relaunchOf, at: now)
                // A key twice in one batch is one item, as two requests with it would be.
                if let key = request.idempotencyKey { earlier[key] = item }
                inserts.append((item, request.idempotencyKey))
                results.append(item)
            }
            try await Self.insert(inserts, connection, logger: self.logger)
            return results
        }
        announcements.announce(.work)
        return items
    }

    /// One statement for a whole batch (rows from arrays, in the batch's order, so positions follow it): a batch of
    /// thousands is one round trip, not thousands.
    static func insert(_ rows: [(item: LaunchItem, key: String?)], _ connection: PostgresConnection, logger: Logger) async throws {
        guard !rows.isEmpty else { return }
        let items = rows.map(\.item)
        let enqueued = items.map(\.timestamps.enqueued)
        // Arrays cannot hold NULL here; "" stands for it (no item id, and no idempotency key, is empty).
        try await connection.query("""
            INSERT INTO items (id, queue, job_name, job_version, overrides, priority, state, max_attempts, enqueued_at, updated_at,
                               relaunch_of, idempotency_key)
            SELECT id, queue, job_name, job_version, overrides, priority, 'queued', max_attempts, enqueued_at, enqueued_at,
                   NULLIF(relaunch_of, ''), NULLIF(idempotency_key, '')
            FROM unnest(\(items.map(\.id)), \(items.map(\.queue)), \(items.map(\.jobName)), \(items.map(\.jobVersion)),
                        \(try items.map { try RecordJSON.text($0.overrides) }), \(items.map(\.priority.rank)), \(items.map(\.maxAttempts)),
                        \(enqueued), \(items.map { $0.relaunchOf ?? "" }), \(rows.map { $0.key ?? "" }))
                 WITH ORDINALITY AS batch (id, queue, job_name, job_version, overrides, priority, max_attempts, enqueued_at,
                                           relaunch_of, idempotency_key, ordinal)
            ORDER BY ordinal
            """, logger: logger)
    }

    /// The items earlier enqueues or relaunches with these keys made, as they are now.
    static func items(idempotencyKeys keys: [String], _ connection: PostgresConnection, logger: Logger) async throws -> [String: LaunchItem] {
        var found: [String: LaunchItem] = [:]
        for try await row in try await connection.query("""
            SELECT \(unescaped: PostgresRows.itemSelection), i.idempotency_key FROM items i WHERE i.idempotency_key = ANY(\(keys))
            """, logger: logger) {
            let key = try row.makeRandomAccess()[23].decode(String.self)
            found[key] = try PostgresRows.item(row)
        }
        return found
    }

    public func items(_ filter: ItemFilter) async throws -> [LaunchItem] {
        try await read { connection in
            var query = PostgresQuery(unsafeSQL: "")
            var conditions: [String] = []
            var binds = PostgresBindings()
            if let queue = filter.queue {
                binds.append(queue)
                conditions.append("i.queue = $\(binds.count)")
            }
            if let states = filter.states, !states.isEmpty {
                binds.append(states.map(\.rawValue).sorted())
                conditions.append("i.state = ANY($\(binds.count))")
            }
            if let agent = filter.agentID {
                binds.append(agent)
                conditions.append("i.agent_id = $\(binds.count)")
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            if let limit = filter.limit {
                // The newest `limit`, in enqueue order: a backward scan of the primary key, then sorted back.
                binds.append(limit)
                query = PostgresQuery(unsafeSQL: """
                    SELECT * FROM (SELECT \(PostgresRows.itemSelection), i.position FROM items i \(whereClause)
                                   ORDER BY i.position DESC LIMIT $\(binds.count)) newest ORDER BY position
                    """, binds: binds)
            } else {
                query = PostgresQuery(unsafeSQL: "SELECT \(PostgresRows.itemSelection) FROM items i \(whereClause) ORDER BY i.position", binds: binds)
            }
            return try await PostgresRows.items(try await connection.query(query, logger: self.logger))
        }
    }

    public func item(id: String) async throws -> LaunchItem {
        let prefix = try ItemID.validatePrefix(id)
        return try await read { connection in try await Self.item(prefix: prefix, connection, logger: self.logger) }
    }

    /// The item a user names by any unique prefix or suffix of its id (`ItemID.pick`). `locking`: FOR UPDATE, for a
    /// read-modify-write.
    static func item(prefix reference: String, locking: Bool = false, _ connection: PostgresConnection, logger: Logger) async throws -> LaunchItem {
        try await storedItem(prefix: reference, locking: locking, connection, logger: logger).item
    }

    static func storedItem(prefix reference: String, locking: Bool = false, _ connection: PostgresConnection, logger: Logger) async throws -> StoredItem {
        let lock = locking ? "FOR UPDATE OF i" : ""
        // ULIDs have no LIKE wildcards, and validatePrefix allowed only their alphabet. A prefix is an index range
        // (ids are COLLATE "C": byte order); a suffix scans, which a command typed by hand can afford.
        var prefixed: [StoredItem] = []
        for try await row in try await connection.query("""
            SELECT \(unescaped: PostgresRows.itemSelection) FROM items i
            WHERE i.id >= \(reference) AND i.id < \(reference + "\u{7f}") ORDER BY i.id LIMIT 6 \(unescaped: lock)
            """, logger: logger) {
            prefixed.append(try PostgresRows.storedItem(row))
        }
        if let exact = prefixed.first(where: { $0.item.id == reference }) { return exact }
        var suffixed: [StoredItem] = []
        if prefixed.isEmpty {
            for try await row in try await connection.query("""
                SELECT \(unescaped: PostgresRows.itemSelection) FROM items i WHERE i.id LIKE \("%" + reference) ORDER BY i.id LIMIT 6 \(unescaped: lock)
                """, logger: logger) {
                suffixed.append(try PostgresRows.storedItem(row))
            }
        }
        let id = try ItemID.pick(reference, prefixed: prefixed.map(\.item.id), suffixed: suffixed.map(\.item.id))
        return (prefixed + suffixed).first { $0.item.id == id }!
    }

    public func cancel(itemID: String) async throws -> LaunchItem {
        let prefix = try ItemID.validatePrefix(itemID)
        let now = self.now
        let item = try await write { connection in
            let item = try ItemLifecycle.cancel(try await Self.item(prefix: prefix, locking: true, connection, logger: self.logger), at: now)
            try await Self.persist(StoredItem(item), connection, logger: self.logger)
            return item
        }
        announcements.announce(.change)
        return item
    }

    public func relaunch(itemID: String, idempotencyKey: String?) async throws -> LaunchItem {
        let prefix = try ItemID.validatePrefix(itemID)
        let now = self.now
        let item = try await write { connection in
            if let idempotencyKey, let earlier = try await Self.items(idempotencyKeys: [idempotencyKey], connection, logger: self.logger)[idempotencyKey] {
                return earlier
            }
            let original = try await Self.item(prefix: prefix, connection, logger: self.logger)
            let item = try ItemLifecycle.relaunch(original, on: try await Self.queue(named: original.queue, connection, logger: self.logger), at: now)
            try await Self.insert([(item, idempotencyKey)], connection, logger: self.logger)
            return item
        }
        announcements.announce(.work)
        return item
    }

    public func relaunches(of itemID: String) async throws -> [LaunchItem] {
        let prefix = try ItemID.validatePrefix(itemID)
        return try await read { connection in
            let item = try await Self.item(prefix: prefix, connection, logger: self.logger)
            return try await PostgresRows.items(try await connection.query("""
                SELECT \(unescaped: PostgresRows.itemSelection) FROM items i WHERE i.relaunch_of = \(item.id) ORDER BY i.position
                """, logger: self.logger))
        }
    }
}
