import Foundation
import Synchronization
import Testing

/// Tests that need a real component (Python's jsonschema, tmux, Podman, Slurm) skip with a printed reason on a
/// laptop that lacks it, and fail in CI (`CI=true`), so a skip never hides a broken back end there.
public enum RequiredComponent {
    /// Each probe runs once per test process: `srun` against a stopped controller takes 9 s to give up.
    private static let probed = Mutex<[[String]: Bool]>([:])

    public static func available(_ name: String, probe: [String]) -> Bool {
        let works = probed.withLock { $0[probe] } ?? run(probe)
        probed.withLock { $0[probe] = works }
        if works { return true }
        let reason = "\(name) is not available (`\(probe.joined(separator: " "))` failed)"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("\(reason); .ci/run must install it")
        } else {
            print("SKIP: \(reason); install it to run this test")
        }
        return false
    }

    private static func run(_ probe: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = probe
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return (try? process.run()).map { process.waitUntilExit(); return process.terminationStatus == 0 } ?? false
    }
}
