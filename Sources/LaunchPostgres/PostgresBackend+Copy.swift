import Foundation
import LaunchAPI
import LaunchModel
import PostgresNIO

/// `launchdeck migrate`: an embedded store's rows copied in as they are (`StoreTable`), in one transaction.
extension PostgresBackend: StoreRowSink {
    public func copy(from source: any StoreRowSource, pageSize: Int = 1000) async throws -> [String: Int] {
        let counts = try await write { connection -> [String: Int] in
            // No other writer meanwhile: a server started against the database before the copy ends waits for it.
            for table in StoreTable.all {
                try await connection.query(PostgresQuery(unsafeSQL: "LOCK TABLE \(table.name) IN EXCLUSIVE MODE"), logger: self.logger)
            }
            for table in StoreTable.all {
                let held = try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name)"), logger: self.logger)
                    .collect(Int.self).first ?? 0
                if held > 0 {
                    throw LaunchError.conflict("\(self.location) already holds \(held) row\(held == 1 ? "" : "s") in \(table.name): migrate copies into an empty database only, so nothing there is overwritten or mixed; nothing was changed")
                }
            }
            var counts: [String: Int] = [:]
            for table in StoreTable.all {
                var after: Int64?
                var copied = 0
                while true {
                    let rows = try await source.rows(of: table, after: after, limit: pageSize)
                    // A statement takes at most 65,535 parameters: a table read whole goes in in slices.
                    let perStatement = max(1, 60_000 / table.columns.count)
                    for start in stride(from: 0, to: rows.count, by: perStatement) {
                        try await connection.query(Self.insert(table, Array(rows[start..<min(rows.count, start + perStatement)])), logger: self.logger)
                    }
                    copied += rows.count
                    guard let paging = table.pagingColumn, rows.count == pageSize,
                          let index = table.columns.firstIndex(where: { $0.name == paging }), case .integer(let last) = rows[rows.count - 1][index] else { break }
                    after = last
                }
                if let paging = table.pagingColumn {
                    // The identity goes on after the copied rows, so what is enqueued next still comes after them.
                    try await connection.query(PostgresQuery(unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence('\(table.name)', '\(paging)'), COALESCE(MAX(\(paging)), 0) + 1, false) FROM \(table.name)
                        """), logger: self.logger)
                }
                counts[table.name] = copied
            }
            return counts
        }
        announcements.announce(.work)
        return counts
    }

    /// One multi-row INSERT of `rows`, keys as they were (`OVERRIDING SYSTEM VALUE` for the generated ones).
    static func insert(_ table: StoreTable, _ rows: [[StoreValue]]) throws -> PostgresQuery {
        var bindings = PostgresBindings(capacity: rows.count * table.columns.count)
        var tuples: [String] = []
        tuples.reserveCapacity(rows.count)
        for row in rows {
            guard row.count == table.columns.count else {
                throw LaunchError.storage("a row of \(table.name) has \(row.count) values for \(table.columns.count) columns")
            }
            let first = bindings.count
            tuples.append("(" + table.columns.enumerated().map { Self.placeholder(first + $0.offset + 1, $0.element.kind) }.joined(separator: ", ") + ")")
            for value in row {
                switch value {
                case .null: bindings.appendNull()
                case .text(let text): bindings.append(text)
                case .integer(let number): bindings.append(number)
                // As whole microseconds, the nearest to the seconds SQLite kept, so no rounding of a Date on the way
                // can move one by a microsecond.
                case .time(let date): bindings.append(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
                case .flag(let flag): bindings.append(flag)
                }
            }
        }
        let columns = table.columns.map(\.name).joined(separator: ", ")
        let overriding = table.pagingColumn == nil ? "" : " OVERRIDING SYSTEM VALUE"
        return PostgresQuery(unsafeSQL: "INSERT INTO \(table.name) (\(columns))\(overriding) VALUES \(tuples.joined(separator: ", "))",
                             binds: bindings)
    }

    /// A typed placeholder: a column of NULLs alone would otherwise be taken for text. Times come as microseconds
    /// since 1970.
    static func placeholder(_ number: Int, _ kind: StoreTable.Kind) -> String {
        switch kind {
        case .text: "$\(number)::text"
        case .integer: "$\(number)::bigint"
        case .time: "(timestamptz 'epoch' + $\(number)::bigint * interval '1 microsecond')"
        case .flag: "$\(number)::boolean"
        }
    }
}
