import Foundation

/// Untrusted text (job output, names typed by users) made inert before it reaches a terminal.
enum TerminalText {
    static func inert(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09: result += "    "
            case 0x00..<0x20, 0x7f, 0x80..<0xa0:
                result += scalar.value == 0x1b ? "^[" : "\\x" + String(format: "%02x", scalar.value)
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
