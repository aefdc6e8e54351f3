import Foundation
import TestSupport

/// `launchdeck server` as a process of its own on a free loopback port, with its own data directory, as a team would
/// run it; clients reach it by URL and token only.
struct ServerProcess {
    let home: LaunchdeckProcess
    let process: Process
    let url: String
    let adminToken: String
    let output: URL
    /// Its stderr (the request log), one file per start: servers sharing a data directory, or one started again on
    /// it, would otherwise write over each other's.
    let errors: URL

    /// `127.0.0.1:PORT`, to start again on the same address.
    var address: String { String(url.dropFirst("http://".count)) }

    /// `home`: a data directory to start again on (after a crash); `listen`: the address, a free port by default.
    static func start(home given: LaunchdeckProcess? = nil, listen: String = "127.0.0.1:0", extra: [String] = []) async throws -> ServerProcess {
        let home = try given ?? LaunchdeckProcess()
        let name = "server-\(UUID().uuidString.prefix(6))"
        let out = home.home.appendingPathComponent("\(name).out")
        let errors = home.home.appendingPathComponent("\(name).err")
        let process = try home.start(["server", "--listen", listen] + extra, stdout: out, stderr: errors)
        var url: String?
        _ = await eventually(timeout: 30) {
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("launchdeck server listening on ") }) {
                // A server on every address is reached on loopback.
                url = String(line.dropFirst("launchdeck server listening on ".count).split(separator: " ")[0])
                    .replacingOccurrences(of: "//0.0.0.0:", with: "//127.0.0.1:")
            }
            return url != nil || !process.isRunning
        }
        guard let url else {
            process.terminate()
            throw LaunchdeckProcess.Failure(message: "the server did not start: \((try? String(contentsOf: errors, encoding: .utf8)) ?? "")")
        }
        let token = try String(contentsOf: home.home.appendingPathComponent("admin-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return ServerProcess(home: home, process: process, url: url, adminToken: token, output: out, errors: errors)
    }

    /// A client machine of its own (another data directory) pointed at this server.
    func client(token: String? = nil) throws -> LaunchdeckProcess {
        var client = try LaunchdeckProcess()
        client.environment["LAUNCHDECK_BACKEND"] = url
        client.environment["LAUNCHDECK_TOKEN"] = token ?? adminToken
        return client
    }

    func stop() async {
        process.terminate()
        await process.exited()
    }
}
