import PostgresNIO

/// The items a batch of reports names, each with its holder's name and host (for an attempt's first line) and its
/// lifecycle tag (what `launchdeck_write_reports` checks): `launchdeck_reported_items` (schema version 2,
/// `PostgresMigrations`, which says why it is a function), prepared once per connection, as every report batch runs it.
struct ReportedItemsStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT \(PostgresRows.itemSelection), r.holder_name, r.holder_host, r.read_tag
        FROM launchdeck_reported_items($1) AS r CROSS JOIN LATERAL (SELECT (r.reported_item).*) AS i
        """
    static let bindingDataTypes: [PostgresDataType] = [.textArray]
    /// Where the holder's name and host and the tag come in a row, after the item's columns.
    static let holderNameColumn = 23
    static let holderHostColumn = 24
    static let tagColumn = 25

    let ids: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(ids)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
