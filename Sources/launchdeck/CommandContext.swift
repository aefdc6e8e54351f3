import Foundation
import LaunchAPI
import LaunchClient
import LaunchModel
import LaunchStore

/// What commands share: the backend they act on, and this machine's data directory (the embedded store's home, and
/// the place of local artifacts, sockets and caches).
struct CommandContext {
    let directory: DataDirectory
    let backend: any LaunchBackend
    /// The embedded store, when it is the backend: for what only it can do (the debug commands' locks and checks).
    let embedded: SQLiteBackend?
    /// The server's client, when the backend is a server.
    let remote: HTTPBackend?

    /// The backend the options name; a server is asked who the token is first, so a wrong URL or token fails here
    /// with the server's own words.
    static func open(_ options: BackendOptions) async throws -> CommandContext {
        try await open(try options.selection())
    }

    static func open(_ selection: BackendSelection) async throws -> CommandContext {
        let directory = DataDirectory.resolve()
        guard let url = selection.url else {
            let store = try SQLiteBackend(directory: directory)
            return CommandContext(directory: directory, backend: store, embedded: store, remote: nil)
        }
        let client = try HTTPBackend(url: url, token: selection.token, caFile: selection.caFile)
        try await client.connect()
        return CommandContext(directory: directory, backend: client, embedded: nil, remote: client)
    }

    var artifacts: ArtifactStore { ArtifactStore(root: directory.artifactsURL) }

    /// Captures a directory into this machine's artifact store and, when the backend is a server, sends it the
    /// blobs it lacks (only those: a second `job create` of the same code sends nothing). Returns the snapshot's
    /// digest.
    func snapshot(_ directory: URL) async throws -> String {
        let snapshot = try artifacts.snapshot(directory: directory)
        guard let blobs = backend.blobs else { return snapshot.digest }
        let missing = try await blobs.missingBlobs([snapshot.digest] + snapshot.manifest.files.map(\.digest))
        for digest in missing {
            try await blobs.uploadBlob(digest, from: try artifacts.blobURL(digest))
        }
        return snapshot.digest
    }

    /// The embedded store, or a clear refusal naming the command that needs it.
    func requireEmbedded(for command: String) throws -> SQLiteBackend {
        guard let embedded else {
            throw LaunchError.invalidInput("\(command) works on the embedded store only, not on \(backend.location)")
        }
        return embedded
    }
}

/// `key=value` arguments (`--config lr=0.1`, `--set gpus=2`).
enum KeyValueArguments {
    static func parse(_ pairs: [String], option: String) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try Self.pairs(pairs, option: option))
    }

    /// Values typed as `JSONValue.parseLiteral` reads them; a number kept as text is said on stderr, so the user knows
    /// the job gets exactly what was typed.
    static func parseTyped(_ pairs: [String], option: String) throws -> [String: JSONValue] {
        let values = try parse(pairs, option: option)
        for key in values.keys.sorted() {
            if let note = JSONValue.numberKeptAsText(values[key]!) { printError("launchdeck: note: \(option) \(key): \(note)") }
        }
        return values.mapValues(JSONValue.parseLiteral)
    }

    /// `KEY=VALUE` options in the order given; a key given twice is an error.
    static func pairs(_ pairs: [String], option: String) throws -> [(key: String, value: String)] {
        var result: [(key: String, value: String)] = []
        var seen: Set<String> = []
        var issues: [ValidationIssue] = []
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                issues.append(ValidationIssue(path: option, message: "expected KEY=VALUE, got \"\(pair.escapedForMessage)\""))
                continue
            }
            let key = String(pair[..<equals])
            guard seen.insert(key).inserted else {
                issues.append(ValidationIssue(path: "\(option) \(key)", message: "given twice"))
                continue
            }
            result.append((key, String(pair[pair.index(after: equals)...])))
        }
        if !issues.isEmpty { throw ValidationFailure(issues) }
        return result
    }
}
