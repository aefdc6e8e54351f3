import Foundation
import LaunchModel

/// An error as it travels over HTTP: `{"error": {"kind": "invalid_input", "message": "...", "issues": [...]}}`.
/// Invalid input names each field it concerns; the client turns the body back into the error the backend threw, so
/// the CLI and the agent act the same on a remote backend as on the embedded one.
public struct ErrorBody: Sendable, Codable, Equatable {
    public struct Detail: Sendable, Codable, Equatable {
        public var kind: LaunchError.Kind
        public var message: String
        /// Every problem found in the input, each with its field path (`resource.gpus`), for `invalid_input`.
        public var issues: [ValidationIssue]?
    }

    public var error: Detail

    public init(kind: LaunchError.Kind, message: String, issues: [ValidationIssue]? = nil) {
        error = Detail(kind: kind, message: message, issues: issues)
    }

    /// Anything a backend threw; what is not of the contract (a bug) is a storage failure, said as it is.
    public init(_ error: any Error) {
        switch error {
        case let failure as ValidationFailure:
            self.init(kind: .invalidInput, message: failure.description, issues: failure.issues)
        case let issue as ValidationIssue:
            self.init(kind: .invalidInput, message: issue.description, issues: [issue])
        case let launchError as LaunchError:
            self.init(kind: launchError.kind, message: launchError.description)
        default:
            self.init(kind: .storage, message: "\(error)")
        }
    }

    /// The error to throw on the client's side.
    public var thrown: any Error {
        if error.kind == .invalidInput, let issues = error.issues, !issues.isEmpty { return ValidationFailure(issues) }
        return LaunchError(kind: error.kind, message: error.message)
    }

    /// The HTTP status of each kind. A read-only store is a conflict with the state of the server, not a matter of
    /// credentials (403 is kept for those).
    public static func status(of kind: LaunchError.Kind) -> Int {
        switch kind {
        case .invalidInput: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .conflict, .readOnly: 409
        case .storage: 500
        case .unavailable: 503
        }
    }
}
