import Foundation

/// Short human durations and ages for tables.
enum Durations {
    static func short(_ interval: TimeInterval) -> String {
        let seconds = max(0, Int(interval))
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(seconds % 60 == 0 ? "" : "\(seconds % 60)s")" }
        if seconds < 86400 { return "\(seconds / 3600)h\((seconds % 3600) / 60)m" }
        return "\(seconds / 86400)d\((seconds % 86400) / 3600)h"
    }

    static func age(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "-" }
        return short(now.timeIntervalSince(date))
    }

    /// `3` rather than `3.0` for whole numbers (progress counters), decimals otherwise.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
