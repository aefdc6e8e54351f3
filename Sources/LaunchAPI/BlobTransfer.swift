import Foundation

/// The content-addressed blobs of job code (`sha256:...`) as a backend elsewhere keeps them: `job create --dir`
/// sends those it lacks, an agent fetches those its machine lacks. The embedded store needs none of it (its blobs
/// are in the data directory every process of the machine shares), so its `blobs` is nil.
public protocol BlobTransfer: Sendable {
    /// The digests among these that the backend does not have.
    func missingBlobs(_ digests: [String]) async throws -> [String]
    /// Sends a file's content; the server keeps it only if it has this digest.
    func uploadBlob(_ digest: String, from file: URL) async throws
    /// The blob's bytes, chunk by chunk, to `receive` (which verifies them: `IncomingBlob`).
    func downloadBlob(_ digest: String, receive: (Data) throws -> Void) async throws
}

extension LaunchBackend {
    /// Where blobs go and come from when they are not on this machine; nil for the embedded store.
    public var blobs: (any BlobTransfer)? { self as? any BlobTransfer }
}
