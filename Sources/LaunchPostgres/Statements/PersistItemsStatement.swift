import Foundation
import PostgresNIO

/// What the lifecycle rules decided for several items, in one statement prepared once per connection. The rows come as
/// JSON (`PersistedItem`), which holds the NULLs arrays here cannot; times as whole microseconds since 2000,
/// PostgreSQL's own unit, so none moves by rounding on the way.
struct PersistItemsStatement: PostgresPreparedStatement {
    static let sql = """
        UPDATE items SET state = u.state, attempts = u.attempts, agent_id = u.agent_id, reclaimed_from = u.reclaimed_from,
                         lease_expires_at = \(PersistedItem.time("u.lease_expires_at")),
                         leased_at = \(PersistedItem.time("u.leased_at")),
                         building_at = \(PersistedItem.time("u.building_at")),
                         running_at = \(PersistedItem.time("u.running_at")),
                         finished_at = \(PersistedItem.time("u.finished_at")),
                         updated_at = \(PersistedItem.time("u.updated_at")),
                         exit_code = u.exit_code, error = u.error, log_count = log_count + u.logged_lines
        FROM json_to_recordset($1::text::json) AS u (id text, state text, attempts integer, agent_id text, reclaimed_from text,
                                                     lease_expires_at bigint, leased_at bigint, building_at bigint, running_at bigint,
                                                     finished_at bigint, updated_at bigint, exit_code integer, error text,
                                                     logged_lines integer)
        WHERE items.id = u.id
        """
    static let bindingDataTypes: [PostgresDataType] = [.text]

    let rows: [PersistedItem]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(String(decoding: try JSONEncoder().encode(rows), as: UTF8.self))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}
