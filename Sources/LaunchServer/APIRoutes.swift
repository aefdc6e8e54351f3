import Foundation
import HTTPTypes
import Hummingbird
import LaunchAPI
import LaunchModel
import LaunchStore
import Logging
import NIOCore

/// Binds every `APIOperation` to its route, and the routes that are not of the contract: health, readiness, the
/// OpenAPI document, and blobs (streamed, never read whole). Each API request is authenticated, checked against the
/// operation's roles, read strictly, answered within the server's timeout, and logged in one line.
struct APIRoutes: Sendable {
    let server: LaunchServer

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in Self.text("ok\n") }
        router.get("/readyz") { _, _ in
            do {
                _ = try await server.backend.changeCursor()
                return Self.text("ready\n")
            } catch {
                return Self.errorResponse(LaunchError.unavailable("the store cannot be read: \(error)"))
            }
        }
        // Prometheus scrapes with a token of any role (`authorization: {credentials_file: ...}` in its scrape config):
        // queue names and counts are not for everyone who can reach the port.
        router.get("/metrics") { request, _ in
            do {
                _ = try await server.authenticator.authenticate(request.headers[.authorization])
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: try await server.metrics.scrape(server.backend))))
            } catch {
                return Self.errorResponse(error)
            }
        }
        router.get("/api/v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
        for operation in APIOperation.allCases {
            let path = RouterPath(operation.path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: ""))
            router.on(path, method: HTTPRequest.Method(rawValue: operation.method.rawValue)!) { request, context in
                await respond(operation, request, context)
            }
        }
    }

    func respond(_ operation: APIOperation, _ request: Request, _ context: BasicRequestContext) async -> Response {
        let started = ContinuousClock.now
        var request = request
        var tokenName = "-"
        let response: Response
        do {
            let token = try await server.authenticator.authenticate(request.headers[.authorization])
            tokenName = token.name
            guard operation.roles.contains(token.role) else {
                throw LaunchError.forbidden("\(operation.rawValue) needs a token of role \(operation.roles.map(\.rawValue).sorted().joined(separator: " or ")); token \(token.name) is \(token.role.rawValue)")
            }
            var parameters: [String: String] = [:]
            for name in operation.parameters { parameters[name] = context.parameters.get(name) }
            switch operation {
            case .putBlob, .getBlob, .headBlob:
                response = try await blob(operation, digest: parameters["digest"] ?? "", request: request)
            default:
                var query: [String: String] = [:]
                for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
                let tooLarge = LaunchError.invalidInput("request body larger than \(server.options.maximumBodyBytes) bytes")
                // A declared length past the limit is refused before a byte of it is read (the rest is discarded
                // unread by the HTTP server); a chunked body is read up to the limit.
                if let declared = request.headers[.contentLength].flatMap(Int.init), declared > server.options.maximumBodyBytes {
                    throw tooLarge
                }
                let body: ByteBuffer
                do {
                    body = try await request.collectBody(upTo: server.options.maximumBodyBytes)
                } catch {
                    throw tooLarge
                }
                let call = APICall(operation: operation, token: token, parameters: parameters, query: query, body: Data(body.readableBytesView))
                // A long poll is given its wait on top of the timeout (a lease's wait is in its body, so the most).
                let waiting = operation == .lease ? server.options.maximumWait : ((try? call.wait(cap: server.options.maximumWait)) ?? .zero)
                let limit = server.options.requestTimeout + waiting
                let reply = try await withTimeout(limit, timedOut: { LaunchError.unavailable("the request took longer than \(limit); try again") }) {
                    try await server.handler.handle(call)
                }
                var headers: HTTPFields = [.contentType: "application/json"]
                for (name, value) in reply.headers { if let field = HTTPField.Name(name) { headers[field] = value } }
                response = reply.status == 204
                    ? Response(status: .noContent)
                    : Response(status: .init(code: reply.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
            }
        } catch {
            response = Self.errorResponse(error)
        }
        let took = ContinuousClock.now - started
        server.metrics.request(operation.rawValue, status: Int(response.status.code), took: took)
        let microseconds = took.components.seconds * 1_000_000 + took.components.attoseconds / 1_000_000_000_000
        server.logger.info("request", metadata: [
            "method": "\(request.method)", "path": "\(request.uri.path)", "operation": "\(operation.rawValue)",
            "status": "\(response.status.code)", "us": "\(microseconds)", "token": "\(tokenName)",
        ])
        return response
    }

    func blob(_ operation: APIOperation, digest: String, request: Request) async throws -> Response {
        let artifacts = server.artifacts
        let url: URL
        do {
            url = try artifacts.blobURL(digest)
        } catch {
            throw ValidationFailure([ValidationIssue(path: "digest", message: "expected sha256: and 64 hex digits")])
        }
        switch operation {
        case .headBlob, .getBlob:
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
                  let size = (attributes[.size] as? NSNumber)?.intValue else {
                throw LaunchError.notFound("no blob \(digest)")
            }
            var headers: HTTPFields = [.contentType: "application/octet-stream", .contentLength: "\(size)"]
            headers[HTTPField.Name("Docker-Content-Digest")!] = digest
            if operation == .headBlob { return Response(status: .ok, headers: headers) }
            guard let input = FileHandle(forReadingAtPath: url.path) else { throw LaunchError.notFound("no blob \(digest)") }
            headers[.contentLength] = nil
            return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: size) { writer in
                defer { try? input.close() }
                while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                try await writer.finish(nil)
            })
        default:
            if artifacts.contains(digest) {
                // Already here: the upload is not read (the client sent it anyway, or asked HEAD first).
                return Response(status: .ok)
            }
            let incoming = try IncomingBlob(digest, into: artifacts, limit: server.options.maximumBlobBytes)
            for try await buffer in request.body {
                try buffer.withUnsafeReadableBytes { try incoming.append($0) }
            }
            try incoming.finish()
            return Response(status: .created)
        }
    }

    static func text(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func errorResponse(_ error: any Error) -> Response {
        let body = ErrorBody(error)
        var headers: HTTPFields = [.contentType: "application/json"]
        if body.error.kind == .unavailable { headers[.retryAfter] = "1" }
        if body.error.kind == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        let data = (try? WireCoding.encoder.encode(body)) ?? Data()
        return Response(status: .init(code: ErrorBody.status(of: body.error.kind)), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
