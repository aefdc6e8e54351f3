import Foundation

/// Where LaunchDeck keeps its state: `$LAUNCHDECK_HOME`, else `$XDG_DATA_HOME/launchdeck`, else `~/.local/share/launchdeck`.
public struct DataDirectory: Sendable {
    public var url: URL

    public init(url: URL) {
        self.url = url
    }

    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) -> DataDirectory {
        if let home = environment["LAUNCHDECK_HOME"], !home.isEmpty {
            return DataDirectory(url: URL(fileURLWithPath: home, isDirectory: true))
        }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            return DataDirectory(url: URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("launchdeck", isDirectory: true))
        }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return DataDirectory(url: home.appendingPathComponent(".local/share/launchdeck", isDirectory: true))
    }

    public var databaseURL: URL { url.appendingPathComponent("launchdeck.db") }
    public var artifactsURL: URL { url.appendingPathComponent("artifacts", isDirectory: true) }

    /// Creates the directory (owner-only: it holds job code and logs) when missing.
    public func create() throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError.storage("cannot create data directory \(url.path): \(error.localizedDescription)")
        }
    }
}

/// Failures of the store that are not the user's input: disk, database, files.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case storage(String)

    public var description: String {
        switch self {
        case .storage(let message): message
        }
    }
}
