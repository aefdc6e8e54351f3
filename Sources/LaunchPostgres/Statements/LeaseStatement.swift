import Foundation
import PostgresNIO

/// A lease for several agents asking for the same queues, in one round trip: `launchdeck_lease` (schema version 2,
/// `PostgresMigrations`, which says what it does and why it is a function), prepared once per connection. Each row is
/// a leased item with its request's ordinal (from 1), or, when nothing was leased, one row of NULL item columns; every
/// row says whether a lease had run out (then nothing was leased, and the caller reclaims first).
struct LeaseStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT \(PostgresRows.itemSelection), l.leased_ordinal, l.lease_expired
        FROM launchdeck_lease($1, $2, $3, $4, $5, $6) AS l LEFT JOIN LATERAL (SELECT (l.leased_item).*) AS i ON true
        ORDER BY l.leased_ordinal, l.leased_rank, l.leased_position
        """
    static let bindingDataTypes: [PostgresDataType] = [.bool, .timestamptz, .textArray, .int8Array, .timestamptzArray, .textArray]
    /// Where `ordinal` and `found` come in a row, after the item's columns.
    static let ordinalColumn = 23
    static let foundColumn = 24

    let unlessExpired: Bool
    let now: Date
    let agents: [String]
    let maxima: [Int]
    let expiries: [Date]
    let queues: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(unlessExpired)
        bindings.append(now)
        bindings.append(agents)
        bindings.append(maxima)
        bindings.append(expiries)
        bindings.append(queues)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
