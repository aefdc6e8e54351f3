import Foundation

/// `{{name}}` references to template variables inside configuration strings.
public enum TemplateReference {
    /// Names referenced in a string, in order.
    public static func names(in text: String) -> [String] {
        spans(in: text).map(\.name)
    }

    /// The variable name when the whole string is one reference (`"{{gpus}}"`), so the value can keep the variable's type.
    public static func soleName(in text: String) -> String? {
        let found = spans(in: text)
        guard found.count == 1, found[0].range == text.startIndex..<text.endIndex else { return nil }
        return found[0].name
    }

    public static func containsReference(_ text: String) -> Bool {
        text.contains("{{")
    }

    /// Replaces every reference by its value's text.
    public static func substitute(_ text: String, values: [String: JSONValue]) -> String {
        var result = ""
        var cursor = text.startIndex
        for span in spans(in: text) {
            result += text[cursor..<span.range.lowerBound]
            result += values[span.name]?.displayText ?? String(text[span.range])
            cursor = span.range.upperBound
        }
        result += text[cursor...]
        return result
    }

    struct Span {
        var name: String
        var range: Range<String.Index>
    }

    static func spans(in text: String) -> [Span] {
        var found: [Span] = []
        var searchStart = text.startIndex
        while let open = text.range(of: "{{", range: searchStart..<text.endIndex),
              let close = text.range(of: "}}", range: open.upperBound..<text.endIndex) {
            let name = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            found.append(Span(name: name, range: open.lowerBound..<close.upperBound))
            searchStart = close.upperBound
        }
        return found
    }
}

