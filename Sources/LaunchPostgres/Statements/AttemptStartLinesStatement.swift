import Foundation
import PostgresNIO

/// The first line of each attempt a report batch started, in the batch's order, in one statement prepared once per
/// connection.
struct AttemptStartLinesStatement: PostgresPreparedStatement {
    static let sql = """
        INSERT INTO item_logs (item_id, stream, at, line)
        SELECT item, 'agent', $1, line FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS started (item, line, ordinal)
        ORDER BY ordinal
        """
    static let bindingDataTypes: [PostgresDataType] = [.timestamptz, .textArray, .textArray]

    let at: Date
    let items: [String]
    let lines: [String]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(at)
        bindings.append(items)
        bindings.append(lines)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws {}
}
