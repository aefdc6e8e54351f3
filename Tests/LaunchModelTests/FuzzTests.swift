import Foundation
import LaunchModel
import Testing
import TestSupport

/// A small seeded generator, so a failing case can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutates text the way hands and bad tools do: characters dropped, doubled, replaced, structure broken.
enum Mutator {
    static let alphabet = Array("{}[]:,\"'#-|>&*!%@`\n\t  abcz019.{{}}é训\u{0}\u{1b}\u{7f}")
    /// Numbers at the edges of what YAML, Double and Int hold: `max: 1e19` once crashed `queue describe`.
    static let tokens = ["1e19", "9223372036854775807", "-9223372036854775809", "1e400", ".nan", ".inf", "-.inf", "0.5", "-0"]

    static func mutate<G: RandomNumberGenerator>(_ text: String, using generator: inout G) -> String {
        var characters = Array(text)
        for _ in 0..<Int.random(in: 1...6, using: &generator) {
            let index = characters.isEmpty ? 0 : Int.random(in: 0..<characters.count, using: &generator)
            switch Int.random(in: 0..<6, using: &generator) {
            case 5: characters.insert(contentsOf: tokens.randomElement(using: &generator)!, at: index)
            case 0 where !characters.isEmpty: characters.remove(at: index)
            case 1: characters.insert(alphabet.randomElement(using: &generator)!, at: index)
            case 2 where !characters.isEmpty: characters[index] = alphabet.randomElement(using: &generator)!
            case 3 where !characters.isEmpty:
                let end = min(characters.count, index + Int.random(in: 1...20, using: &generator))
                characters.insert(contentsOf: characters[index..<end], at: index)
            default:
                characters = Array(characters.prefix(index))
            }
        }
        return String(characters)
    }
}

@Suite struct FuzzTests {
    static func seeds() throws -> [(TargetKind, String)] {
        try DocumentedExamplesTests.examples() + TargetKind.allCases.map { ($0, QueueConfig.defaultText(for: $0)) }
    }

    @Test func mutatedQueueConfigsNeverCrashAndAlwaysExplainThemselves() throws {
        var generator = SplitMix64(state: 20_261_125)
        let seeds = try Self.seeds()
        var rejected = 0
        for round in 0..<4000 * ChaosScale.factor {
            let (target, seed) = seeds[round % seeds.count]
            let text = Mutator.mutate(seed, using: &generator)
            do {
                let config = try QueueConfig.parse(text, target: target, source: "fuzz.yaml")
                // What listings and forms show of it.
                _ = config.variables.map(\.boundsText)
                // Whatever parses must also render for its defaults or say why not.
                if let values = try? config.resolveVariables([:]) { _ = try? config.renderValidated(with: values, target: target) }
            } catch {
                rejected += 1
                #expect(!error.issues.isEmpty, "round \(round): no issue for \(text.debugDescription)")
                #expect(error.issues.allSatisfy { !$0.message.isEmpty })
            }
        }
        #expect(rejected > 500 * ChaosScale.factor, "the mutations should break most documents (\(rejected) rejected)")
    }

    @Test func randomDocumentsNeverCrash() {
        var generator = SplitMix64(state: 7)
        for _ in 0..<2000 * ChaosScale.factor {
            let length = Int.random(in: 0..<120, using: &generator)
            let text = String((0..<length).map { _ in Mutator.alphabet.randomElement(using: &generator)! })
            _ = try? QueueConfig.parse(text, target: TargetKind.allCases.randomElement(using: &generator)!)
        }
    }

    @Test func jobSpecsAndCommandLineValuesNeverCrash() {
        var generator = SplitMix64(state: 99)
        for _ in 0..<3000 * ChaosScale.factor {
            let text = Mutator.mutate("python train.py --name 'a b' \"c\" \\d name:v3 mnist:v1", using: &generator)
            _ = try? ArgvSplitter.split(text)
            _ = try? JobReference(parsing: text)
            _ = try? Names.validateQueueName(text)
            _ = try? Priority.parse(text)
            _ = JSONValue.parseLiteral(text)
            let spec = JobSpec(source: .image(reference: text), entrypoint: [text], datasetVersion: text)
            _ = try? spec.validate()
            #expect(!text.escapedForMessage.unicodeScalars.contains { $0.value < 0x20 })
        }
    }
}
