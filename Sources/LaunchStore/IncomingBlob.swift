import Crypto
import Foundation
import LaunchModel

/// A blob arriving in chunks (an upload to the server, a download by an agent): written to a temporary file and
/// hashed as it comes, it joins the artifact store only if its content has the digest it was named by, and is
/// refused as soon as it passes `limit` bytes. Nothing half-written is ever found under a digest.
public final class IncomingBlob {
    public let digest: String
    let store: ArtifactStore
    let limit: Int64
    let temporary: URL
    let output: FileHandle
    var hasher = SHA256()
    public private(set) var size: Int64 = 0
    var finished = false

    public init(_ digest: String, into store: ArtifactStore, limit: Int64) throws {
        _ = try store.blobURL(digest)
        self.digest = digest
        self.store = store
        self.limit = limit
        temporary = try store.temporaryURL()
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let output = FileHandle(forWritingAtPath: temporary.path) else {
            throw ArtifactError.unwritable(temporary.path)
        }
        self.output = output
    }

    deinit {
        if !finished {
            try? output.close()
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        size += Int64(bytes.count)
        guard size <= limit else { throw LaunchError.invalidInput("blob \(digest): larger than the limit of \(limit) bytes") }
        hasher.update(bufferPointer: bytes)
        try output.write(contentsOf: Data(bytes))
    }

    /// Verifies and keeps the blob; throws (and keeps nothing) when the content is not what the digest names.
    public func finish() throws {
        try output.close()
        finished = true
        let actual = ArtifactStore.name(hasher.finalize())
        guard actual == digest else {
            try? FileManager.default.removeItem(at: temporary)
            throw LaunchError.invalidInput("blob \(digest): the content's digest is \(actual); nothing was stored")
        }
        try store.place(temporary, as: digest)
    }
}
