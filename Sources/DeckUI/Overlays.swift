import Foundation
import LaunchModel

/// Things drawn over the screen: help, dialogs, the enqueue form, the `:` and `/` prompts.
enum Overlays {
    static func draw(_ overlay: Overlay, into buffer: inout ScreenBuffer, state: DeckState, snapshot: DeckSnapshot) {
        switch overlay {
        case .help:
            help(into: &buffer, state: state)
        case .confirm(let dialog):
            var lines = wrap(dialog.message, width: min(60, buffer.width - 8))
            lines.append("")
            let box = panel(&buffer, title: dialog.title, lines: lines, extraRows: 1, minWidth: 30)
            let no = dialog.yes ? "  No  " : "[ No ]"
            let yes = dialog.yes ? "[ Yes ]" : "  Yes  "
            let buttons = "\(no)   \(yes)"
            let x = box.x + max(2, (box.width - DisplayWidth.of(buttons)) / 2)
            buffer.put(no, x: x, y: box.y + box.height - 2, role: dialog.yes ? .dialog : .cursor)
            buffer.put(yes, x: x + DisplayWidth.of(no) + 3, y: box.y + box.height - 2, role: dialog.yes ? .cursor : .dialog)
        case .choice(let dialog):
            var lines = wrap(dialog.message, width: min(64, buffer.width - 8))
            lines.append("")
            for (index, option) in dialog.options.enumerated() {
                lines.append("\(index == dialog.selected ? "›" : " ") \(option.key)  \(option.label)")
            }
            lines.append("")
            lines.append("Enter: the marked answer   ↑/↓: move   Esc: stay")
            let box = panel(&buffer, title: dialog.title, lines: lines, extraRows: 0, minWidth: 40)
            let row = box.y + 1 + lines.count - dialog.options.count - 2 + dialog.selected
            if row < box.y + box.height - 1 { buffer.restyle(x: box.x + 2, y: row, width: box.width - 4, role: .cursor) }
        case .message(let title, let lines, _):
            _ = panel(&buffer, title: title, lines: lines + ["", "Enter or Esc to close"], extraRows: 0, minWidth: 30)
        case .editFailed(let queue, let issues):
            _ = panel(&buffer, title: "Configuration of \(queue) NOT saved", lines: issues + ["", "Enter: edit your text again    Esc: discard your edit"],
                      extraRows: 0, minWidth: 40)
        case .form(let form):
            self.form(form, into: &buffer)
        case .command(let text):
            prompt(":" + text, hint: "queues · queue NAME · items [QUEUE] · jobs · agents · theme NAME · backend NAME · q   (Tab completes)", into: &buffer)
        case .filter(let target, let text):
            let label = target == .log ? "search" : "filter"
            prompt("/" + text, hint: "\(label): regular expression, ! in front inverts; Enter keeps, Esc clears", into: &buffer)
        }
    }

    static func prompt(_ text: String, hint: String, into buffer: inout ScreenBuffer) {
        let y = buffer.height - 2
        buffer.fill(x: 0, y: y, width: buffer.width, height: 1, role: .input)
        let used = buffer.put(TerminalTextSafety.inert(text), x: 0, y: y, role: .input)
        buffer.cursor = (min(buffer.width - 1, used), y)
        buffer.fill(x: 0, y: y + 1, width: buffer.width, height: 1, role: .hint)
        buffer.put(hint, x: 1, y: y + 1, role: .hint)
    }

    /// A centred dialog box; returns its rectangle.
    @discardableResult
    static func panel(_ buffer: inout ScreenBuffer, title: String, lines: [String], extraRows: Int, minWidth: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        let contentWidth = max(minWidth, min(buffer.width - 4, (lines.map { DisplayWidth.of($0) }.max() ?? 0) + 4, max(DisplayWidth.of(title) + 6, 0)))
        let width = min(buffer.width, max(contentWidth, min(buffer.width, (lines.map { DisplayWidth.of($0) }.max() ?? 0) + 4)))
        let height = min(buffer.height, lines.count + 2 + extraRows)
        let x = max(0, (buffer.width - width) / 2)
        let y = max(0, (buffer.height - height) / 2)
        buffer.fill(x: x, y: y, width: width, height: height, role: .dialog)
        buffer.box(x: x, y: y, width: width, height: height, title: title, focused: true)
        for (index, line) in lines.prefix(height - 2 - extraRows).enumerated() {
            buffer.put(TerminalTextSafety.inert(line), x: x + 2, y: y + 1 + index, role: .dialog, maxWidth: width - 4)
        }
        return (x, y, width, height)
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty && DisplayWidth.of(current) + 1 + DisplayWidth.of(String(word)) > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// The `?` overlay, built from the action table: every action available here, with its keys.
    static func help(into buffer: inout ScreenBuffer, state: DeckState) {
        let entries = ActionTable.available(state).map { action in DisplayWidth.fit(action.keyLabel, to: 14) + action.title }
        var footer = state.readOnly ? ["(read-only: actions that change anything are hidden)"] : []
        footer += ["", "any key closes this help"]
        // One column while it fits the terminal's height, else two side by side (80x24 holds every pane's actions);
        // what still does not fit says so rather than vanish.
        let rows = max(1, buffer.height - 2 - footer.count)
        var lines = entries
        if entries.count > rows {
            // Long titles are cut to fit two columns; their keys and first words stay.
            let half = (entries.count + 1) / 2
            let columnWidth = min(entries.map { DisplayWidth.of($0) }.max() ?? 0, (buffer.width - 4 - 3) / 2)
            if columnWidth >= 24 {
                lines = (0..<half).map { index in
                    let right = index + half < entries.count ? DisplayWidth.truncate(entries[index + half], to: columnWidth) : ""
                    return DisplayWidth.fit(entries[index], to: columnWidth) + "   " + right
                }
            }
            if lines.count > rows {
                let shown = max(0, rows - 1)
                lines = Array(lines.prefix(shown)) + ["… \(lines.count - shown) more lines: enlarge the terminal"]
            }
        }
        _ = panel(&buffer, title: "Help · \(ActionTable.scopeName(state))", lines: lines + footer, extraRows: 0, minWidth: 50)
    }

    static func form(_ form: EnqueueForm, into buffer: inout ScreenBuffer) {
        var lines: [String] = []
        var roles: [Int: Role] = [:]
        if let warning = form.warning {
            lines.append("⚠ " + warning)
            roles[0] = .flashWarn
            lines.append("")
        }
        let labelWidth = min(24, form.fields.map { DisplayWidth.of(form.label($0)) }.max() ?? 8)
        var focusLine = 0
        for (index, field) in form.fields.enumerated() {
            if index == form.focus { focusLine = lines.count }
            let marker = index == form.focus ? "›" : " "
            let value = form.value(field)
            let shown = form.isChoice(field) ? "‹ \(value) ›" : value + (index == form.focus ? "▏" : "")
            lines.append("\(marker) \(DisplayWidth.fit(form.label(field), to: labelWidth)) \(shown)")
            if index == form.focus { roles[lines.count - 1] = .input }
            if let error = form.errors[field] {
                lines.append("    ✗ \(error)")
                roles[lines.count - 1] = .flashError
            } else {
                lines.append("    \(form.hint(field))")
                roles[lines.count - 1] = .hint
            }
            if field == .overrides {
                // Beside the overrides, what they override.
                lines.append("    " + form.defaultHyperparameters)
                roles[lines.count - 1] = .hint
            }
        }
        let keys = "Enter: enqueue   Tab/↑↓: field   ←/→: choose   Esc: cancel"
        // Taller than the screen: a window of the fields that keeps the focused one (its value and its hint) in
        // sight, says how many lines are above and below, and keeps the keys line.
        let rows = max(1, buffer.height - 2)
        if lines.count + 2 > rows, rows >= 4 {
            let body = rows - 1
            let start = max(0, min(focusLine - (body - 2) / 2, lines.count - body))
            var window = Array(lines[start..<min(lines.count, start + body)])
            var shifted: [Int: Role] = [:]
            for (index, role) in roles where index >= start && index < start + body { shifted[index - start] = role }
            if start > 0 {
                window[0] = "↑ \(start + 1) lines above"
                shifted[0] = .hint
            }
            let below = lines.count - (start + window.count)
            if below > 0 {
                window[window.count - 1] = "↓ \(below + 1) lines below"
                shifted[window.count - 1] = .hint
            }
            lines = window
            roles = shifted
        } else {
            lines.append("")
        }
        lines.append(keys)
        let title = form.relaunchOf.map { "Relaunch \($0) with changes" } ?? "Enqueue on \(form.queue)"
        let box = panel(&buffer, title: title, lines: lines, extraRows: 0, minWidth: 60)
        for (index, role) in roles where index < box.height - 2 {
            buffer.restyle(x: box.x + 2, y: box.y + 1 + index, width: box.width - 4, role: role)
        }
    }
}

extension ActionTable {
    static func scopeName(_ state: DeckState) -> String {
        switch state.screen {
        case .main: state.focus.title
        case .jobs, .jobVersion: "Jobs"
        case .log: "Logs"
        case .detail: "Details"
        case .config: "Configuration"
        }
    }
}
