import Foundation

/// The title bar on top, and the flash line and hint bar at the bottom.
enum Chrome {
    static func titleBar(_ buffer: inout ScreenBuffer, state: DeckState, snapshot: DeckSnapshot, context: String) {
        buffer.fill(x: 0, y: 0, width: buffer.width, height: 1, role: .normal)
        let used = buffer.put(" LaunchDeck ", x: 0, y: 0, role: .title, attributes: [.bold])
        let badge = snapshot.staleness
        let badgeText = " \(badge.text) "
        var badgeWidth = min(DisplayWidth.of(badgeText), max(0, buffer.width - used - 1))
        buffer.put(badgeText, x: buffer.width - badgeWidth, y: 0, role: badge.stale ? .badgeStale : .badge, maxWidth: badgeWidth)
        // What needs a human (a lost agent, recent failures), before the path: it matters more than where the data is.
        let attention = Attention(snapshot)
        if !attention.isEmpty {
            let text = " \(attention.badge) "
            let room = max(0, buffer.width - used - badgeWidth - 1)
            let width = min(DisplayWidth.of(text), room)
            buffer.put(text, x: buffer.width - badgeWidth - width, y: 0, role: .flashError, attributes: [.bold], maxWidth: width)
            badgeWidth += width
        }
        // "[read-only]" stays whole; a long data directory path gives way from its front.
        let readOnly = state.readOnly ? " [read-only]" : ""
        let room = max(0, buffer.width - used - badgeWidth - 2)
        let path = DisplayWidth.truncateFront(context, to: max(0, room - DisplayWidth.of(readOnly)))
        buffer.put("\(path)\(readOnly)", x: used + 1, y: 0, role: .dim, maxWidth: room)
    }

    static func flashLine(_ buffer: inout ScreenBuffer, state: DeckState, y: Int) {
        guard let flash = state.flash else { return }
        let role: Role = switch flash.level {
        case .info: .flashInfo
        case .warning: .flashWarn
        case .error: .flashError
        }
        buffer.put(" " + TerminalTextSafety.inert(flash.text), x: 0, y: y, role: role)
    }

    /// The hint bar: the hinted actions of the current scope, from the action table.
    static func hintBar(_ buffer: inout ScreenBuffer, state: DeckState, y: Int) {
        var x = 1
        for action in ActionTable.available(state) {
            guard let short = action.hint else { continue }
            let key = action.keys[0].label
            let width = DisplayWidth.of("<\(key)> \(short)  ")
            guard x + width <= buffer.width else { break }
            x += buffer.put("<\(key)>", x: x, y: y, role: .hintKey)
            x += buffer.put(" \(short)  ", x: x, y: y, role: .hint)
        }
    }
}
