import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// How an attempt ended, as the agent must tell the store: a final state, or a hand-back to the queue.
struct AttemptReport: Codable, Sendable, Hashable {
    var attempt: ItemAttempt
    var state: ItemState
    var exitCode: Int?
    var error: String?
    var endedAt: Date
}

/// One attempt's place in the outbox: a file of fixed size, kept open and reused by later attempts (or, for a report
/// adopted from an agent that is gone, that agent's file).
struct OutboxSlot: Sendable, Hashable {
    let url: URL
}

/// The agent's durable record of how its attempts ended, kept in its state directory rather than in the store, so
/// a report the store cannot take now (a full disk, a lock held for long) is delivered as soon as it can be, also
/// after the agent's own restart: a finished job is never run again because its report was late.
///
/// Each attempt gets a slot when it is leased, a file of fixed size made while there is room (the agent keeps a pool
/// of them open, one per attempt in flight); its report is written into it in place when the attempt ends, which
/// needs no new disk space (a full disk must not lose it), and blanked once the store has the report. The files are
/// not fsynced: like the store's own commits (SQLite with synchronous=NORMAL), they survive any process crash, only an
/// OS crash may lose the last ones.
///
/// `<state>/<agent id>/` holds a lock the agent keeps while it lives and its `outbox/`. A starting agent adopts the
/// outboxes of agents of this state directory that are gone (their lock is free): it delivers their reports; their
/// blank slots, and slots of attempts that died with them (whose items the store reclaims), go.
actor AttemptOutbox {
    static let slotBytes = 4096
    private static let blank = Data(repeating: UInt8(ascii: " "), count: slotBytes)

    let directory: URL
    private let backend: any LaunchBackend
    private let logger: Logger
    private var lockDescriptor: Int32 = -1
    /// The pool: open slot files, and those free for the next attempt.
    private var descriptors: [URL: Int32] = [:]
    private var free: [URL] = []
    /// Reports written but not yet taken by the store, with their slot and the failure that kept them.
    private var pending: [ItemAttempt: (report: AttemptReport, slot: OutboxSlot?, failure: String)] = [:]
    private var agentRoot: URL { directory.deletingLastPathComponent() }

    init(stateDirectory: URL, agent: String, backend: any LaunchBackend, logger: Logger) {
        directory = stateDirectory.appendingPathComponent(agent, isDirectory: true).appendingPathComponent("outbox", isDirectory: true)
        self.backend = backend
        self.logger = logger
    }

    /// Creates the outbox and takes its lock; then adopts what agents that are gone left undelivered.
    func open() throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RunError.launch("cannot create the agent's outbox \(directory.path): \(error.localizedDescription)")
        }
        lockDescriptor = Glibc.open(agentRoot.appendingPathComponent("lock").path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lockDescriptor >= 0, flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw RunError.launch("cannot lock the agent's state directory \(agentRoot.path): \(String(cString: strerror(errno)))")
        }
        adoptOrphans()
    }

    /// The attempts whose reports wait for the store: the agent keeps their leases alive meanwhile.
    var undelivered: [ItemAttempt] { pending.values.map(\.report.attempt) }

    var isEmpty: Bool { pending.isEmpty }

    /// A slot for the attempt; nil (and a warning) when none can be made, so the run goes on without one.
    func reserve(_ attempt: ItemAttempt) -> OutboxSlot? {
        if let url = free.popLast() { return OutboxSlot(url: url) }
        let url = directory.appendingPathComponent("slot-\(descriptors.count).report")
        let descriptor = Glibc.open(url.path, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0, Self.write(Self.blank, to: descriptor) else {
            logger.warning("cannot reserve an outbox slot for \(attempt): \(String(cString: strerror(errno)))")
            if descriptor >= 0 { Glibc.close(descriptor) }
            return nil
        }
        descriptors[url] = descriptor
        return OutboxSlot(url: url)
    }

    /// Writes the report into its slot; the agent then tries to deliver it.
    func record(_ report: AttemptReport, in slot: OutboxSlot?) {
        guard let slot, let descriptor = descriptors[slot.url] else { return }
        guard var data = try? Self.encoder.encode(report) else { return }
        if data.count > Self.slotBytes {
            var shortened = report
            shortened.error = report.error.map { String($0.prefix(1024)) }
            data = (try? Self.encoder.encode(shortened)) ?? data
        }
        data.append(Self.blank.prefix(max(0, Self.slotBytes - data.count)))
        if !Self.write(data, to: descriptor) {
            logger.warning("cannot write the report of \(report.attempt) to its outbox slot: \(String(cString: strerror(errno)))")
        }
    }

    /// Delivers a recorded report now. Returns nil once the store has it (or refused it for good: the item was
    /// cancelled, or taken over by a later attempt), else why it is still pending; it is then tried again by
    /// `deliverPending` until it goes through.
    func deliver(_ report: AttemptReport, slot: OutboxSlot?) async -> String? {
        do {
            try await backend.reportState(report.attempt, to: report.state, exitCode: report.exitCode, error: report.error)
            let late = pending.removeValue(forKey: report.attempt)
            if let late {
                logger.info("delivered the report of \(report.attempt) late (\(late.failure))")
                try? await backend.appendLog(report.attempt, stream: .agent, lines: [
                    "reported \(report.state) \(Int(Date().timeIntervalSince(report.endedAt).rounded())) s after the attempt ended: the store was unavailable (\(late.failure))",
                ])
            }
        } catch let refusal as LaunchError where !refusal.isTransient {
            pending.removeValue(forKey: report.attempt)
            logger.warning("the store refused the report of \(report.attempt): \(refusal)")
        } catch {
            pending[report.attempt] = (report, slot, "\(error)")
            return "\(error)"
        }
        release(slot)
        return nil
    }

    /// Frees a slot: blanked and back in the pool, or removed when it was adopted from an agent that is gone.
    func release(_ slot: OutboxSlot?) {
        guard let slot else { return }
        if let descriptor = descriptors[slot.url] {
            _ = Self.write(Self.blank, to: descriptor)
            free.append(slot.url)
        } else {
            try? FileManager.default.removeItem(at: slot.url)
        }
    }

    /// Tries every pending report once.
    func deliverPending() async {
        for entry in pending.values {
            _ = await deliver(entry.report, slot: entry.slot)
        }
    }

    /// Reports left by agents of this state directory that are gone: delivered from here on. Their other slots, blank
    /// or of attempts that died with them, go.
    private func adoptOrphans() {
        let root = agentRoot.deletingLastPathComponent()
        let others = (try? FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)) ?? []
        for other in others where other.lastPathComponent != agentRoot.lastPathComponent {
            let lock = Glibc.open(other.appendingPathComponent("lock").path, O_RDWR | O_CLOEXEC)
            guard lock >= 0 else { continue }
            defer { Glibc.close(lock) }
            guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { continue }  // that agent still runs
            let outbox = other.appendingPathComponent("outbox", isDirectory: true)
            for file in (try? FileManager.default.contentsOfDirectory(at: outbox, includingPropertiesForKeys: nil)) ?? [] {
                if let data = try? Data(contentsOf: file), let report = try? Self.decoder.decode(AttemptReport.self, from: data) {
                    let adopted = directory.appendingPathComponent("adopted-\(report.attempt.item)-\(report.attempt.number).report")
                    if rename(file.path, adopted.path) == 0 {
                        pending[report.attempt] = (report, OutboxSlot(url: adopted), "left by agent \(report.attempt.agent), which is gone")
                        continue
                    }
                }
                try? FileManager.default.removeItem(at: file)
            }
            try? FileManager.default.removeItem(at: other)
        }
    }

    func close() {
        for descriptor in descriptors.values { Glibc.close(descriptor) }
        descriptors = [:]
        free = []
        if lockDescriptor >= 0 { Glibc.close(lockDescriptor) }
        lockDescriptor = -1
        // Nothing left to deliver: the agent's directory goes with it (a later agent would find only blank slots).
        if pending.isEmpty { try? FileManager.default.removeItem(at: agentRoot) }
    }

    /// Writes at the start of the slot, in place.
    private static func write(_ data: Data, to descriptor: Int32) -> Bool {
        data.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) } == data.count
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()
}
