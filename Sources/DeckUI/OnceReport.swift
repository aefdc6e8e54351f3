import Foundation
import LaunchModel

/// `launchdeck --once` as text: the main screen's three panes stacked, each as tall as its rows (every queue and
/// agent, the items of one queue), and what needs a human in a section of its own, without the hint bar a script
/// has no use for.
public enum OnceReport {
    /// Beyond this many items the pane says how many more there are and how to list them all.
    public static let itemRowsShown = 500

    public static func render(_ snapshot: DeckSnapshot, width: Int, queue: String?, context: String = "") -> ScreenBuffer {
        let app = DeckApp()
        if let queue { app.state.selection[.queues] = queue }
        app.receive(snapshot)
        var state = app.state
        let width = max(DeckApp.minimumWidth, width)
        let items = Rows.items(snapshot, state).count
        let rows: [(Pane, Int)] = [
            (.queues, Rows.queues(snapshot, state).count), (.items, min(items, itemRowsShown)), (.agents, Rows.agents(snapshot, state).count),
        ]
        // Borders and header around the rows; an empty pane keeps one row for the line that says it is empty.
        let heights = rows.map { ($0.0, max(1, $0.1) + 3) }
        let attention = Attention(snapshot)
        let attentionLines = attention.isEmpty ? [] : ["Needs attention:"] + attention.reasons.map { "  ⚠ " + $0 }
        let more = items > itemRowsShown ? 1 : 0
        let height = 1 + heights.map(\.1).reduce(0, +) + more + (attentionLines.isEmpty ? 0 : attentionLines.count + 1)
        var buffer = ScreenBuffer(width: width, height: height)
        Chrome.titleBar(&buffer, state: state, snapshot: snapshot, context: context)
        var y = 1
        for (pane, paneHeight) in heights {
            MainScreen.drawPane(pane, in: MainScreen.Rect(x: 0, y: y, width: width, height: paneHeight), &buffer, state: &state,
                                snapshot: snapshot, focused: false)
            y += paneHeight
            if pane == .items && more > 0 {
                buffer.put(" … \(items - itemRowsShown) more: launchdeck items --queue \(state.selectedQueue ?? "")", x: 0, y: y, role: .dim)
                y += 1
            }
        }
        if !attentionLines.isEmpty {
            y += 1
            for line in attentionLines {
                buffer.put(line, x: 1, y: y, role: line.hasPrefix(" ") ? .flashError : .title)
                y += 1
            }
        }
        return buffer
    }
}
