/// Wakes the requests that wait (long polls of changes, idle agents' leases) when what they wait for may have come.
/// Two topics: `work` (an enqueue, a relaunch, a lease returned to its queue, a queue resumed: an idle agent should
/// lease again) and `change` (any write: a follower of the change feed should look again). Each has a generation
/// number; a waiter reads it before it looks, and waits only while it is unchanged, so a signal that comes between
/// looking and waiting is never missed.
actor ServerSignals {
    enum Topic: Hashable, Sendable { case work, change }

    private var generations: [Topic: UInt64] = [.work: 0, .change: 0]
    private var waiters: [Topic: [UInt64: CheckedContinuation<Void, Never>]] = [.work: [:], .change: [:]]
    private var nextWaiter: UInt64 = 0

    func generation(_ topic: Topic) -> UInt64 { generations[topic, default: 0] }

    /// Work implies a change.
    func signal(_ topic: Topic) {
        let topics: [Topic] = topic == .work ? [.work, .change] : [.change]
        for topic in topics {
            generations[topic, default: 0] &+= 1
            let woken = waiters[topic, default: [:]]
            waiters[topic] = [:]
            for continuation in woken.values { continuation.resume() }
        }
    }

    var waiterCount: Int { waiters.values.reduce(0) { $0 + $1.count } }

    /// Returns when `topic` moves past `generation`, after `timeout`, or when the task is cancelled.
    nonisolated func wait(_ topic: Topic, after generation: UInt64, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForSignal(topic, after: generation) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForSignal(_ topic: Topic, after generation: UInt64) async {
        guard generations[topic, default: 0] == generation else { return }
        let id = nextWaiter
        nextWaiter += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume()
                } else {
                    waiters[topic, default: [:]][id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(topic, id) }
        }
    }

    private func cancelWaiter(_ topic: Topic, _ id: UInt64) {
        waiters[topic]?.removeValue(forKey: id)?.resume()
    }
}
