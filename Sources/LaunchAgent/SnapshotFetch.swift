import Foundation
import LaunchAPI
import LaunchStore

/// Brings the blobs of a code snapshot that this machine lacks from the server into its artifact store, verified as
/// they arrive (`IncomingBlob`), so the store is a cache: a second item of the same job fetches nothing.
enum SnapshotFetch {
    /// Largest blob taken from a server: as large as the server allows by default.
    static let blobLimit: Int64 = 2 << 30

    static func ensure(_ digest: String, in artifacts: ArtifactStore, from blobs: any BlobTransfer) async throws -> (count: Int, bytes: Int64) {
        var count = 0
        var bytes: Int64 = 0
        if !artifacts.contains(digest) {
            bytes += try await fetch(digest, into: artifacts, from: blobs)
            count += 1
        }
        for entry in try artifacts.manifest(digest: digest).files where !artifacts.contains(entry.digest) {
            bytes += try await fetch(entry.digest, into: artifacts, from: blobs)
            count += 1
        }
        return (count, bytes)
    }

    static func fetch(_ digest: String, into artifacts: ArtifactStore, from blobs: any BlobTransfer) async throws -> Int64 {
        let incoming = try IncomingBlob(digest, into: artifacts, limit: blobLimit)
        try await blobs.downloadBlob(digest) { data in
            try data.withUnsafeBytes { try incoming.append($0) }
        }
        try incoming.finish()
        return incoming.size
    }
}
