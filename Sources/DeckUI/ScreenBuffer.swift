/// One terminal cell: a grapheme (or nothing, for the right half of a wide one), its role and attributes.
public struct Cell: Sendable, Hashable {
    public var text: String
    public var role: Role
    public var attributes: TextAttributes
    /// The right half of a two-column character: drawn by its left neighbour.
    public var isContinuation: Bool

    public static let blank = Cell(text: " ", role: .normal, attributes: [], isContinuation: false)
}

/// What one frame shows, cell by cell. Views draw into it; the terminal driver copies it to ncurses;
/// tests read it as text and roles without a terminal.
public struct ScreenBuffer: Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Where the terminal cursor should be shown (text inputs), if anywhere.
    public var cursor: (x: Int, y: Int)?

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Writes text at (x, y), cut to `maxWidth` columns and to the buffer's edge, returning the columns used.
    /// Text must already be inert: control characters are shown as `?` as a last line of defence.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, role: Role = .normal, attributes: TextAttributes = [],
                             maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(width - max(x, 0), maxWidth ?? Int.max)
        guard limit > 0 else { return 0 }
        let shown = DisplayWidth.truncate(text, to: limit)
        var column = x
        if DisplayWidth.isPrintableASCII(shown) {
            // Most of a frame: one cell per byte, none unsafe, none wide.
            for byte in shown.utf8 {
                guard column < width else { break }
                if column >= 0 { self[column, y] = Cell(text: String(Character(Unicode.Scalar(byte))), role: role, attributes: attributes, isContinuation: false) }
                column += 1
            }
            return column - x
        }
        for character in shown {
            let characterWidth = DisplayWidth.of(character)
            let safe = character.unicodeScalars.contains { TerminalTextSafety.isUnsafe($0) } ? "?" : String(character)
            if characterWidth == 0 { continue }
            guard column + characterWidth <= width else { break }
            if column >= 0 {
                self[column, y] = Cell(text: safe, role: role, attributes: attributes, isContinuation: false)
                if characterWidth == 2 {
                    self[column + 1, y] = Cell(text: "", role: role, attributes: attributes, isContinuation: true)
                }
            }
            column += characterWidth
        }
        return column - x
    }

    /// Paints a rectangle with a role (a background for a line or a dialog).
    public mutating func fill(x: Int, y: Int, width fillWidth: Int, height fillHeight: Int, role: Role, attributes: TextAttributes = []) {
        for row in max(0, y)..<min(height, y + fillHeight) {
            for column in max(0, x)..<min(width, x + fillWidth) {
                self[column, row] = Cell(text: " ", role: role, attributes: attributes, isContinuation: false)
            }
        }
    }

    /// Changes the role of cells already drawn (the cursor line).
    public mutating func restyle(x: Int, y: Int, width restyleWidth: Int, role: Role, attributes: TextAttributes = []) {
        guard y >= 0, y < height else { return }
        for column in max(0, x)..<min(width, x + restyleWidth) {
            self[column, y].role = role
            self[column, y].attributes = attributes
        }
    }

    /// A row as plain text, for tests and `--once`.
    public func text(row: Int) -> String {
        guard row >= 0, row < height else { return "" }
        var line = ""
        for column in 0..<width where !self[column, row].isContinuation {
            line += self[column, row].text
        }
        return line
    }

    public var lines: [String] { (0..<height).map { text(row: $0) } }

    /// The whole screen as text with trailing spaces removed.
    public var plainText: String {
        lines.map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n")
    }

    /// The first position of some text on screen, for tests.
    public func find(_ needle: String) -> (x: Int, y: Int)? {
        for row in 0..<height {
            let line = text(row: row)
            if let range = line.range(of: needle) {
                return (DisplayWidth.of(String(line[..<range.lowerBound])), row)
            }
        }
        return nil
    }

    /// Draws a box with a title, in the border role (focused or not).
    public mutating func box(x: Int, y: Int, width boxWidth: Int, height boxHeight: Int, title: String, focused: Bool) {
        guard boxWidth >= 2, boxHeight >= 2 else { return }
        let role: Role = focused ? .borderFocus : .border
        let horizontal = String(repeating: "─", count: boxWidth - 2)
        put("┌" + horizontal + "┐", x: x, y: y, role: role)
        for row in (y + 1)..<(y + boxHeight - 1) {
            put("│", x: x, y: row, role: role)
            put("│", x: x + boxWidth - 1, y: row, role: role)
        }
        put("└" + horizontal + "┘", x: x, y: y + boxHeight - 1, role: role)
        if !title.isEmpty {
            put(" \(title) ", x: x + 2, y: y, role: .title, attributes: focused ? [.bold] : [], maxWidth: boxWidth - 4)
        }
    }
}
