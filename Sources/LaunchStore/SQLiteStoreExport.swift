import Foundation
import GRDB
import LaunchModel
import LaunchAPI

/// The embedded store as `launchdeck migrate` reads it: one snapshot of the SQLite file (WAL), so every page of every
/// table belongs to the same moment even while agents and commands go on writing.
public final class SQLiteStoreExport: StoreRowSource {
    /// A read transaction of its own, held open from the start to the end of the copy.
    let snapshot: DatabaseSnapshot
    public let path: String

    /// Opens an existing store; a path with no store is an error, never a new empty file.
    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LaunchError.notFound("no LaunchDeck store at \(path)")
        }
        self.path = path
        do {
            guard let pool = try SQLiteBackend.openWritable(path: path) as? DatabasePool else {
                throw LaunchError.storage("\(path): not opened as a WAL pool")
            }
            snapshot = try pool.makeSnapshot()
        } catch let error as DatabaseError {
            throw SQLiteBackend.storageError(error, path: path, opening: true)
        }
    }

    public func rows(of table: StoreTable, after: Int64?, limit: Int) async throws -> [[StoreValue]] {
        let columns = table.columns.map(\.name).joined(separator: ", ")
        let (sql, arguments): (String, StatementArguments) = if let paging = table.pagingColumn {
            ("SELECT \(columns) FROM \(table.name) WHERE \(paging) > ? ORDER BY \(paging) LIMIT ?", [after ?? Int64.min, limit])
        } else {
            ("SELECT \(columns) FROM \(table.name)", [])
        }
        do {
            return try await snapshot.read { db in
                try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                    table.columns.enumerated().map { index, column in Self.value(row, index, column.kind) }
                }
            }
        } catch let error as DatabaseError {
            throw SQLiteBackend.storageError(error, path: path, opening: false)
        }
    }

    static func value(_ row: Row, _ index: Int, _ kind: StoreTable.Kind) -> StoreValue {
        if row.hasNull(atIndex: index) { return .null }
        switch kind {
        case .text: return .text(row[index])
        case .integer: return .integer(row[index])
        case .time: return .time(Date(timeIntervalSince1970: row[index]))
        case .flag: return .flag((row[index] as Int64) != 0)
        }
    }
}
