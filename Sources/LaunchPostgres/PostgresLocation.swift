import Foundation
import LaunchModel
import PostgresNIO

/// Where a PostgreSQL backend's database is: `postgres://USER@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`.
/// The password never comes from the URL, which other users can read in the process list: from `PGPASSWORD`, or
/// from a file that only its owner can read.
public struct PostgresLocation: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var sslMode: SSLMode

    public enum SSLMode: String, Sendable {
        case disable, prefer, require
    }

    public init(url text: String) throws {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw LaunchError.invalidInput("\(text.escapedForMessage): not a postgres://USER@HOST:PORT/DATABASE URL")
        }
        if components.password != nil {
            throw LaunchError.invalidInput("the PostgreSQL URL holds a password, which anyone can read in the process list: "
                                           + "put it in PGPASSWORD or a 0600 file (--db-password-file)")
        }
        guard let user = components.user, !user.isEmpty else { throw LaunchError.invalidInput("the PostgreSQL URL names no user (postgres://USER@HOST/DATABASE)") }
        guard let host = components.host, !host.isEmpty else { throw LaunchError.invalidInput("the PostgreSQL URL names no host") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw LaunchError.invalidInput("the PostgreSQL URL names no database (postgres://USER@HOST/DATABASE)") }
        var sslMode = SSLMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode", let value = item.value.flatMap(SSLMode.init(rawValue:)) else {
                throw LaunchError.invalidInput("the PostgreSQL URL's \(item.name.escapedForMessage)=\((item.value ?? "").escapedForMessage) is not understood (sslmode=disable, prefer or require)")
            }
            sslMode = value
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user
        self.database = database
        self.sslMode = sslMode
    }

    /// `PGPASSWORD` first, then `passwordFile`, which must be readable by its owner only; nil when neither is given
    /// (a server that trusts the connection).
    public static func password(environment: [String: String], passwordFile: String?) throws -> String? {
        if let password = environment["PGPASSWORD"], !password.isEmpty { return password }
        guard let passwordFile else { return nil }
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: passwordFile)
        } catch {
            throw LaunchError.invalidInput("\(passwordFile.escapedForMessage): cannot read the PostgreSQL password file")
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard mode & 0o077 == 0 else {
            throw LaunchError.invalidInput("\(passwordFile.escapedForMessage) is readable by others (mode \(String(mode, radix: 8))): chmod 600 it")
        }
        guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
            throw LaunchError.invalidInput("\(passwordFile.escapedForMessage): cannot read the PostgreSQL password file")
        }
        return text.trimmingCharacters(in: .newlines)
    }

    public func configuration(password: String?) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch sslMode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// As a user would name it (no password, ever).
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}
