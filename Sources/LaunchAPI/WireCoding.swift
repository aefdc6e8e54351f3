import Foundation
import LaunchModel

/// How the contract's values are written as JSON wherever they travel (HTTP bodies, status sockets): the records'
/// own field names (camelCase, as the Kubernetes API writes them), since the same encodings are stored and hashed,
/// and times in ISO 8601 with milliseconds, which every JSON client reads.
public enum WireCoding {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601Milliseconds
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601Milliseconds
        return decoder
    }()
}
