import Foundation
import LaunchModel
import PostgresNIO

/// What the lifecycle rules decided for one item (`PostgresBackend.persist`): every column a lease, report, reclaim or
/// cancel can change; `loggedLines` counts lines the same transaction added to the item's log. Prepared once per
/// connection (reclaims and cancels; reports go through `WriteReportsStatement`).
struct PersistItemStatement: PostgresPreparedStatement {
    static let sql = """
        UPDATE items SET state = $1, attempts = $2, agent_id = $3, reclaimed_from = $4, lease_expires_at = $5,
                         leased_at = $6, building_at = $7, running_at = $8, finished_at = $9, updated_at = $10,
                         exit_code = $11, error = $12, progress = CASE WHEN $13 THEN NULL ELSE progress END,
                         log_count = log_count + $14
        WHERE id = $15
        """
    // Declared, not inferred from the first execution's values: a NULL there would fix no type, and a later value's
    // binary form would not match what PostgreSQL inferred.
    static let bindingDataTypes: [PostgresDataType] = [
        .text, .int8, .text, .text, .timestamptz, .timestamptz, .timestamptz, .timestamptz, .timestamptz, .timestamptz,
        .int8, .text, .bool, .int8, .text,
    ]

    let stored: StoredItem
    let clearingProgress: Bool
    let loggedLines: Int

    func makeBindings() throws -> PostgresBindings {
        let item = stored.item
        let times = item.timestamps
        var bindings = PostgresBindings(capacity: 15)
        bindings.append(item.state.rawValue)
        bindings.append(item.attempts)
        bindings.append(item.agentID)
        bindings.append(stored.reclaimedFrom)
        bindings.append(item.leaseExpiresAt)
        bindings.append(times.leased)
        bindings.append(times.building)
        bindings.append(times.running)
        bindings.append(times.finished)
        bindings.append(times.updated)
        bindings.append(item.exitCode)
        bindings.append(item.error)
        bindings.append(clearingProgress)
        bindings.append(loggedLines)
        bindings.append(item.id)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}
