import Foundation
import LaunchModel

/// A colour as a theme names it, before the terminal's colour depth is known.
public enum ThemeColor: Sendable, Hashable {
    /// The terminal's own foreground or background.
    case terminalDefault
    /// One of the 16 ANSI colours (0-15).
    case ansi(Int)
    /// An xterm 256-colour index.
    case indexed(Int)
    case rgb(UInt8, UInt8, UInt8)

    static let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    static func parse(_ text: String, palette: [String: ThemeColor]) -> ThemeColor? {
        let lower = text.lowercased()
        if lower == "default" { return .terminalDefault }
        if let index = names.firstIndex(of: lower) { return .ansi(index) }
        if lower.hasPrefix("bright"), let index = names.firstIndex(of: String(lower.dropFirst(6)).trimmingCharacters(in: CharacterSet(charactersIn: "-_"))) {
            return .ansi(index + 8)
        }
        if lower.hasPrefix("#"), lower.count == 7, let value = UInt32(lower.dropFirst(), radix: 16) {
            return .rgb(UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff))
        }
        if let index = Int(lower), (0...255).contains(index) { return .indexed(index) }
        return palette[text]
    }
}

/// How many colours the terminal can show; themes degrade to it.
public enum ColorDepth: Int, Sendable, Comparable {
    case monochrome = 0, ansi8 = 8, ansi16 = 16, xterm256 = 256, direct = 16_777_216

    public static func from(colors: Int, noColor: Bool) -> ColorDepth {
        if noColor || colors < 8 { return .monochrome }
        if colors >= 16_777_216 { return .direct }
        if colors >= 256 { return .xterm256 }
        if colors >= 16 { return .ansi16 }
        return .ansi8
    }

    public static func < (lhs: ColorDepth, rhs: ColorDepth) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A colour the terminal can draw: its default, or a colour number (an RGB value in direct-colour mode).
public enum TerminalColor: Sendable, Hashable {
    case terminalDefault
    case number(Int)
}

/// One role's look on this terminal.
public struct ResolvedStyle: Sendable, Hashable {
    public var foreground: TerminalColor
    public var background: TerminalColor
    public var attributes: TextAttributes

    public init(foreground: TerminalColor, background: TerminalColor, attributes: TextAttributes) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }
}

/// A palette plus semantic roles, read from a theme file.
public struct Theme: Sendable {
    public struct Style: Sendable, Hashable {
        public var foreground: ThemeColor = .terminalDefault
        public var background: ThemeColor = .terminalDefault
        public var attributes: TextAttributes = []
        /// Attributes used instead when the terminal shows no colour.
        public var mono: TextAttributes?
    }

    public var name: String
    public var styles: [Role: Style]

    /// The look of a role at a colour depth; roles a theme leaves out look normal.
    public func resolve(_ role: Role, depth: ColorDepth) -> ResolvedStyle {
        let style = styles[role] ?? Style()
        if depth == .monochrome {
            return ResolvedStyle(foreground: .terminalDefault, background: .terminalDefault,
                                 attributes: style.mono ?? Self.monochromeDefaults[role] ?? style.attributes)
        }
        return ResolvedStyle(foreground: Self.reduce(style.foreground, to: depth), background: Self.reduce(style.background, to: depth),
                             attributes: style.attributes)
    }

    /// Without colour, states and focus must still look different.
    static let monochromeDefaults: [Role: TextAttributes] = [
        .borderFocus: [.bold], .title: [.bold], .header: [.underline], .cursor: [.reverse], .mark: [.bold, .underline],
        .stateQueued: [], .stateLeased: [.dim], .stateBuilding: [.underline], .stateRunning: [.bold],
        .stateSucceeded: [], .stateFailed: [.bold, .reverse], .stateCancelled: [.dim, .underline],
        .logStderr: [.bold], .logBuild: [.dim], .logMatch: [.reverse], .flashWarn: [.bold], .flashError: [.bold, .reverse],
        .dialog: [.reverse], .dialogTitle: [.reverse, .bold], .input: [.underline], .hintKey: [.bold], .badgeStale: [.reverse],
        .graphHigh: [.bold], .yamlKey: [.bold], .yamlComment: [.dim],
    ]

    static func reduce(_ color: ThemeColor, to depth: ColorDepth) -> TerminalColor {
        switch color {
        case .terminalDefault:
            return .terminalDefault
        case .ansi(let index):
            return .number(depth == .ansi8 ? index % 8 : index)
        case .indexed(let index):
            if depth >= .xterm256 { return .number(index) }
            let (r, g, b) = rgb(ofIndex: index)
            return .number(nearestANSI(r, g, b, sixteen: depth == .ansi16))
        case .rgb(let r, let g, let b):
            switch depth {
            case .direct: return .number(Int(r) << 16 | Int(g) << 8 | Int(b))
            case .xterm256: return .number(nearest256(r, g, b))
            case .ansi16, .ansi8: return .number(nearestANSI(r, g, b, sixteen: depth == .ansi16))
            case .monochrome: return .terminalDefault
            }
        }
    }

    static let ansiRGB: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    static func nearestANSI(_ r: UInt8, _ g: UInt8, _ b: UInt8, sixteen: Bool) -> Int {
        let candidates = sixteen ? 0..<16 : 0..<8
        return candidates.min { distance(ansiRGB[$0], r, g, b) < distance(ansiRGB[$1], r, g, b) } ?? 7
    }

    static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        let levels = [0, 95, 135, 175, 215, 255]
        func step(_ value: UInt8) -> Int { levels.indices.min { abs(levels[$0] - Int(value)) < abs(levels[$1] - Int(value)) }! }
        let cube = 16 + 36 * step(r) + 6 * step(g) + step(b)
        let gray = max(0, min(23, (Int(r) + Int(g) + Int(b)) / 3 - 8) / 10)
        let grayIndex = 232 + gray
        return distance(rgbTuple(ofIndex: cube), r, g, b) <= distance(rgbTuple(ofIndex: grayIndex), r, g, b) ? cube : grayIndex
    }

    static func rgb(ofIndex index: Int) -> (UInt8, UInt8, UInt8) {
        let (r, g, b) = rgbTuple(ofIndex: index)
        return (UInt8(r), UInt8(g), UInt8(b))
    }

    static func rgbTuple(ofIndex index: Int) -> (Int, Int, Int) {
        if index < 16 { return ansiRGB[index] }
        if index >= 232 { let level = 8 + (index - 232) * 10; return (level, level, level) }
        let levels = [0, 95, 135, 175, 215, 255]
        let cube = index - 16
        return (levels[cube / 36], levels[(cube / 6) % 6], levels[cube % 6])
    }

    static func distance(_ color: (Int, Int, Int), _ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        let dr = color.0 - Int(r), dg = color.1 - Int(g), db = color.2 - Int(b)
        return dr * dr + dg * dg + db * db
    }
}

extension Theme {
    /// Reads a theme file; every problem is reported with its line, as queue configurations are.
    public static func parse(_ text: String, name: String, source: String) throws(ValidationFailure) -> Theme {
        let document: ConfigDocument
        do {
            document = try ConfigDocument.parse(text)
        } catch {
            throw ValidationFailure(error.issues, source: source)
        }
        var issues: [ValidationIssue] = []
        var palette: [String: ThemeColor] = [:]
        let root = document.value.objectValue ?? [:]
        for key in root.keys.sorted() where !["name", "palette", "roles"].contains(key) {
            issues.append(ValidationIssue(path: key, message: "unknown key (known: name, palette, roles)"))
        }
        for (key, value) in (root["palette"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let text = value.stringValue ?? Self.colourNumber(value), let color = ThemeColor.parse(text, palette: [:]) else {
                issues.append(ValidationIssue(path: "palette.\(key)", message: "\(value.quotedText) is not a colour (#rrggbb, 0-255, a colour name or default)"))
                continue
            }
            palette[key] = color
        }
        var styles: [Role: Style] = [:]
        for (key, value) in (root["roles"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "roles.\(key)"
            guard let role = Role(rawValue: key) else {
                issues.append(ValidationIssue(path: path, message: "unknown role"))
                continue
            }
            guard let fields = value.objectValue else {
                issues.append(ValidationIssue(path: path, message: "expected a mapping such as {fg: red, attrs: [bold]}"))
                continue
            }
            var style = Style()
            for (field, fieldValue) in fields.sorted(by: { $0.key < $1.key }) {
                switch field {
                case "fg", "bg":
                    let text = fieldValue.stringValue ?? Self.colourNumber(fieldValue) ?? ""
                    guard let color = ThemeColor.parse(text, palette: palette) else {
                        issues.append(ValidationIssue(path: "\(path).\(field)", message: "\(fieldValue.quotedText) is not a colour or palette name"))
                        continue
                    }
                    if field == "fg" { style.foreground = color } else { style.background = color }
                case "attrs", "mono":
                    guard let attributes = parseAttributes(fieldValue) else {
                        issues.append(ValidationIssue(path: "\(path).\(field)", message: "expected a list of bold, reverse, underline, dim"))
                        continue
                    }
                    if field == "attrs" { style.attributes = attributes } else { style.mono = attributes }
                default:
                    issues.append(ValidationIssue(path: "\(path).\(field)", message: "unknown field (known: fg, bg, attrs, mono)"))
                }
            }
            styles[role] = style
        }
        if !issues.isEmpty { throw ValidationFailure(document.locate(issues), source: source) }
        return Theme(name: root["name"]?.stringValue ?? name, styles: styles)
    }

    /// A colour given as a bare number (`fg: 208`); one that is no whole number an Int holds (`1e30`) reads as
    /// text, which the colour check then rejects, instead of trapping in Int().
    static func colourNumber(_ value: JSONValue) -> String? {
        value.numberValue.map { number in Int(exactly: number).map(String.init) ?? String(number) }
    }

    static func parseAttributes(_ value: JSONValue) -> TextAttributes? {
        guard let list = value.arrayValue else { return nil }
        var attributes: TextAttributes = []
        for entry in list {
            switch entry.stringValue {
            case "bold": attributes.insert(.bold)
            case "reverse": attributes.insert(.reverse)
            case "underline": attributes.insert(.underline)
            case "dim": attributes.insert(.dim)
            default: return nil
            }
        }
        return attributes
    }

    /// Used when no theme file can be read at all: plain ANSI colours.
    public static let builtIn = Theme(name: "built-in", styles: [
        .borderFocus: Style(foreground: .ansi(6), attributes: [.bold]), .border: Style(foreground: .ansi(8)),
        .title: Style(foreground: .ansi(6), attributes: [.bold]), .header: Style(attributes: [.bold]),
        .cursor: Style(foreground: .ansi(0), background: .ansi(6)), .stateQueued: Style(foreground: .ansi(4)),
        .stateLeased: Style(foreground: .ansi(5)), .stateBuilding: Style(foreground: .ansi(3)),
        .stateRunning: Style(foreground: .ansi(6), attributes: [.bold]), .stateSucceeded: Style(foreground: .ansi(2)),
        .stateFailed: Style(foreground: .ansi(1), attributes: [.bold]), .stateCancelled: Style(foreground: .ansi(8)),
        .logStderr: Style(foreground: .ansi(1)), .logBuild: Style(foreground: .ansi(3)), .flashError: Style(foreground: .ansi(1), attributes: [.bold]),
        .flashWarn: Style(foreground: .ansi(3)), .dialog: Style(foreground: .ansi(7), background: .ansi(4)), .hintKey: Style(foreground: .ansi(6)),
    ])
}
