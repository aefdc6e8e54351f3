import Foundation
import LaunchModel

/// The columns a report changes, as one element of `WriteReportsStatement`'s JSON batch, with the lifecycle tag the item
/// had when read (it is written only if it still has).
struct PersistedItem: Encodable {
    let id: String
    let state: String
    let attempts: Int
    let agent_id: String?
    let reclaimed_from: String?
    let lease_expires_at: Int64?
    let leased_at: Int64?
    let building_at: Int64?
    let running_at: Int64?
    let finished_at: Int64?
    let updated_at: Int64
    let exit_code: Int?
    let error: String?
    let logged_lines: Int
    let read_tag: String

    init(_ stored: StoredItem, loggedLines: Int, readTag: String) {
        let item = stored.item
        let times = item.timestamps
        id = item.id
        state = item.state.rawValue
        attempts = item.attempts
        agent_id = item.agentID
        reclaimed_from = stored.reclaimedFrom
        lease_expires_at = item.leaseExpiresAt.map(Self.microseconds)
        leased_at = times.leased.map(Self.microseconds)
        building_at = times.building.map(Self.microseconds)
        running_at = times.running.map(Self.microseconds)
        finished_at = times.finished.map(Self.microseconds)
        updated_at = Self.microseconds(times.updated)
        exit_code = item.exitCode
        error = item.error
        logged_lines = loggedLines
        read_tag = readTag
    }

    static let start = Date(timeIntervalSince1970: 946_684_800)

    /// Every time here is one PostgreSQL kept (read back, or `PostgresRows.storable`), so rounding finds its count.
    static func microseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince(start) * 1_000_000).rounded())
    }
}
