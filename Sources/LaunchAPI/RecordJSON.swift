import Foundation
import LaunchModel
import Synchronization

/// How stores write their JSON columns (overrides, progress, job specs, agent environments): sorted keys, dates in
/// seconds. The same in every backend, so `launchdeck migrate` copies the text as it is.
public enum RecordJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    public static func text<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }

    /// The items of a batch, a queue's runs of one job, share their overrides text, and decoding JSON is the dear
    /// part of reading an item: the last text read is kept with its value.
    private static let lastOverrides = Mutex<(text: String, value: ItemOverrides)?>(nil)

    public static func overrides(_ text: String) throws -> ItemOverrides {
        if let known = lastOverrides.withLock({ last in last?.text == text ? last?.value : nil }) { return known }
        let value = try decode(ItemOverrides.self, text)
        lastOverrides.withLock { $0 = (text, value) }
        return value
    }
}
