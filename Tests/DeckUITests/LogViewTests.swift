import Foundation
@testable import DeckUI
import LaunchModel
import Testing

/// The log view's search says which match it is on and `n`/`N` walk the matches; an item's detail leads to the item
/// it relaunches and to its relaunches (Tab chooses, Enter opens), and lists its attempts from the agent-stream lines.
@Suite struct LogViewTests {
    static let itemID = "01LOGITEM00000000000000001"

    /// 40 lines; the odd ones below 34 (17 of them) mention the loss, the others do not.
    static func lines() -> [LogLine] {
        (0..<40).map { index in
            let text = index % 2 == 1 && index < 34 ? "step \(index) loss 0.\(index)" : "step \(index) lr 0.1"
            return LogLine(stream: .stdout, at: SnapshotFixtures.now.addingTimeInterval(Double(index)), text: text, sequence: Int64(index))
        }
    }

    func app(items: [LaunchItem], logs: [String: [LogLine]] = [:]) -> DeckApp {
        var snapshot = SnapshotFixtures.snapshot(items: items, agents: [SnapshotFixtures.agent("ag1", name: "gpu-box")])
        snapshot.logs = logs
        let deck = DeckApp()
        deck.state.selection[.queues] = "gpu"
        deck.receive(snapshot)
        deck.state.focus = .items
        return deck
    }

    func logApp() -> DeckApp {
        let deck = app(items: [SnapshotFixtures.item(Self.itemID, state: .running, agent: "ag1")], logs: [Self.itemID: Self.lines()])
        _ = deck.handle(.character("l"))
        return deck
    }

    func search(_ text: String, in deck: DeckApp) {
        _ = deck.handle(.character("/"))
        for character in text { _ = deck.handle(.character(character)) }
        _ = deck.handle(.enter)
    }

    /// The log box's title row.
    func title(_ screen: ScreenBuffer) -> String {
        screen.lines.first { $0.contains("Logs ·") } ?? ""
    }

    @Test func searchShowsWhichMatchAndNAndCapitalNWalkThem() throws {
        let deck = logApp()
        #expect(deck.state.screen == .log(item: Self.itemID))
        // From the top of the log: the nearest match is the first.
        _ = deck.handle(.character("g"))
        search("loss", in: deck)
        var screen = deck.render(width: 120, height: 30)
        #expect(title(screen).contains("search /loss 1/17"), "\(screen.plainText)")
        // The match is on screen, in the match role.
        let first = try #require(screen.find("step 1 loss 0.1"), "\(screen.plainText)")
        #expect(screen[first.x, first.y].role == .logMatch)
        _ = deck.handle(.character("n"))
        screen = deck.render(width: 120, height: 30)
        #expect(title(screen).contains("search /loss 2/17"), "\(screen.plainText)")
        #expect(screen.find("step 3 loss 0.3") != nil, "\(screen.plainText)")
        _ = deck.handle(.character("n"))
        #expect(title(deck.render(width: 120, height: 30)).contains("/loss 3/17"))
        _ = deck.handle(.character("N"))
        #expect(title(deck.render(width: 120, height: 30)).contains("/loss 2/17"))
        _ = deck.handle(.character("N"))
        #expect(title(deck.render(width: 120, height: 30)).contains("/loss 1/17"))
        // Before the first comes the last.
        _ = deck.handle(.character("N"))
        screen = deck.render(width: 120, height: 30)
        #expect(title(screen).contains("/loss 17/17"), "\(screen.plainText)")
        #expect(screen.find("step 33 loss 0.33") != nil, "\(screen.plainText)")
    }

    @Test func searchWhileFollowingTheEndGoesToTheLastMatch() {
        let deck = logApp()
        search("loss", in: deck)
        let screen = deck.render(width: 120, height: 30)
        #expect(title(screen).contains("search /loss 17/17"), "\(screen.plainText)")
        #expect(title(screen).contains("paused (f to follow)"), "a search stops following: \(title(screen))")
        _ = deck.handle(.character("n"))
        #expect(title(deck.render(width: 120, height: 30)).contains("/loss 1/17"))
    }

    @Test func nWithoutASearchSaysToSearchFirst() {
        let deck = logApp()
        _ = deck.handle(.character("n"))
        let text = deck.render(width: 120, height: 30).plainText
        #expect(text.contains("search first with /"), "\(text)")
    }

    static let originalID = "01ORIGINAL0000000000000001"
    static let firstRelaunchID = "01RELAUNCH0000000000000001"
    static let secondRelaunchID = "01RELAUNCH0000000000000002"

    func relaunchApp(relaunches: Int) -> DeckApp {
        var items = [SnapshotFixtures.item(Self.originalID, state: .failed, age: 300)]
        for (index, id) in [Self.firstRelaunchID, Self.secondRelaunchID].prefix(relaunches).enumerated() {
            var relaunch = SnapshotFixtures.item(id, state: .running, agent: "ag1", age: Double(200 - index * 50))
            relaunch.relaunchOf = Self.originalID
            items.append(relaunch)
        }
        return app(items: items)
    }

    @Test func describeOfARelaunchListsWhatItRelaunchesAndEnterOpensIt() {
        let deck = relaunchApp(relaunches: 1)
        deck.state.selection[.items] = Self.firstRelaunchID
        _ = deck.handle(.character("d"))
        var text = deck.render(width: 120, height: 40).plainText
        #expect(text.contains("Item \(Self.firstRelaunchID)"), "\(text)")
        #expect(text.contains("Relaunch of     \(Self.originalID)  (Enter opens it)"), "\(text)")
        _ = deck.handle(.enter)
        #expect(deck.state.screen == .detail(.item(Self.originalID)))
        text = deck.render(width: 120, height: 40).plainText
        #expect(text.contains("Item \(Self.originalID)"), "\(text)")
        #expect(text.contains("Relaunched as   \(Self.firstRelaunchID)"), "\(text)")
        // And back the way it came.
        _ = deck.handle(.escape)
        #expect(deck.render(width: 120, height: 40).plainText.contains("Item \(Self.firstRelaunchID)"))
    }

    @Test func describeOfARelaunchedItemListsItsRelaunchesAndTabChoosesWhichEnterOpens() throws {
        let deck = relaunchApp(relaunches: 2)
        deck.state.selection[.items] = Self.originalID
        _ = deck.handle(.character("d"))
        let screen = deck.render(width: 120, height: 40)
        let links = screen.lines.filter { $0.contains("Relaunched as") }
        #expect(links.count == 2, "\(screen.plainText)")
        #expect(links.contains { $0.contains(Self.firstRelaunchID) } && links.contains { $0.contains(Self.secondRelaunchID) }, "\(screen.plainText)")
        #expect(links.filter { $0.contains("(Enter opens it)") }.count == 1, "one link is chosen: \(links)")
        #expect(!screen.plainText.contains("Relaunch of "), "it relaunches nothing itself")
        func chosen() throws -> String {
            let line = try #require(deck.render(width: 120, height: 40).lines.first { $0.contains("Relaunched as") && $0.contains("(Enter opens it)") })
            return [Self.firstRelaunchID, Self.secondRelaunchID].first { line.contains($0) } ?? ""
        }
        let before = try chosen()
        _ = deck.handle(.tab)
        let after = try chosen()
        #expect(before != after, "Tab chooses the other link")
        _ = deck.handle(.enter)
        #expect(deck.state.screen == .detail(.item(after)))
        let opened = deck.render(width: 120, height: 40).plainText
        #expect(opened.contains("Item \(after)") && opened.contains("Relaunch of     \(Self.originalID)"), "\(opened)")
    }

    @Test func enterOnADetailWithoutLinksSaysThereIsNothingToOpen() {
        let deck = relaunchApp(relaunches: 0)
        _ = deck.handle(.character("d"))
        _ = deck.handle(.enter)
        #expect(deck.state.screen == .detail(.item(Self.originalID)))
        #expect(deck.render(width: 120, height: 40).plainText.contains("nothing to open here"))
    }

    @Test func describeListsEachAttemptFromTheAgentStream() throws {
        let started = SnapshotFixtures.now.addingTimeInterval(-600)
        let again = SnapshotFixtures.now.addingTimeInterval(-120)
        let logs = [
            LogLine(stream: .agent, at: started, text: AttemptLog.started(number: 1, of: 3, agent: "gpu-box", host: "node-1"), sequence: 1),
            LogLine(stream: .stdout, at: started.addingTimeInterval(5), text: "attempt 1 of 3 on agent fake (host fake)", sequence: 2),
            LogLine(stream: .agent, at: started.addingTimeInterval(90), text: AttemptLog.leaseLost(number: 1, agent: "gpu-box", next: .queued), sequence: 3),
            LogLine(stream: .agent, at: again, text: AttemptLog.started(number: 2, of: 3, agent: "cpu-box", host: "node-2"), sequence: 4),
        ]
        var item = SnapshotFixtures.item(Self.itemID, state: .running, agent: "ag1")
        item.attempts = 2
        let deck = app(items: [item], logs: [Self.itemID: logs])
        _ = deck.handle(.character("d"))
        let screen = deck.render(width: 140, height: 50)
        let text = screen.plainText
        let header = try #require(screen.lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("│ Attempts") && !$0.contains(" of ") },
                                  "no Attempts section:\n\(text)")
        let first = screen.lines[header + 1]
        let second = screen.lines[header + 2]
        #expect(first.contains("1  \(LocalTime.format(started))  agent gpu-box on node-1"), "\(text)")
        #expect(first.contains("lost its lease: back in the queue"), "\(text)")
        #expect(second.contains("2  \(LocalTime.format(again))  agent cpu-box on node-2"), "\(text)")
        #expect(!second.contains("lost its lease"), "\(text)")
        // Job output that looks like an attempt line is not one.
        #expect(!text.contains("agent fake"), "\(text)")
        #expect(text.contains("Attempts        2 of 3"), "\(text)")
    }
}
