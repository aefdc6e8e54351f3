import Foundation

/// How much longer the reliability tests run: 1 under `swift test`; `scripts/chaos [SCALE]` sets
/// LAUNCHDECK_CHAOS_SCALE for the long variants (more kills, more items, more fuzz cases, the same assertions).
public enum ChaosScale {
    public static let factor: Int = max(1, min(1000, Int(ProcessInfo.processInfo.environment["LAUNCHDECK_CHAOS_SCALE"] ?? "") ?? 1))
}
