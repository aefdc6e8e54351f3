import Foundation
import Synchronization

/// Absolute times as every view and text output shows them: local time with its zone, `2026-12-01 14:03:09 +01:00`,
/// the same in the dashboard, `describe` and `agent status` (JSON keeps ISO 8601 in UTC). Tables show relative ages.
public enum LocalTime {
    private static let formatter = Mutex<DateFormatter>({
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss xxx"
        return formatter
    }())

    public static func format(_ date: Date) -> String {
        formatter.withLock { $0.string(from: date) }
    }

    /// The time of day alone, for lists of recent events.
    public static func timeOfDay(_ date: Date) -> String {
        String(format(date).dropFirst(11).prefix(8))
    }
}
