import Foundation
import LaunchModel

/// An agent's report of its attempt's move to `state`, as `PostgresBackend.reportState` hands it to `reports`.
struct ItemReport: Sendable {
    let attempt: ItemAttempt
    let state: ItemState
    let exitCode: Int?
    let error: String?
}
