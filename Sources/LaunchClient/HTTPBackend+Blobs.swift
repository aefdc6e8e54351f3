import AsyncHTTPClient
import Foundation
import LaunchAPI
import LaunchModel
import NIOCore
import NIOHTTP1

extension HTTPBackend: BlobTransfer {
    public func missingBlobs(_ digests: [String]) async throws -> [String] {
        var missing: [String] = []
        for digest in Set(digests).sorted() {
            do {
                _ = try await send(.headBlob, ["digest": digest], query: [:], body: nil, extraTime: .zero)
            } catch let error as LaunchError where error.kind == .notFound {
                missing.append(digest)
            }
        }
        return missing
    }

    public func uploadBlob(_ digest: String, from file: URL) async throws {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
              let size = (attributes[.size] as? NSNumber)?.intValue, let input = FileHandle(forReadingAtPath: file.path) else {
            throw LaunchError.invalidInput("\(file.path): cannot read")
        }
        defer { try? input.close() }
        var request = HTTPClientRequest(url: url(.putBlob, ["digest": digest], query: [:]))
        request.method = .PUT
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .stream(FileChunks(input: input), length: .known(Int64(size)))
        // A large upload gets a minute per 64 MiB on top of the usual timeout.
        _ = try await execute(request, operation: .putBlob, timeout: timeout + .seconds(60 * (1 + size / (64 << 20))))
    }

    public func downloadBlob(_ digest: String, receive: (Data) throws -> Void) async throws {
        var request = HTTPClientRequest(url: url(.getBlob, ["digest": digest], query: [:]))
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .minutes(30))
        } catch {
            throw LaunchError.unavailable("\(baseURL) is unreachable: \(error)")
        }
        guard response.status == .ok else {
            let body = try? await response.body.collect(upTo: 1 << 20)
            if let body, let error = try? WireCoding.decoder.decode(ErrorBody.self, from: Data(body.readableBytesView)) { throw error.thrown }
            throw LaunchError.unavailable("\(baseURL): blob \(digest) answered \(response.status.code)")
        }
        for try await buffer in response.body {
            try receive(Data(buffer.readableBytesView))
        }
    }
}

/// A file read 1 MiB at a time as the upload asks for it, never whole into memory.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let input: FileHandle

    struct AsyncIterator: AsyncIteratorProtocol {
        let input: FileHandle
        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty else { return nil }
            return ByteBuffer(bytes: chunk)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(input: input) }
}
