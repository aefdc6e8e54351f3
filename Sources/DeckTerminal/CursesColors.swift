import CNCursesW
import DeckUI

/// Colour pairs for the theme's roles, at the depth the terminal reports (24-bit, 256, 16, 8 or none).
struct CursesColors {
    struct Style {
        var pair: Int
        var attributes: TextAttributes
    }

    private var styles: [Role: Style] = [:]

    mutating func apply(theme: Theme, noColor: Bool) {
        let hasColor = has_colors() && !noColor
        if hasColor {
            start_color()
            use_default_colors()
        }
        let depth = ColorDepth.from(colors: hasColor ? Int(ld_colors()) : 0, noColor: !hasColor)
        styles = [:]
        var pairs: [ResolvedStyle: Int] = [:]
        for role in Role.allCases {
            let resolved = theme.resolve(role, depth: depth)
            var pair = 0
            if depth != .monochrome && (resolved.foreground != .terminalDefault || resolved.background != .terminalDefault) {
                let key = ResolvedStyle(foreground: resolved.foreground, background: resolved.background, attributes: [])
                if let existing = pairs[key] {
                    pair = existing
                } else if pairs.count + 1 < Int(ld_color_pairs()) {
                    pair = pairs.count + 1
                    pairs[key] = pair
                    init_extended_pair(Int32(pair), Self.number(resolved.foreground), Self.number(resolved.background))
                }
            }
            styles[role] = Style(pair: pair, attributes: resolved.attributes)
        }
    }

    func style(for role: Role) -> Style {
        styles[role] ?? Style(pair: 0, attributes: [])
    }

    static func number(_ color: TerminalColor) -> Int32 {
        switch color {
        case .terminalDefault: -1
        case .number(let value): Int32(value)
        }
    }

    static func attributes(_ attributes: TextAttributes) -> attr_t {
        var result = ld_a_normal()
        if attributes.contains(.bold) { result |= ld_a_bold() }
        if attributes.contains(.reverse) { result |= ld_a_reverse() }
        if attributes.contains(.underline) { result |= ld_a_underline() }
        if attributes.contains(.dim) { result |= ld_a_dim() }
        return result
    }
}

/// Turns `wget_wch` results into keys.
enum KeyDecoder {
    static func decode(result: Int32, code: wint_t) -> Key? {
        if result == ld_key_code_yes() {
            switch Int32(code) {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_NPAGE: return .pageDown
            case KEY_PPAGE: return .pageUp
            case KEY_HOME: return .home
            case KEY_END: return .end
            case KEY_BTAB: return .backTab
            case KEY_BACKSPACE: return .backspace
            case KEY_DC: return .delete
            case KEY_ENTER: return .enter
            case KEY_RESIZE: return .resize
            default:
                for number in 1...12 where Int32(code) == ld_key_f(Int32(number)) { return .function(number) }
                return nil
            }
        }
        switch code {
        case 27: return .escape
        case 9: return .tab
        case 10, 13: return .enter
        case 8, 127: return .backspace
        case 1...26: return .control(Character(UnicodeScalar(UInt8(code) + 96)))
        default:
            guard let scalar = UnicodeScalar(code) else { return nil }
            return .character(Character(scalar))
        }
    }
}
