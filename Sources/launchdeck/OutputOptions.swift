import ArgumentParser
import Foundation

/// `--output table|json` on every list and describe.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Output format: table or json.")
    var output: OutputFormat = .table

    func emit<T: Encodable>(json value: T, table: () -> String) throws {
        switch output {
        case .json: print(try JSONOutput.encode(value))
        case .table: print(table(), terminator: "")
        }
    }
}

enum JSONOutput {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601Milliseconds
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
