/// The kind of resource a queue launches onto.
public enum TargetKind: String, Sendable, Codable, CaseIterable, Hashable, CustomStringConvertible {
    case localProcess = "local-process"
    case container
    case slurm
    case kubernetes

    public var description: String { rawValue }

    public static func parse(_ text: String) throws -> TargetKind {
        guard let kind = TargetKind(rawValue: text) else {
            throw LaunchError.invalidInput("unknown target \"\(text.escapedForMessage)\": use one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }
}
