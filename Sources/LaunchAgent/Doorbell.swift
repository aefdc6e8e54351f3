/// Wakes the agent loop: a slot freed, work was enqueued, or it is time to stop.
/// Rings that arrive while nobody waits are kept, so none is lost between two waits.
actor Doorbell {
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    func ring() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            pending = true
        }
    }

    /// Returns at the next ring, or after `timeout`.
    func wait(upTo timeout: Duration) async {
        if pending {
            pending = false
            return
        }
        let timer = Task { [weak self] in
            // A timer cancelled because a ring came first must not ring too: that ring would be kept as pending and
            // cost the loop a round (a lease query) for nothing.
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            await self?.ring()
        }
        await withCheckedContinuation { waiter = $0 }
        timer.cancel()
        pending = false
    }
}
