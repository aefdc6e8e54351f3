import Foundation
import LaunchAPI
import LaunchModel
import Logging
import PostgresNIO

extension PostgresBackend {
    /// Written with the reports that arrive meanwhile, in one transaction (`reports`, a group commit).
    @discardableResult
    public func reportState(_ attempt: ItemAttempt, to state: ItemState, exitCode: Int?, error: String?) async throws -> LaunchItem {
        let item = try await reports.submit(ItemReport(attempt: attempt, state: state, exitCode: exitCode, error: error))
        announcements.announce(item.state == .queued ? .work : .change)
        return item
    }

    /// A batch of reports in one transaction: the items locked in id order (so two batches never deadlock), each
    /// report decided by `ItemLifecycle.report` on its item as the reports before it in the batch left it, then the
    /// attempts' first lines and the items written in a statement each. A report the rules refuse fails alone.
    func writeReports(_ reports: [ItemReport]) async -> [Result<LaunchItem, any Error>] {
        let now = self.now
        do {
            return try await write { connection in
                var stored: [String: StoredItem] = [:]
                // The holder's name and host, for an attempt's first line, come with its item: a report the rules
                // accept is from the agent that holds the item.
                var holders: [String: (name: String, host: String)] = [:]
                for try await row in try await connection.execute(ReportedItemsStatement(ids: Array(Set(reports.map(\.attempt.item)))),
                                                                  logger: self.logger) {
                    let item = try PostgresRows.storedItem(row)
                    stored[item.item.id] = item
                    let columns = row.makeRandomAccess()
                    if let agent = item.item.agentID, let name = try columns[ReportedItemsStatement.holderNameColumn].decode(String?.self),
                       let host = try columns[ReportedItemsStatement.holderHostColumn].decode(String?.self) {
                        holders[agent] = (name, host)
                    }
                }
                var outcomes: [Result<LaunchItem, any Error>] = []
                var changed: [String] = []
                var loggedLines: [String: Int] = [:]
                // As in the embedded store: each attempt's log begins with the line that names it, written with the
                // attempt's first move into its work rather than with its lease, the write every agent contends for.
                var starts: [(item: LaunchItem, attempt: ItemAttempt)] = []
                for report in reports {
                    let id = report.attempt.item
                    guard let current = stored[id] else {
                        outcomes.append(.failure(LaunchError.notFound("item \(id) not found")))
                        continue
                    }
                    do {
                        let result = try ItemLifecycle.report(current, from: report.attempt, to: report.state, exitCode: report.exitCode,
                                                              error: report.error, at: now)
                        if case .changed(let next) = result {
                            if current.item.state == .leased && (next.item.state == .building || next.item.state == .running) {
                                starts.append((next.item, report.attempt))
                                loggedLines[id, default: 0] += 1
                            }
                            if !changed.contains(id) { changed.append(id) }
                            stored[id] = next
                        }
                        outcomes.append(.success(result.item))
                    } catch {
                        outcomes.append(.failure(error))
                    }
                }
                if !starts.isEmpty {
                    let lines = starts.map { start in
                        let holder = holders[start.attempt.agent]
                        return AttemptLog.started(number: start.attempt.number, of: start.item.maxAttempts,
                                                  agent: holder?.name ?? start.attempt.agent, host: holder?.host ?? "?")
                    }
                    _ = try await connection.execute(AttemptStartLinesStatement(at: now, items: starts.map(\.item.id), lines: lines), logger: self.logger)
                }
                try await Self.persist(changed.map { (stored[$0]!, loggedLines[$0] ?? 0) }, connection, logger: self.logger)
                return outcomes
            }
        } catch {
            return reports.map { _ in .failure(error) }
        }
    }

    /// What the lifecycle rules decided for several items, in one statement (`PersistItemsStatement`; one `persist`
    /// each would be a round trip each).
    static func persist(_ rows: [(stored: StoredItem, loggedLines: Int)], _ connection: PostgresConnection, logger: Logger) async throws {
        if rows.count <= 1 {
            for row in rows { try await persist(row.stored, connection, loggedLines: row.loggedLines, logger: logger) }
            return
        }
        _ = try await connection.execute(PersistItemsStatement(rows: rows.map { PersistedItem($0.stored, loggedLines: $0.loggedLines) }), logger: logger)
    }
}
