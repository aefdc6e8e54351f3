import Foundation

/// One measured figure, with the goal it is held to when there is one.
struct BenchResult: Encodable {
    var group: String
    var name: String
    var unit: String
    var median: Double
    var p99: Double?
    var goal: String?
    var met: Bool?
    var note: String?
}

/// Timings of repeated runs, reduced to median and p99.
struct Samples {
    var values: [Double] = []

    mutating func add(_ value: Double) { values.append(value) }

    var median: Double { percentile(0.5) }
    var p99: Double { percentile(0.99) }

    func percentile(_ fraction: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }
}

/// The table `launchdeck bench` prints, or its JSON.
struct BenchReport: Encodable {
    var host: String
    var cores: Int
    var memoryGiB: Double
    var swiftBuild: String
    var results: [BenchResult] = []

    enum CodingKeys: String, CodingKey {
        case host, cores, memoryGiB = "memory_gib", swiftBuild = "build", results
    }

    var table: String {
        var lines = ["LaunchDeck bench on \(host): \(cores) cores, \(String(format: "%.0f", memoryGiB)) GiB, \(swiftBuild) build", ""]
        var rows = [["group", "benchmark", "median", "p99", "unit", "goal", "met"]]
        for result in results {
            rows.append([result.group, result.name, Self.format(result.median), result.p99.map(Self.format) ?? "-", result.unit,
                         result.goal ?? "-", result.met.map { $0 ? "yes" : "NO" } ?? "-"])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
        for result in results where result.note != nil { lines.append("note: \(result.name): \(result.note!)") }
        return lines.joined(separator: "\n")
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "-" }
        if value >= 100 { return String(format: "%.0f", value) }
        if value >= 1 { return String(format: "%.2f", value) }
        return String(format: "%.3f", value)
    }
}

/// Wall-clock timing of a block.
func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let value = try await body()
    let elapsed = ContinuousClock.now - start
    return (value, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

/// Wall time and this thread's CPU time of synchronous work, in seconds. On a machine whose cores are busy the two
/// part: the wall time then includes waiting for a core, the CPU time is the work itself.
func measureOnThisThread<T>(_ body: () throws -> T) rethrows -> (T, wall: Double, cpu: Double) {
    func threadCPU() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
    let (startWall, startCPU) = (ContinuousClock.now, threadCPU())
    let value = try body()
    let elapsed = ContinuousClock.now - startWall
    return (value, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, threadCPU() - startCPU)
}

/// A process's peak resident memory in MiB, from /proc (`self`, or a pid).
func peakRSSMiB(of process: String = "self") -> Double {
    guard let status = try? String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8) else { return .nan }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
        return kilobytes / 1024
    }
    return .nan
}
