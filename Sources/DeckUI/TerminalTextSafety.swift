/// Job output and user text made inert before it is drawn: escape sequences and control characters are shown as
/// visible text (`^[`, `\x07`), never sent to the terminal; so are the invisible characters that reorder or hide
/// text (bidirectional overrides and isolates, zero-width characters), which could make a line read as something it
/// is not. Invalid UTF-8 was already replaced on decoding.
public enum TerminalTextSafety {
    public static func inert(_ text: String) -> String {
        // Most text is printable ASCII, told apart fastest on its UTF-8 bytes.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        guard text.unicodeScalars.contains(where: { isUnsafe($0) }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09: result += "    "
            case 0x1B: result += "^["
            case 0x00..<0x20, 0x7F, 0x80..<0xA0: result += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            case _ where isUnsafe(scalar): result += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Control characters (C0, DEL, C1), and the format characters that reorder or hide text: U+061C, U+180E,
    /// U+200B-U+200F (zero-width, direction marks), U+2028-U+202E (separators, embeddings, overrides),
    /// U+2060-U+2064, U+2066-U+2069 (isolates) and U+FEFF. Every character of every frame passes here: one
    /// expression the optimizer inlines whole, and two comparisons for ASCII.
    @inlinable @inline(__always)
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0xA0 { return value < 0x20 || value >= 0x7F }
        return value >= 0x061C && (value == 0x061C || value == 0x180E || (0x200B...0x200F).contains(value) || (0x2028...0x202E).contains(value)
                                   || (0x2060...0x2064).contains(value) || (0x2066...0x2069).contains(value) || value == 0xFEFF)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
