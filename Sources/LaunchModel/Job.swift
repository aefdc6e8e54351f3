import Crypto
import Foundation

/// Where a job's code comes from.
public enum JobSource: Sendable, Hashable, Codable {
    /// A directory captured into the artifact store; the value is its manifest digest (`sha256:...`).
    case snapshot(digest: String)
    case git(url: String, commit: String)
    case image(reference: String)

    public var kind: String {
        switch self {
        case .snapshot: "snapshot"
        case .git: "git"
        case .image: "image"
        }
    }

    public var summary: String {
        switch self {
        case .snapshot(let digest): "snapshot \(digest.prefix(19))"
        case .git(let url, let commit): "git \(SecretRedactor.redactURLCredentials(in: url))@\(commit.prefix(12))"
        case .image(let reference): "image \(reference)"
        }
    }
}

/// Software a job needs beyond its code.
public struct JobDependencies: Sendable, Hashable, Codable {
    /// Contents of a requirements.txt, installed into a per-version virtualenv or image.
    public var requirements: String?
    /// The image a container build starts from, when the job asks for one.
    public var baseImage: String?

    public init(requirements: String? = nil, baseImage: String? = nil) {
        self.requirements = requirements
        self.baseImage = baseImage
    }

    public var isEmpty: Bool { requirements == nil && baseImage == nil }
}

/// The content of a job version: everything that makes a run reproducible.
public struct JobSpec: Sendable, Hashable, Codable {
    public var source: JobSource
    public var entrypoint: [String]
    public var dependencies: JobDependencies
    public var hyperparameters: [String: JSONValue]
    public var datasetVersion: String?

    public init(source: JobSource, entrypoint: [String], dependencies: JobDependencies = JobDependencies(),
                hyperparameters: [String: JSONValue] = [:], datasetVersion: String? = nil) {
        self.source = source
        self.entrypoint = entrypoint
        self.dependencies = dependencies
        self.hyperparameters = hyperparameters
        self.datasetVersion = datasetVersion
    }

    /// SHA-256 over a canonical JSON form (sorted keys), so equal content always has the same digest.
    public var digest: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data()
        return "sha256:" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Every problem with the spec, by field.
    public func validate() throws {
        var issues: [ValidationIssue] = []
        if entrypoint.isEmpty || entrypoint[0].isEmpty {
            issues.append(ValidationIssue(path: "entrypoint", message: "must name a program to run"))
        }
        switch source {
        case .snapshot(let digest):
            if !digest.hasPrefix("sha256:") { issues.append(ValidationIssue(path: "source.digest", message: "expected sha256:<hex>")) }
        case .git(let url, let commit):
            if url.isEmpty || url.hasPrefix("-") { issues.append(ValidationIssue(path: "source.git", message: "\"\(url.escapedForMessage)\" is not a repository URL")) }
            // The full hash only: git reads an abbreviated one as a tag or branch of that name first, and a repository
            // can hold a commit made to share a short prefix, so only the whole hash pins the code a version runs.
            if ![40, 64].contains(commit.count) || !commit.allSatisfy({ $0.isASCII && $0.isHexDigit }) {
                issues.append(ValidationIssue(path: "source.commit", message: "\"\(commit.escapedForMessage)\" is not a full commit hash (40 hex digits, or 64 in a SHA-256 repository; git rev-parse HEAD)"))
            }
        case .image(let reference):
            if let problem = ImageReference.problem(in: reference) {
                issues.append(ValidationIssue(path: "source.image", message: problem))
            }
        }
        if let base = dependencies.baseImage, let problem = ImageReference.problem(in: base) {
            issues.append(ValidationIssue(path: "dependencies.base_image", message: problem))
        }
        if let dataset = datasetVersion, dataset.isEmpty || dataset.contains(where: { $0.isWhitespace || $0.isNewline }) {
            issues.append(ValidationIssue(path: "dataset", message: "\"\(dataset.escapedForMessage)\" must be a non-empty name without spaces, such as mnist:v3"))
        }
        if !issues.isEmpty { throw ValidationFailure(issues) }
    }
}

/// One immutable version of a named job.
public struct JobVersion: Sendable, Hashable, Codable {
    public var name: String
    public var version: Int
    public var spec: JobSpec
    public var digest: String
    public var createdAt: Date

    public init(name: String, version: Int, spec: JobSpec, createdAt: Date) {
        self.init(name: name, version: version, spec: spec, digest: spec.digest, createdAt: createdAt)
    }

    /// A version read back from storage, with the digest computed when it was created (hashing the spec again
    /// costs every command that reads a job).
    public init(name: String, version: Int, spec: JobSpec, digest: String, createdAt: Date) {
        self.name = name
        self.version = version
        self.spec = spec
        self.digest = digest
        self.createdAt = createdAt
    }

    public var reference: String { "\(name):v\(version)" }
}

/// A job with the number of its latest version, for listings.
public struct JobSummary: Sendable, Hashable, Codable {
    public var name: String
    public var latest: JobVersion
    public var versionCount: Int

    public init(name: String, latest: JobVersion, versionCount: Int) {
        self.name = name
        self.latest = latest
        self.versionCount = versionCount
    }
}
