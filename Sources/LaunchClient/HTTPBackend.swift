import AsyncHTTPClient
import Foundation
import LaunchAPI
import LaunchModel
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// The backend contract spoken to `launchdeck server` over HTTP: every operation is one `APIOperation`. Errors come
/// back as the server's backend threw them (`ErrorBody`); a server out of reach, a timeout or a 503 is `unavailable`
/// (transient). Reads, and writes that are safe to repeat (enqueues and relaunches carry idempotency keys), are
/// retried with backoff; a lease is retried only when it never reached the server, since a lost reply to one that
/// did would hold its items until their lease ran out.
public final class HTTPBackend: LaunchBackend {
    public let baseURL: String
    let token: String?
    let client: HTTPClient
    let retry: RetryPolicy
    let timeout: Duration
    private let connected = Mutex<(identity: WhoAmIReply?, readOnlyReason: String?)>((nil, nil))
    /// Set by `connect()`: the server's store is read-only, or the token is a viewer's.
    public var readOnlyReason: String? { connected.withLock { $0.readOnlyReason } }
    public var identity: WhoAmIReply? { connected.withLock { $0.identity } }

    public var location: String { baseURL }
    public var leaseWaitsForWork: Bool { true }
    public var changesWait: Bool { true }

    /// `caFile`: a PEM bundle to trust for the server's certificate (a team's own CA), besides the system's.
    public init(url: String, token: String?, caFile: String? = nil, retry: RetryPolicy = RetryPolicy(), timeout: Duration = .seconds(30)) throws {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        guard let parsed = URL(string: base), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ValidationFailure([ValidationIssue(path: "--backend", message: "expected a server URL such as http://127.0.0.1:7420, got \"\(url.escapedForMessage)\"")])
        }
        baseURL = base
        self.token = token
        self.retry = retry
        self.timeout = timeout
        client = Self.client(caFile: caFile)
    }

    /// One client per process (and per CA file), never shut down, as `HTTPClient.shared` is: a backend may be
    /// dropped on any thread, and shutting a client down on one of its own event loops traps. Its own, not the
    /// shared one, for a connect timeout that fails fast when the server is down (the retries here back off), and
    /// a pool that long polls cannot fill.
    private static let clients = Mutex<[String: HTTPClient]>([:])

    static func client(caFile: String?) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[caFile ?? ""] { return client }
            var configuration = HTTPClient.Configuration()
            if let caFile {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.additionalTrustRoots = [.file(caFile)]
                configuration.tlsConfiguration = tls
            }
            configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(1))
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[caFile ?? ""] = client
            return client
        }
    }

    /// Asks the server who this token is: a wrong URL or token fails here, with the server's words, before any work.
    @discardableResult
    public func connect() async throws -> WhoAmIReply {
        let reply: WhoAmIReply = try await call(.whoami)
        let reason = reply.readOnlyReason.map { "\(baseURL): \($0)" }
            ?? (reply.token.role == .viewer ? "token \(reply.token.name) at \(baseURL) is a viewer's" : nil)
        connected.withLock { $0 = (reply, reason) }
        return reply
    }

    // MARK: Requests

    struct NoBody: Encodable {}

    /// Whether a request of `operation` may be sent again after it reached the server.
    static func isRepeatable(_ operation: APIOperation) -> Bool {
        switch operation {
        case .lease, .appendLog, .createToken, .createQueue, .createJob, .reportState, .reclaimLeases:
            // Not to be doubled, or retried by the caller itself (reports), or harmless to leave to the next call.
            false
        default:
            true
        }
    }

    func call<Value: Decodable>(_ operation: APIOperation, _ parameters: [String: String] = [:], query: [String: String?] = [:],
                                body: (some Encodable)? = NoBody?.none, extraTime: Duration = .zero) async throws -> Value {
        let reply = try await send(operation, parameters, query: query, body: body.map { try WireCoding.encoder.encode($0) }, extraTime: extraTime)
        return try decode(Value.self, reply.body, of: operation)
    }

    func decode<Value: Decodable>(_ type: Value.Type, _ data: Data, of operation: APIOperation) throws -> Value {
        do {
            return try WireCoding.decoder.decode(Value.self, from: data)
        } catch {
            throw LaunchError.unavailable("\(baseURL): a reply to \(operation.rawValue) that this client cannot read (\(error)); is the server of another version?")
        }
    }

    func callWithoutReply(_ operation: APIOperation, _ parameters: [String: String] = [:], body: some Encodable) async throws {
        _ = try await send(operation, parameters, query: [:], body: try WireCoding.encoder.encode(body), extraTime: .zero)
    }

    func url(_ operation: APIOperation, _ parameters: [String: String], query: [String: String?]) -> String {
        var path = operation.path
        for (name, value) in parameters {
            // One path segment: a `/` or `?` in a name must not make another route.
            let escaped = value.addingPercentEncoding(withAllowedCharacters: Self.segmentAllowed) ?? value
            path = path.replacingOccurrences(of: "{\(name)}", with: escaped)
        }
        var components = URLComponents()
        let items = query.compactMap { key, value in value.map { URLQueryItem(name: key, value: $0) } }.sorted { $0.name < $1.name }
        components.queryItems = items.isEmpty ? nil : items
        return baseURL + path + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    static let segmentAllowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#%;"))

    /// A successful reply: its body, and the headers some operations answer with (an item page's `Link`).
    struct Reply: Sendable {
        var body: Data
        var headers: HTTPHeaders
    }

    func send(_ operation: APIOperation, _ parameters: [String: String], query: [String: String?], body: Data?, extraTime: Duration) async throws -> Reply {
        var request = HTTPClientRequest(url: url(operation, parameters, query: query))
        request.method = HTTPMethod(rawValue: operation.method.rawValue)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        var attempt = 1
        while true {
            do {
                return try await execute(request, operation: operation, timeout: timeout + extraTime)
            } catch let failure as Failure {
                let repeatable = failure.neverSent || Self.isRepeatable(operation)
                guard failure.error.isTransient, repeatable, attempt < retry.attempts, !Task.isCancelled else { throw failure.error }
                try await Task.sleep(for: retry.delay(before: attempt))
                attempt += 1
            }
        }
    }

    struct Failure: Error {
        var error: LaunchError
        /// The request cannot have reached the server (it could not connect): safe to send again whatever it is.
        var neverSent: Bool
    }

    func execute(_ request: HTTPClientRequest, operation: APIOperation, timeout: Duration) async throws -> Reply {
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
            bytes = try await response.body.collect(upTo: 512 << 20)
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw Failure(error: .unavailable("\(baseURL) is unreachable (connect timed out)"), neverSent: true)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw Failure(error: .unavailable("\(baseURL) did not answer \(operation.rawValue) within \(timeout)"), neverSent: false)
        } catch let error as HTTPClientError where error == .cancelled {
            throw CancellationError()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let text = "\(error)"
            // NIO's connect errors (refused, no route) name themselves only in their text.
            if text.contains("connectionRefused") || text.contains("Connection refused") {
                throw Failure(error: .unavailable("\(baseURL) is unreachable: connection refused (is launchdeck server running there?)"), neverSent: true)
            }
            throw Failure(error: .unavailable("\(baseURL) is unreachable: \(text)"), neverSent: text.contains("NIOConnectionError"))
        }
        let data = Data(bytes.readableBytesView)
        let status = Int(response.status.code)
        if (200..<300).contains(status) { return Reply(body: data, headers: response.headers) }
        if let body = try? WireCoding.decoder.decode(ErrorBody.self, from: data) {
            let thrown = body.thrown
            if let launchError = thrown as? LaunchError { throw Failure(error: launchError, neverSent: false) }
            throw thrown
        }
        let message = "\(baseURL): \(operation.rawValue) answered \(status) \(response.status.reasonPhrase)"
        switch status {
        case 401: throw Failure(error: .unauthorized(message), neverSent: false)
        case 403: throw Failure(error: .forbidden(message), neverSent: false)
        case 404: throw Failure(error: .notFound(message + " (is this a LaunchDeck server of this version?)"), neverSent: false)
        case 400..<500: throw Failure(error: .invalidInput(message), neverSent: false)
        default: throw Failure(error: .unavailable(message), neverSent: false)
        }
    }
}
