import Foundation

/// Where a test process keeps the data directories it makes: one directory, removed when the process exits, so
/// test runs do not pile up in /tmp (a CLI test's home with a virtualenv is ~27 MB). Set
/// LAUNCHDECK_KEEP_TEST_DATA=1 to keep it for a look after a failure.
public enum TestScratch {
    public static let root: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("launchdeck-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["LAUNCHDECK_KEEP_TEST_DATA"] == nil {
            atexit { try? FileManager.default.removeItem(at: TestScratch.root) }
        }
        return root
    }()

    /// A fresh path under `root` (not created).
    public static func directory(_ prefix: String) -> URL {
        root.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    }
}
