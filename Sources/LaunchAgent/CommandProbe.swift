import Foundation
import Subprocess

/// Runs a short informational command (`podman --version`, `nvidia-smi ...`) and returns its output,
/// or nil when it is missing, fails, or takes longer than `timeout`.
enum CommandProbe {
    static func output(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(3)) async -> String? {
        guard let path = which(executable) else { return nil }
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                guard let result = try? await Subprocess.run(.path(.init(path)), arguments: Arguments(arguments),
                                                             output: .string(limit: 1 << 16), error: .discarded),
                      case .exited(0) = result.terminationStatus else { return nil }
                return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// The full path of a program on PATH, like `command -v`.
    static func which(_ executable: String) -> String? {
        if executable.contains("/") { return FileManager.default.isExecutableFile(atPath: executable) ? executable : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
