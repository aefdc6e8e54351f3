/// A wall-clock limit as users write one (the `duration` format): `90s`, `30m`, `2h`, `1d`, or plain seconds.
public enum TimeLimit {
    /// A hundred years: longer limits are taken as this.
    public static let maximumSeconds: Double = 100 * 365 * 86_400

    public static func parse(_ text: String) -> Duration? {
        guard let unit = text.last else { return nil }
        let scale: Double
        let digits: Substring
        switch unit {
        case "s": (scale, digits) = (1, text.dropLast())
        case "m": (scale, digits) = (60, text.dropLast())
        case "h": (scale, digits) = (3600, text.dropLast())
        case "d": (scale, digits) = (86400, text.dropLast())
        default: (scale, digits) = (1, Substring(text))
        }
        guard let amount = Double(digits), amount.isFinite, amount >= 0 else { return nil }
        // Capped: a limit of 10^20 days means none, and Duration would trap on it (its range ends near 10^20 s).
        return .seconds(min(amount * scale, maximumSeconds))
    }
}
