import DeckUI
import Testing

/// Characters that reorder or hide text are shown, like control characters, never passed to the terminal.
@Suite struct TerminalTextSafetyTests {
    @Test func bidirectionalAndZeroWidthCharactersAreShownInert() {
        // "Trojan Source": a right-to-left override makes `rm -rf /` read as something else.
        let hostile = "ok \u{202E}evil\u{202C} \u{2066}isolate\u{2069} zero\u{200B}width \u{200F}mark \u{FEFF}bom"
        let shown = TerminalTextSafety.inert(hostile)
        #expect(shown == "ok \\u{202e}evil\\u{202c} \\u{2066}isolate\\u{2069} zero\\u{200b}width \\u{200f}mark \\u{feff}bom")
        for value: UInt32 in [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069] {
            #expect(!TerminalTextSafety.inert("a\(Unicode.Scalar(value)!)b").unicodeScalars.contains(Unicode.Scalar(value)!))
        }
        #expect(TerminalTextSafety.inert("plain é 日本") == "plain é 日本")
        #expect(TerminalTextSafety.inert("bell\u{07}") == "bell\\x07")
    }

    @Test func theScreenBufferNeverDrawsThem() {
        var buffer = ScreenBuffer(width: 20, height: 1)
        _ = buffer.put("a\u{202E}b", x: 0, y: 0)
        #expect(!buffer.plainText.unicodeScalars.contains("\u{202E}"))
    }
}
