/// A wall-clock limit as users write one (the `duration` format): `90s`, `30m`, `2h`, `1d`, or plain seconds.
public enum TimeLimit {
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
        return .seconds(amount * scale)
    }
}
