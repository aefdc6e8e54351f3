import LaunchModel

/// Why items of a queue would wait: the queue is paused, or no live agent serves it. Said where a queued item is
/// shown (its log and describe views) and before enqueueing, so nothing looks like it is coming when it is not.
enum QueueWait {
    static func reason(queue: String, _ snapshot: DeckSnapshot) -> String? {
        guard let row = snapshot.queue(queue) else { return nil }
        if row.queue.paused { return "queue \(queue) is paused: nothing starts until it is resumed (p on the queue)" }
        if LiveStatus.servingAgents(queue, snapshot).isEmpty {
            return "no live agent serves \(queue): items wait until one starts (launchdeck agent --queue \(queue))"
        }
        return nil
    }
}
