import Crypto
import Foundation

/// One file of a code snapshot.
public struct SnapshotEntry: Sendable, Hashable, Codable {
    public var path: String
    public var digest: String
    public var size: Int64
    public var executable: Bool
}

/// The list of files that makes a code snapshot; its own digest names the snapshot.
public struct SnapshotManifest: Sendable, Hashable, Codable {
    public var files: [SnapshotEntry]
    public var totalBytes: Int64 { files.reduce(0) { $0 + $1.size } }
}

/// Content-addressed storage for job code under the data directory: `blobs/sha256/ab/abcdef...`.
/// A file's content is stored once however many snapshots hold it.
public struct ArtifactStore: Sendable {
    public let root: URL
    /// Directories never captured: version control, caches and virtualenvs are not part of a job's code.
    public static let skippedDirectories: Set<String> = [".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache", "node_modules"]

    public init(root: URL) {
        self.root = root
    }

    /// Captures a directory; returns the manifest's digest (`sha256:...`).
    public func snapshot(directory: URL) throws -> (digest: String, manifest: SnapshotManifest) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ArtifactError.notADirectory(directory.path)
        }
        let base = directory.standardizedFileURL.resolvingSymlinksInPath()
        var entries: [SnapshotEntry] = []
        // The data directory itself is never code: `--dir ~` would otherwise capture the store into itself.
        let data = root.deletingLastPathComponent().standardizedFileURL.resolvingSymlinksInPath().path
        try walk(base, relative: "", skipping: data, into: &entries)
        // By bytes, not String's `<`, which holds NFC and NFD spellings of a name equal and left their order (and so
        // the digest) to the order the file system listed them in.
        entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        let manifest = SnapshotManifest(files: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let digest = try storeBlob(data: try encoder.encode(manifest))
        return (digest, manifest)
    }

    public func manifest(digest: String) throws -> SnapshotManifest {
        let data = try Data(contentsOf: try blobURL(digest))
        guard Self.digest(of: data) == digest else { throw ArtifactError.damaged(digest) }
        return try JSONDecoder().decode(SnapshotManifest.self, from: data)
    }

    static func digest(of data: Data) -> String {
        name(SHA256.hash(data: data))
    }

    /// `sha256:` and the hash in hex: how blobs and snapshots are named.
    static func name(_ hash: SHA256.Digest) -> String {
        "sha256:" + hash.map { String(format: "%02x", $0) }.joined()
    }

    /// Copies `input` to `output` in 1 MiB chunks, hashing on the way; returns the digest and the size.
    private static func copyHashing(_ input: FileHandle, to output: FileHandle) throws -> (digest: String, size: Int64) {
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            try output.write(contentsOf: chunk)
            size += Int64(chunk.count)
        }
        return (name(hasher.finalize()), size)
    }

    /// Writes a snapshot's files into a directory (which must not hold them yet).
    public func materialize(digest: String, into directory: URL) throws {
        let manifest = try manifest(digest: digest)
        let manager = FileManager.default
        for entry in manifest.files {
            guard !entry.path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }), !entry.path.hasPrefix("/") else {
                throw ArtifactError.corrupt("snapshot \(digest) holds an unsafe path \(entry.path)")
            }
            let target = directory.appendingPathComponent(entry.path)
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try copyVerified(entry.digest, to: target, path: entry.path, mode: entry.executable ? 0o755 : 0o644)
        }
    }

    /// Copies a blob, hashing it on the way: a blob damaged on disk fails the run with a clear error instead of
    /// running code the job was never made from.
    private func copyVerified(_ digest: String, to target: URL, path: String, mode: mode_t) throws {
        guard let input = FileHandle(forReadingAtPath: try blobURL(digest).path) else { throw ArtifactError.unreadable(try blobURL(digest).path) }
        defer { try? input.close() }
        // A new file, never one already there nor through a link: the directory is new and the manifest verified.
        let descriptor = open(target.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw ArtifactError.unwritable("\(target.path): \(String(cString: strerror(errno)))") }
        let output = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        guard try Self.copyHashing(input, to: output).digest == digest else {
            unlink(target.path)
            throw ArtifactError.damaged("\(digest) (\(path))")
        }
    }

    public func blobURL(_ digest: String) throws -> URL {
        guard digest.hasPrefix("sha256:") else { throw ArtifactError.corrupt("not a sha256 digest: \(digest)") }
        let hex = String(digest.dropFirst(7))
        guard hex.count == 64, hex.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { throw ArtifactError.corrupt("not a sha256 digest: \(digest)") }
        return root.appendingPathComponent("blobs/sha256/\(hex.prefix(2))/\(hex)")
    }

    public func contains(_ digest: String) -> Bool {
        (try? blobURL(digest)).map { FileManager.default.fileExists(atPath: $0.path) } ?? false
    }

    private func walk(_ directory: URL, relative: String, skipping data: String, into entries: inout [SnapshotEntry]) throws {
        let manager = FileManager.default
        let names = try manager.contentsOfDirectory(atPath: directory.path).sorted()
        for name in names {
            let url = directory.appendingPathComponent(name)
            let path = relative.isEmpty ? name : "\(relative)/\(name)"
            // Foundation reads names as UTF-8 and gives U+FFFD for bytes that are not: such a file cannot be found again
            // by the name it gives, and failed with "the file doesn't exist".
            guard let attributes = try? manager.attributesOfItem(atPath: url.path) else {
                if name.contains("\u{FFFD}") {
                    throw ArtifactError.unreadable("\(directory.path)/\(name): the file name is not UTF-8; rename it")
                }
                throw ArtifactError.unreadable(url.path)
            }
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?:
                if Self.skippedDirectories.contains(name) || url.standardizedFileURL.path == data { continue }
                try walk(url, relative: path, skipping: data, into: &entries)
            case .typeRegular?:
                let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o644
                let (digest, size) = try storeBlob(file: url)
                entries.append(SnapshotEntry(path: path, digest: digest, size: size, executable: permissions & 0o111 != 0))
            default:
                // Symlinks, sockets and devices are not code; following a symlink could capture files outside the directory.
                continue
            }
        }
    }

    /// Hashes while copying to a temporary file, then renames into place: no partial blob is ever visible.
    private func storeBlob(file: URL) throws -> (String, Int64) {
        guard let input = FileHandle(forReadingAtPath: file.path) else { throw ArtifactError.unreadable(file.path) }
        defer { try? input.close() }
        let temporary = try temporaryURL()
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
              let output = FileHandle(forWritingAtPath: temporary.path) else { throw ArtifactError.unwritable(temporary.path) }
        let digest: String, size: Int64
        do {
            (digest, size) = try Self.copyHashing(input, to: output)
            try output.close()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ArtifactError.unwritable("\(file.path): \(error.localizedDescription)")
        }
        try place(temporary, as: digest)
        return (digest, size)
    }

    private func storeBlob(data: Data) throws -> String {
        let digest = Self.digest(of: data)
        let temporary = try temporaryURL()
        do {
            try data.write(to: temporary)
        } catch {
            throw ArtifactError.unwritable("\(temporary.path): \(error.localizedDescription)")
        }
        try place(temporary, as: digest)
        return digest
    }

    func place(_ temporary: URL, as digest: String) throws {
        let target = try blobURL(digest)
        let manager = FileManager.default
        // Renamed over an existing blob too: the new copy was just hashed, so a blob damaged on disk is repaired by
        // creating the job again, at the cost of a rename.
        do {
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            // rename(2) replaces atomically; two processes storing the same blob both end with the same content.
            if rename(temporary.path, target.path) != 0 {
                throw ArtifactError.unwritable("\(target.path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? manager.removeItem(at: temporary)
            throw error
        }
    }

    func temporaryURL() throws -> URL {
        let directory = root.appendingPathComponent("tmp", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ArtifactError.unwritable("\(directory.path): \(error.localizedDescription)")
        }
        return directory.appendingPathComponent(UUID().uuidString)
    }
}

public enum ArtifactError: Error, Sendable, CustomStringConvertible {
    case notADirectory(String)
    case unreadable(String)
    case unwritable(String)
    case corrupt(String)
    case damaged(String)

    public var description: String {
        switch self {
        case .notADirectory(let path): "\(path): not a directory"
        case .unreadable(let path): "\(path): cannot read"
        case .unwritable(let detail): "cannot write artifact: \(detail)"
        case .corrupt(let detail): "artifact store: \(detail)"
        case .damaged(let blob): "artifact store: blob \(blob) is damaged (its content no longer matches its digest); create the job again from its source to repair it"
        }
    }
}
