/// A column of a table pane: a title and a width (0 takes what is left).
public struct Column: Sendable {
    public var title: String
    public var width: Int
    /// The width it takes when the pane has room to spare (a full id), before the flexible column gets the rest.
    public var wideWidth: Int
    public var alignRight: Bool
    /// Narrow panes drop columns, highest number first; 0 never goes.
    public var dropOrder: Int

    public init(_ title: String, _ width: Int, wide: Int? = nil, right: Bool = false, drop: Int = 0) {
        self.title = title
        self.width = width
        wideWidth = max(width, wide ?? width)
        alignRight = right
        dropOrder = drop
    }
}

/// One cell of a table row, with its role (a state is coloured by its role, the rest is normal).
public struct TableCell: Sendable {
    public var text: String
    public var role: Role
    /// Too long for its column, it loses its front (`…` + the end), as ids do: their end tells a batch's items apart.
    public var cutFromFront = false

    public init(_ text: String, _ role: Role = .normal, cutFromFront: Bool = false) {
        self.text = text
        self.role = role
        self.cutFromFront = cutFromFront
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
    /// The column the rows are sorted by, and whether its values go up (▲) or down (▼) the list.
    var sorted: (column: Int, ascending: Bool)?

    /// Draws in the rectangle (inside a border) and returns the first visible row.
    func draw(into buffer: inout ScreenBuffer, x: Int, y: Int, width: Int, height: Int, scroll: Int, focused: Bool) -> Int {
        guard width > 2, height > 1 else { return scroll }
        let widths = layout(width)
        var column = x
        for (index, spec) in columns.enumerated() where widths[index] > 0 {
            let arrow = sorted.map { $0.column == index ? ($0.ascending ? "▲" : "▼") : "" } ?? ""
            let title = DisplayWidth.fit(spec.title + arrow, to: widths[index])
            buffer.put(title, x: column, y: y, role: .header, attributes: [.bold])
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
                let shown = cell.cutFromFront ? DisplayWidth.truncateFront(text, to: widths[columnIndex]) : DisplayWidth.truncate(text, to: widths[columnIndex])
                buffer.put(shown, x: cellX, y: rowY, role: cell.role,
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
    /// column's minimum, optional columns go (highest drop order first); a dropped column takes no separator either.
    /// Room to spare goes to the columns that want more (a full id) before the flexible column pads itself out;
    /// whatever still does not fit is cut.
    func layout(_ width: Int) -> [Int] {
        var widths = columns.map(\.width)
        var dropped = Set<Int>()
        func used() -> Int {
            widths.indices.filter { !dropped.contains($0) && widths[$0] > 0 }.reduce(0) { $0 + widths[$1] + 1 }
        }
        let candidates = columns.indices.filter { columns[$0].dropOrder > 0 }.sorted { columns[$0].dropOrder > columns[$1].dropOrder }
        for candidate in candidates where used() + Self.flexibleMinimum > width {
            dropped.insert(candidate)
        }
        for index in dropped { widths[index] = 0 }
        for index in columns.indices where !dropped.contains(index) && columns[index].wideWidth > widths[index] {
            let spare = width - used() - Self.flexibleMinimum
            if spare >= columns[index].wideWidth - widths[index] { widths[index] = columns[index].wideWidth }
        }
        if let flexible = columns.firstIndex(where: { $0.width == 0 }) {
            widths[flexible] = max(4, width - used())
        }
        var total = 0
        for index in widths.indices where widths[index] > 0 {
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
