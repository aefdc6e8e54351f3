import Foundation

/// A JSON value: hyperparameters, template-variable values and parsed queue configurations.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The text `parseLiteral` reads back as this value: the string "1" is `"1"`, lists and mappings are JSON.
    public var literalText: String {
        if case .string(let text) = self, JSONValue.parseLiteral(text) == self { return text }
        if case .string = self { return compactJSON }
        let shown = displayText
        return JSONValue.parseLiteral(shown) == self ? shown : compactJSON
    }

    /// Reads a command-line value: JSON scalars and documents keep their type, anything else is a string, so
    /// `--config lr=0.1` is a number and `--config name=resnet` a string. A number that would not read back as typed
    /// stays a string (`tag=007`, `seed=18446744073709551615`, `pi=3.14159265358979323846`): a job must get what the
    /// user wrote; `numberKeptAsText` says why, for the CLI to tell.
    public static func parseLiteral(_ text: String) -> JSONValue {
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        if text == "null" { return .null }
        if let int = Int(text), String(int) == text { return .int(int) }
        if let typed = DecimalText(text), !typed.hasLeadingZero, !typed.hasPlusSign, let double = Double(text), double.isFinite,
           DecimalText(double.description) == typed {
            return .double(double)
        }
        if let first = text.first, first == "{" || first == "[" || first == "\"",
           let data = text.data(using: .utf8),
           let decoded = try? JSONDecoder().decode(JSONValue.self, from: data) {
            return decoded
        }
        return .string(text)
    }

    /// Why a value that looks like a number is kept as text by `parseLiteral`, or nil when it is not.
    public static func numberKeptAsText(_ text: String) -> String? {
        guard let typed = DecimalText(text), case .string = parseLiteral(text) else { return nil }
        if typed.hasLeadingZero { return "\(text) is kept as text: as a number its leading zeros would be lost" }
        if typed.hasPlusSign { return "\(text) is kept as text: as a number its + sign would be lost" }
        if !typed.hasFraction, typed.exponent == 0 { return "\(text) is kept as text: it does not fit a 64-bit integer" }
        return "\(text) is kept as text: as a number it would change (\(Double(text).map { $0.description } ?? "out of range"))"
    }

    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "string"
        case .array: "list"
        case .object: "mapping"
        }
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// Numbers as Double, for bounds checks on ints and floats alike.
    public var numberValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// A short human form for messages and tables: strings unquoted, documents as compact JSON.
    public var displayText: String {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .int(let value): String(value)
        case .double(let value): Self.format(value)
        case .string(let value): value
        case .array, .object: compactJSON
        }
    }

    /// A form for error messages: strings quoted so `"two"` reads as the string it was.
    public var quotedText: String {
        if case .string(let value) = self { return "\"\(value)\"" }
        return displayText
    }

    public var compactJSON: String { encoded([.sortedKeys, .withoutEscapingSlashes]) }

    /// Indented, for people to read (and valid YAML too).
    public var prettyJSON: String { encoded([.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]) }

    private func encoded(_ formatting: JSONEncoder.OutputFormatting) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        guard let data = try? encoder.encode(self) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    private static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(format: "%.1f", value) }
        return String(value)
    }
}

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension JSONEncoder.DateEncodingStrategy {
    /// ISO 8601 in UTC with milliseconds (`2026-11-25T06:50:22.123Z`): seconds alone hide dispatch latency.
    public static var iso8601Milliseconds: JSONEncoder.DateEncodingStrategy {
        .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601Milliseconds.string(from: date))
        }
    }
}

extension JSONDecoder.DateDecodingStrategy {
    /// Reads what `iso8601Milliseconds` writes, and plain ISO 8601 too.
    public static var iso8601Milliseconds: JSONDecoder.DateDecodingStrategy {
        .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = ISO8601Milliseconds.date(from: text) { return date }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
        }
    }
}

/// A decimal number's text reduced to its value (sign, significant digits, exponent), to tell whether two texts name
/// the same number: `1e-3` and `0.001` do, `3.14159265358979323846` and the nearest double do not.
struct DecimalText: Equatable {
    var negative: Bool
    var digits: String
    var exponent: Int
    /// How the text was written, not part of the value.
    var hasLeadingZero = false
    var hasPlusSign = false
    var hasFraction = false

    init?(_ text: String) {
        var rest = Substring(text)
        negative = rest.first == "-"
        hasPlusSign = rest.first == "+"
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        let exponentStart = rest.firstIndex { $0 == "e" || $0 == "E" }
        let mantissa = exponentStart.map { rest[..<$0] } ?? rest
        var power = 0
        if let exponentStart {
            var exponentText = rest[rest.index(after: exponentStart)...]
            let negativeExponent = exponentText.first == "-"
            if exponentText.first == "-" || exponentText.first == "+" { exponentText = exponentText.dropFirst() }
            guard !exponentText.isEmpty, exponentText.count < 6, exponentText.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(exponentText) else { return nil }
            power = negativeExponent ? -value : value
        }
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0], fraction = parts.count > 1 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty), (whole + fraction).allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        hasLeadingZero = whole.count > 1 && whole.first == "0"
        hasFraction = parts.count > 1
        var significant = String(whole + fraction)
        power -= fraction.count
        while significant.first == "0" { significant.removeFirst() }
        while significant.last == "0" { significant.removeLast(); power += 1 }
        if significant.isEmpty { power = 0 }
        digits = significant
        exponent = power
        if significant.isEmpty { negative = false }
    }

    static func == (lhs: DecimalText, rhs: DecimalText) -> Bool {
        lhs.negative == rhs.negative && lhs.digits == rhs.digits && lhs.exponent == rhs.exponent
    }
}
