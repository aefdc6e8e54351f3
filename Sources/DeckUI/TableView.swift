/// A column of a table pane: a title and a width (0 takes what is left).
public struct Column: Sendable {
    public var title: String
    public var width: Int
    public var alignRight: Bool
    /// Narrow panes drop columns, highest number first; 0 never goes.
    public var dropOrder: Int

    public init(_ title: String, _ width: Int, right: Bool = false, drop: Int = 0) {
        self.title = title
        self.width = width
        alignRight = right
        dropOrder = drop
    }
}

/// One cell of a table row, with its role (a state is coloured by its role, the rest is normal).
public struct TableCell: Sendable {
    public var text: String
    public var role: Role

    public init(_ text: String, _ role: Role = .normal) {
        self.text = text
        self.role = role
    }
}

/// Draws a scrolling table inside a box; only visible rows are touched, so a 100,000-row list costs
/// what its visible rows cost.
struct TableView {
    var columns: [Column]
    var rowCount: Int
    var selected: Int?
    var row: (Int) -> [TableCell]
    var flashes: (Int) -> Bool = { _ in false }

    /// Draws in the rectangle (inside a border) and returns the first visible row.
    func draw(into buffer: inout ScreenBuffer, x: Int, y: Int, width: Int, height: Int, scroll: Int, focused: Bool) -> Int {
        guard width > 2, height > 1 else { return scroll }
        let widths = layout(width)
        var column = x
        for (index, spec) in columns.enumerated() where widths[index] > 0 {
            buffer.put(DisplayWidth.fit(spec.title, to: widths[index]), x: column, y: y, role: .header, attributes: [.bold])
            column += widths[index] + 1
        }
        let visible = height - 1
        var first = max(0, min(scroll, max(0, rowCount - visible)))
        if let selected {
            if selected < first { first = selected }
            if selected >= first + visible { first = selected - visible + 1 }
        }
        for index in first..<min(rowCount, first + visible) {
            let rowY = y + 1 + index - first
            let cells = row(index)
            var cellX = x
            for (columnIndex, spec) in columns.enumerated() where widths[columnIndex] > 0 {
                let cell = columnIndex < cells.count ? cells[columnIndex] : TableCell("")
                let text = spec.alignRight ? String(repeating: " ", count: max(0, widths[columnIndex] - DisplayWidth.of(cell.text))) + cell.text : cell.text
                buffer.put(DisplayWidth.truncate(text, to: widths[columnIndex]), x: cellX, y: rowY, role: cell.role,
                           attributes: cell.role.isState && cell.role == .stateFailed ? [.bold] : [])
                cellX += widths[columnIndex] + 1
            }
            if index == selected {
                buffer.restyle(x: x, y: rowY, width: width, role: focused ? .cursor : .mark, attributes: focused ? [] : [.bold])
            } else if flashes(index) {
                buffer.restyle(x: x, y: rowY, width: width, role: .mark)
            }
        }
        return first
    }

    static let flexibleMinimum = 16

    /// Fixed widths first; the flexible column takes the rest. When the pane is too narrow for the flexible
    /// column's minimum, optional columns go (highest drop order first); whatever still does not fit is cut.
    func layout(_ width: Int) -> [Int] {
        var widths = columns.map(\.width)
        var dropped = Set<Int>()
        func fixedWidth() -> Int {
            widths.indices.filter { !dropped.contains($0) && widths[$0] > 0 }.reduce(0) { $0 + widths[$1] + 1 }
        }
        let candidates = columns.indices.filter { columns[$0].dropOrder > 0 }.sorted { columns[$0].dropOrder > columns[$1].dropOrder }
        for candidate in candidates where fixedWidth() + Self.flexibleMinimum > width {
            dropped.insert(candidate)
        }
        for index in dropped { widths[index] = 0 }
        if let flexible = columns.firstIndex(where: { $0.width == 0 }) {
            widths[flexible] = max(4, width - fixedWidth())
        }
        var total = 0
        for index in widths.indices {
            if total + widths[index] > width { widths[index] = max(0, width - total) }
            total += widths[index] + 1
        }
        return widths
    }
}

extension Role {
    var isState: Bool { rawValue.hasPrefix("state.") }

    public static func state(_ state: LaunchModelState) -> Role {
        switch state {
        case .queued: .stateQueued
        case .leased: .stateLeased
        case .building: .stateBuilding
        case .running: .stateRunning
        case .succeeded: .stateSucceeded
        case .failed: .stateFailed
        case .cancelled: .stateCancelled
        }
    }
}

import LaunchModel
public typealias LaunchModelState = ItemState
