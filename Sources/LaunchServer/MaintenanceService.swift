import Foundation
import LaunchAPI
import LaunchStore
import Logging
import ServiceLifecycle

/// What the server does between requests: returns expired leases to their queues (so an idle agent's waiting lease
/// gets the item at once rather than at its next call), and notices writes made beside it to the same SQLite file
/// (the CLI of this machine): their doorbell wakes waiting leases, and the change counter, read every 200 ms while
/// someone waits, wakes waiting followers. A backend shared by several servers (PostgreSQL) tells of the writes made
/// through the others itself (`AnnouncesWrites`).
struct MaintenanceService: Service {
    let backend: any LaunchBackend
    let signals: ServerSignals
    let runtime: RuntimeDirectory?
    let reclaimInterval: Duration?
    let logger: Logger

    func run() async throws {
        let signals = self.signals
        let listener = try runtime.map { runtime -> WakeListener in
            try runtime.create()
            return try WakeListener(path: runtime.url.appendingPathComponent("server-\(getpid()).wake").path) {
                Task { await signals.signal(.work) }
            }
        }
        defer { listener?.close() }
        await withDiscardingTaskGroup { group in
            if let reclaimInterval { group.addTask { await reclaimLoop(every: reclaimInterval) } }
            group.addTask { await watchExternalWrites() }
            if let shared = backend as? any AnnouncesWrites {
                group.addTask {
                    for await kind in shared.writesElsewhere { await signals.signal(kind == .work ? .work : .change) }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    private func reclaimLoop(every interval: Duration) async {
        while (try? await Task.sleep(for: interval)) != nil {
            do {
                if try await !backend.reclaimExpiredLeases().isEmpty { await signals.signal(.work) }
            } catch {
                logger.warning("reclaiming expired leases failed: \(error)")
            }
        }
    }

    private func watchExternalWrites() async {
        var seen = (try? await backend.changeCursor()) ?? 0
        while (try? await Task.sleep(for: .milliseconds(200))) != nil {
            guard await signals.waiterCount > 0, let cursor = try? await backend.changeCursor() else { continue }
            if cursor != seen {
                seen = cursor
                await signals.signal(.change)
            }
        }
    }
}
