import Foundation
import LaunchModel

/// Finds theme files: the user's `$XDG_CONFIG_HOME/launchdeck/themes` first (a file there overrides a shipped theme of
/// the same name), then `$LAUNCHDECK_THEMES`, the `themes/` folder of the source tree the binary was built in, and the
/// system share folders.
public struct ThemeCatalog: Sendable {
    public var directories: [URL]

    public init(directories: [URL]) {
        self.directories = directories
    }

    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> ThemeCatalog {
        var directories: [URL] = []
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        directories.append(URL(fileURLWithPath: config).appendingPathComponent("launchdeck/themes"))
        if let custom = environment["LAUNCHDECK_THEMES"] { directories.append(URL(fileURLWithPath: custom)) }
        // Built binaries live in .build/<config>/ under the source tree, which holds themes/.
        var directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = directory.appendingPathComponent("themes")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("default.yaml").path) {
                directories.append(candidate)
                break
            }
            directory.deleteLastPathComponent()
        }
        directories += [URL(fileURLWithPath: "/usr/local/share/launchdeck/themes"), URL(fileURLWithPath: "/usr/share/launchdeck/themes")]
        return ThemeCatalog(directories: directories)
    }

    public var names: [String] {
        var found = Set<String>()
        for directory in directories {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where file.hasSuffix(".yaml") {
                found.insert(String(file.dropLast(5)))
            }
        }
        return found.sorted()
    }

    /// Loads a theme by name. A bad file is reported (with its line) and the default theme, or the built-in one, is used.
    public func load(_ name: String) -> (theme: Theme, problem: String?) {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            return (fallback(), "theme \"\(name.escapedForMessage)\": not a theme name")
        }
        for directory in directories {
            let file = directory.appendingPathComponent("\(name).yaml")
            guard let data = FileManager.default.contents(atPath: file.path) else { continue }
            do {
                return (try Theme.parse(String(decoding: data, as: UTF8.self), name: name, source: file.path), nil)
            } catch {
                return (name == "default" ? Theme.builtIn : fallback(), error.issues.first.map { $0.formatted(source: file.path) } ?? "\(file.path): invalid theme")
            }
        }
        // No default.yaml anywhere (a binary installed without themes/): the built-in theme is the default then,
        // and nothing went wrong that the first flash line should be spent on.
        if name == "default" { return (.builtIn, nil) }
        return (fallback(), "theme \"\(name)\" not found (available: \(names.joined(separator: ", ")))")
    }

    private func fallback() -> Theme {
        for directory in directories {
            let file = directory.appendingPathComponent("default.yaml")
            if let data = FileManager.default.contents(atPath: file.path),
               let theme = try? Theme.parse(String(decoding: data, as: UTF8.self), name: "default", source: file.path) {
                return theme
            }
        }
        return .builtIn
    }
}
