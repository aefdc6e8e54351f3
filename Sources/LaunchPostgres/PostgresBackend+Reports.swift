import Foundation
import LaunchAPI
import LaunchModel
import Logging
import PostgresNIO

extension PostgresBackend {
    /// Written with the reports that arrive meanwhile (`reports`, a group commit).
    @discardableResult
    public func reportState(_ attempt: ItemAttempt, to state: ItemState, exitCode: Int?, error: String?) async throws -> LaunchItem {
        let item = try await reports.submit(ItemReport(attempt: attempt, state: state, exitCode: exitCode, error: error))
        announcements.announce(item.state == .queued ? .work : .change)
        return item
    }

    /// How often a batch's reports are decided again for items another writer changed between the read and the write
    /// before they fail as unavailable (the agent sends them again); each time is two statements on the same item, so
    /// to lose this often the item must change every millisecond.
    static let reportRounds = 16

    /// A batch of reports in two statements and no transaction: the items are read (`ReportedItemsStatement`), each
    /// report decided by `ItemLifecycle.report` on its item as the reports before it in the batch left it, and what
    /// the rules decided is written where each item is still as it was read (`WriteReportsStatement`). The reports
    /// on an item another writer changed meanwhile are decided again on what it wrote, as under a lock they would
    /// have been decided after it: so a report costs two round trips, not the five of a locking transaction (BEGIN,
    /// read FOR UPDATE, log lines, write, COMMIT). A report the rules refuse fails alone.
    func writeReports(_ reports: [ItemReport]) async -> [Result<LaunchItem, any Error>] {
        let now = self.now
        do {
            return try await write(inTransaction: false) { connection in
                var outcomes = [Result<LaunchItem, any Error>?](repeating: nil, count: reports.count)
                var pending = Array(reports.indices)
                for _ in 0..<Self.reportRounds where !pending.isEmpty {
                    pending = try await self.decideAndWrite(reports, pending, at: now, into: &outcomes, connection)
                }
                let raced = LaunchError.unavailable("the item changed under this report \(Self.reportRounds) times running; try again")
                return outcomes.map { $0 ?? .failure(raced) }
            }
        } catch {
            return reports.map { _ in .failure(error) }
        }
    }

    /// One round of `writeReports` for the reports at `indices`: their outcomes go to `outcomes`, except those on
    /// items another writer changed since the read, whose indices come back.
    private func decideAndWrite(_ reports: [ItemReport], _ indices: [Int], at now: Date, into outcomes: inout [Result<LaunchItem, any Error>?],
                                _ connection: PostgresConnection) async throws -> [Int] {
        var stored: [String: StoredItem] = [:]
        var tags: [String: String] = [:]
        // The holder's name and host, for an attempt's first line, come with its item: a report the rules accept is
        // from the agent that holds the item.
        var holders: [String: (name: String, host: String)] = [:]
        let ids = Array(Set(indices.map { reports[$0].attempt.item }))
        for try await row in try await connection.execute(ReportedItemsStatement(ids: ids), logger: logger) {
            let item = try PostgresRows.storedItem(row)
            let columns = row.makeRandomAccess()
            stored[item.item.id] = item
            tags[item.item.id] = try columns[ReportedItemsStatement.tagColumn].decode(String.self)
            if let agent = item.item.agentID,
               let name = try columns[ReportedItemsStatement.holderNameColumn].decode(String?.self),
               let host = try columns[ReportedItemsStatement.holderHostColumn].decode(String?.self) {
                holders[agent] = (name, host)
            }
        }
        var decided: [(index: Int, outcome: Result<LaunchItem, any Error>)] = []
        var changed = Set<String>()
        var loggedLines: [String: Int] = [:]
        // As in the embedded store: each attempt's log begins with the line that names it, written with the attempt's
        // first move into its work rather than with its lease, the write every agent contends for.
        var starts: [(item: String, line: String)] = []
        for index in indices {
            let report = reports[index]
            let id = report.attempt.item
            guard let current = stored[id] else {
                decided.append((index, .failure(LaunchError.notFound("item \(id) not found"))))
                continue
            }
            do {
                let result = try ItemLifecycle.report(current, from: report.attempt, to: report.state, exitCode: report.exitCode,
                                                      error: report.error, at: now)
                if case .changed(let next) = result {
                    if current.item.state == .leased && (next.item.state == .building || next.item.state == .running) {
                        let holder = holders[report.attempt.agent]
                        starts.append((id, AttemptLog.started(number: report.attempt.number, of: next.item.maxAttempts,
                                                              agent: holder?.name ?? report.attempt.agent, host: holder?.host ?? "?")))
                        loggedLines[id, default: 0] += 1
                    }
                    changed.insert(id)
                    stored[id] = next
                }
                decided.append((index, .success(result.item)))
            } catch {
                decided.append((index, .failure(error)))
            }
        }
        var lost = Set<String>()
        if !changed.isEmpty {
            let rows = changed.sorted().map { PersistedItem(stored[$0]!, loggedLines: loggedLines[$0] ?? 0, readTag: tags[$0]!) }
            let statement = WriteReportsStatement(rows: rows, at: now, startItems: starts.map(\.item), startLines: starts.map(\.line))
            var written = Set<String>()
            for try await id in try await connection.execute(statement, logger: logger) { written.insert(id) }
            lost = changed.subtracting(written)
        }
        var again: [Int] = []
        for (index, outcome) in decided {
            if lost.contains(reports[index].attempt.item) { again.append(index) } else { outcomes[index] = outcome }
        }
        return again
    }
}
