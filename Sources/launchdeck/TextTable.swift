import DeckUI
import Foundation

/// Aligned columns for terminal listings; cells are made safe to print (no control characters).
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) {
        self.headers = headers
    }

    mutating func add(_ cells: String...) {
        rows.append(cells.map(TerminalTextSafety.inert))
    }

    /// Columns are measured in terminal cells (a wide character takes two), and cells are padded, never cut.
    func render() -> String {
        var widths = headers.map(DisplayWidth.of)
        let measured = rows.map { $0.map(DisplayWidth.of) }
        for row in measured {
            for (index, width) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], width)
            }
        }
        func line(_ cells: [String], _ cellWidths: [Int]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                text += cell
                guard index < cells.count - 1 else { break }
                text += String(repeating: " ", count: max(0, (index < widths.count ? widths[index] : 0) - cellWidths[index]) + 2)
            }
            return text + "\n"
        }
        return line(headers, headers.map(DisplayWidth.of)) + zip(rows, measured).map(line).joined()
    }
}
