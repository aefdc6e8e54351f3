import Synchronization

extension QueueConfig {
    private struct ParsedKey: Hashable { let text: String; let target: TargetKind }
    /// Every poll of every client reads the same few texts again: parse each once.
    private static let parsed = Mutex<[ParsedKey: QueueConfig]>([:])

    /// The configuration a backend kept, as text, read back (from a row, or from the wire, where a config travels as
    /// its text and is parsed on arrival). A text this release rejects (stored by an older one) is kept as it is,
    /// with nothing in it, so the user can see and fix it.
    public static func stored(_ text: String, target: TargetKind) -> QueueConfig {
        let key = ParsedKey(text: text, target: target)
        if let config = parsed.withLock({ $0[key] }) { return config }
        let config = (try? parse(text, target: target)) ?? QueueConfig(text: text, value: .object([:]), variables: [], maxAttempts: 3)
        parsed.withLock { cache in
            if cache.count >= 256 { cache.removeAll() }
            cache[key] = config
        }
        return config
    }
}
