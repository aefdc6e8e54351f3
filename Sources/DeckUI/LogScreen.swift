import Foundation
import LaunchModel

/// An item's logs and progress: build and run progress bars, elapsed time, streams coloured apart,
/// follow mode, wrap, search. Lines are made inert and cut for display; the store keeps a bounded tail.
struct LogScreen {
    static let maxLineColumns = 2000

    static func draw(_ buffer: inout ScreenBuffer, state: inout DeckState, snapshot: DeckSnapshot, itemID: String, top: Int, height: Int) {
        let width = buffer.width
        guard let item = snapshot.item(itemID) else {
            buffer.put("item \(itemID) is not in the current snapshot", x: 1, y: top, role: .flashWarn)
            return
        }
        let live = LiveStatus.progress(item, snapshot)
        var y = top
        buffer.put("\(item.id)  \(item.jobReference) on \(item.queue)  ", x: 0, y: y, role: .title, attributes: [.bold])
        let stateText = item.state.rawValue + (item.exitCode.map { " (exit \($0))" } ?? "")
        let used = DisplayWidth.of("\(item.id)  \(item.jobReference) on \(item.queue)  ")
        buffer.put(stateText, x: used, y: y, role: .state(item.state))
        let elapsed = MainScreen.duration(item, now: snapshot.now)
        buffer.put("elapsed \(elapsed)  attempt \(item.attempts)/\(item.maxAttempts)", x: used + DisplayWidth.of(stateText) + 2, y: y, role: .dim)
        y += 1
        let barWidth = max(10, min(40, width - 40))
        let buildProgress = (live?.phase == "build") ? live : nil
        let runProgress = (live?.phase == "build") ? nil : live
        // A build that failed stays as far as it got, in the failed role; it is full only once the run started.
        let buildFailed = item.state == .failed && item.timestamps.building != nil && item.timestamps.running == nil
        drawBar(&buffer, label: "build", progress: buildProgress ?? (buildFailed ? item.progress : nil),
                done: item.timestamps.building != nil && (item.timestamps.running != nil || item.state == .succeeded),
                skipped: item.timestamps.building == nil, failed: buildFailed, y: y, width: barWidth)
        y += 1
        drawBar(&buffer, label: "run  ", progress: runProgress, done: item.state == .succeeded, skipped: false,
                failed: item.state == .failed && item.timestamps.running != nil, y: y, width: barWidth)
        y += 1
        if let error = item.error {
            buffer.put("error: " + TerminalTextSafety.inert(error), x: 0, y: y, role: .flashError, maxWidth: width)
            y += 1
        }
        let streamName = state.log.stream?.rawValue ?? "all streams"
        let inner = (x: 1, y: y + 1, width: width - 2, height: top + height - y - 2)

        let all = snapshot.logs[itemID] ?? []
        let lines = state.log.stream.map { stream in all.filter { $0.stream == stream } } ?? all
        // Unwrapped, a line is a row: only the rows on screen are prepared, so a full ring costs what fits the
        // screen. Wrapped, every line is measured to know where each row sits.
        let rowCount: Int
        let prepared: (Int) -> [(LogLine, String)]
        var firstRow: (Int) -> Int = { $0 }
        if state.log.wrap {
            var rows: [(LogLine, String)] = []
            var starts: [Int] = []
            for line in lines {
                starts.append(rows.count)
                rows += wrapped(displayText(line), width: max(1, inner.width - 9)).map { (line, $0) }
            }
            rowCount = rows.count
            prepared = { start in Array(rows.dropFirst(start).prefix(inner.height)) }
            firstRow = { starts.indices.contains($0) ? starts[$0] : 0 }
        } else {
            rowCount = lines.count
            prepared = { start in lines.dropFirst(start).prefix(max(0, inner.height)).map { ($0, displayText($0)) } }
        }
        let search = RowFilter(state.log.search.isEmpty ? nil : state.log.search)
        let matches = search.isEmpty ? [] : lines.indices.filter { search.matches(displayText(lines[$0])) }
        if let move = state.log.pendingMove {
            state.log.pendingMove = nil
            if !matches.isEmpty {
                let next: Int
                if let current = state.log.match, move != 0 {
                    next = (current + move + matches.count) % matches.count
                } else {
                    // The nearest match at or below the top of the view (the last one while following the end).
                    next = state.log.follow ? matches.count - 1 : (matches.firstIndex { firstRow($0) >= state.log.offset } ?? matches.count - 1)
                }
                state.log.match = next
                state.log.follow = false
                state.log.offset = max(0, firstRow(matches[next]) - max(0, inner.height / 3))
            }
        }
        let mode = state.log.follow ? "following" : "paused (f to follow)"
        let position = state.log.match.map { matches.isEmpty ? " 0/0" : " \(min($0, matches.count - 1) + 1)/\(matches.count)" } ?? (search.isEmpty ? "" : " \(matches.count) matches")
        let searchText = state.log.search.isEmpty ? "" : "  search /\(state.log.search)\(position)"
        buffer.box(x: 0, y: y, width: width, height: top + height - y, title: "Logs · \(streamName) · \(mode)\(state.log.wrap ? " · wrap" : "")\(searchText)", focused: true)
        guard inner.height > 0, inner.width > 0 else { return }
        state.viewRows = inner.height

        let maxOffset = max(0, rowCount - inner.height)
        if state.log.follow { state.log.offset = maxOffset } else { state.log.offset = min(state.log.offset, maxOffset) }
        let rows = prepared(state.log.offset)
        for (index, row) in rows.enumerated() {
            let (line, text) = row
            let rowY = inner.y + index
            let role: Role = switch line.stream {
            case .build: .logBuild
            case .stdout: .logStdout
            case .stderr: .logStderr
            case .agent: .logAgent
            }
            buffer.put(line.stream.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0), x: inner.x, y: rowY, role: .logTimestamp)
            let shown = buffer.put(text, x: inner.x + 8, y: rowY, role: role, maxWidth: inner.width - 8)
            if !search.isEmpty && search.matches(text) {
                buffer.restyle(x: inner.x + 8, y: rowY, width: shown, role: .logMatch)
            }
        }
        if rows.isEmpty {
            buffer.put(waitingText(item, snapshot), x: inner.x + 1, y: inner.y, role: item.state == .queued ? .flashWarn : .dim,
                       maxWidth: inner.width - 2)
        }
        if item.droppedLogLines > 0 {
            buffer.put(" \(item.droppedLogLines) older lines dropped ", x: width - 30, y: top + height - 1, role: .dim, maxWidth: 28)
        }
    }

    /// Why a queued item has not started: its queue is paused, or no live agent serves it, or it waits its turn.
    static func waitingText(_ item: LaunchItem, _ snapshot: DeckSnapshot) -> String {
        guard item.state == .queued else { return "no output yet" }
        return QueueWait.reason(queue: item.queue, snapshot) ?? "waiting for an agent…"
    }

    static func displayText(_ line: LogLine) -> String {
        DisplayWidth.truncate(TerminalTextSafety.inert(line.text), to: maxLineColumns)
    }

    static func drawBar(_ buffer: inout ScreenBuffer, label: String, progress: ItemProgress?, done: Bool, skipped: Bool, failed: Bool = false,
                        y: Int, width: Int) {
        let fraction = done ? 1 : (progress?.fraction ?? 0)
        let bar = Sparkline.bar(fraction, width: width)
        var text = "\(label) \(bar) "
        if skipped && progress == nil && !done {
            text = "\(label) " + String(repeating: " ", count: width) + " "
        }
        let used = buffer.put(text, x: 0, y: y, role: failed ? .stateFailed : (fraction >= 1 ? .graphLow : .graphMid))
        var detail = ""
        if let progress {
            detail = "\(Durations.number(progress.current))" + (progress.total.map { "/\(Durations.number($0))" } ?? "") + " " + progress.message
        } else if done {
            detail = "done"
        } else if failed {
            detail = "failed"
        } else if skipped && label.hasPrefix("build") {
            detail = "no build"
        }
        buffer.put(TerminalTextSafety.inert(detail), x: used, y: y, role: .normal, maxWidth: buffer.width - used)
    }

    static func wrapped(_ text: String, width: Int) -> [String] {
        var result: [String] = []
        var current = ""
        var used = 0
        for character in text {
            let characterWidth = DisplayWidth.of(character)
            if used + characterWidth > width {
                result.append(current)
                current = ""
                used = 0
            }
            current.append(character)
            used += characterWidth
        }
        result.append(current)
        return result
    }
}
