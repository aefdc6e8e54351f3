import Foundation
import PostgresNIO

/// A report batch's decisions and the first line of each attempt it started, written where the items are still as
/// read: `launchdeck_write_reports` (schema version 2, `PostgresMigrations`), prepared once per connection. Each row is
/// the id of an item written.
struct WriteReportsStatement: PostgresPreparedStatement {
    static let sql = "SELECT written FROM launchdeck_write_reports($1::text::json, $2, $3, $4) AS written"
    static let bindingDataTypes: [PostgresDataType] = [.text, .timestamptz, .textArray, .textArray]

    /// Sorted by id, so two batches lock their rows in one order.
    let rows: [PersistedItem]
    let at: Date
    let startItems: [String]
    let startLines: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(String(decoding: try JSONEncoder().encode(rows), as: UTF8.self))
        bindings.append(at)
        bindings.append(startItems)
        bindings.append(startLines)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> String { try row.decode(String.self) }
}
