import Foundation
import LaunchModel
import Testing

/// The worked examples in docs/queue-config.md must stay valid: they are what users copy.
@Suite struct DocumentedExamplesTests {
    static func examples() throws -> [(TargetKind, String)] {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/queue-config.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        var found: [(TargetKind, String)] = []
        var current: (TargetKind, [Substring])?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```yaml target=") {
                current = (try TargetKind.parse(String(line.dropFirst("```yaml target=".count))), [])
            } else if line.hasPrefix("```"), let open = current {
                found.append((open.0, open.1.joined(separator: "\n")))
                current = nil
            } else if current != nil {
                current!.1.append(line)
            }
        }
        return found
    }

    @Test func oneValidExamplePerTarget() throws {
        let examples = try Self.examples()
        #expect(Set(examples.map(\.0)) == Set(TargetKind.allCases))
        for (target, text) in examples {
            let config = try QueueConfig.parse(text, target: target, source: "docs/queue-config.md (\(target))")
            let values = try config.resolveVariables([:])
            _ = try config.renderValidated(with: values, target: target)
        }
    }
}
