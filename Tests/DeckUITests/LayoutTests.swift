import Foundation
@testable import DeckUI
import LaunchModel
import Testing

/// The Items table fits its columns to the width (a percentage stays whole at 80 columns, ids are whole when there is
/// room), the sorted column says which way it goes, sorting by state puts failures first, a long list says where the
/// selection is and pages by what the pane shows, and detail times are local with their zone.
@Suite struct LayoutTests {
    func app(_ snapshot: DeckSnapshot) -> DeckApp {
        let deck = DeckApp()
        deck.state.selection[.queues] = "gpu"
        deck.receive(snapshot)
        deck.state.focus = .items
        return deck
    }

    static let runningID = "01HZX3K9Q2M7V5T8R4N6B1C0DE"

    func runningApp() -> DeckApp {
        app(SnapshotFixtures.snapshot(items: [SnapshotFixtures.item(Self.runningID, state: .running, agent: "ag1",
                                                                    progress: ItemProgress(phase: "run", current: 20, total: 100, message: "epoch 2"))],
                                      agents: [SnapshotFixtures.agent("ag1", name: "gpu-box")]))
    }

    @Test func aPercentageStaysWholeAt80Columns() throws {
        let screen = runningApp().render(width: 80, height: 24)
        let row = try #require(screen.lines.first { $0.contains("C0DE") && $0.contains("running") }, "\(screen.plainText)")
        #expect(row.contains("20%"), "\(screen.plainText)")
        #expect(!row.contains("2…"), "\(row)")
        #expect(screen.plainText.contains("PROGRESS"), "\(screen.plainText)")
    }

    @Test func wideTerminalsShowWholeIdsAndNarrowOnesKeepTheirEnd() throws {
        let wide = runningApp().render(width: 250, height: 45).plainText
        #expect(wide.contains(Self.runningID + " "), "\(wide)")
        let narrow = runningApp().render(width: 80, height: 24)
        let row = try #require(narrow.lines.first { $0.contains("running") && $0.contains("train") }, "\(narrow.plainText)")
        #expect(!row.contains(Self.runningID) && row.contains("…" + Self.runningID.suffix(11)), "\(row)")
    }

    /// One item in each state, two failed, in an order that is none of the sorted ones.
    static let mixed: [(String, ItemState)] = [
        ("01MIX0000000000000000000A1", .running), ("01MIX0000000000000000000A2", .failed), ("01MIX0000000000000000000A3", .succeeded),
        ("01MIX0000000000000000000A4", .queued), ("01MIX0000000000000000000A5", .cancelled), ("01MIX0000000000000000000A6", .building),
        ("01MIX0000000000000000000A7", .failed), ("01MIX0000000000000000000A8", .leased),
    ]

    func mixedApp() -> DeckApp {
        app(SnapshotFixtures.snapshot(items: Self.mixed.enumerated().map { index, entry in
            SnapshotFixtures.item(entry.0, state: entry.1, agent: entry.1.isInFlight ? "ag1" : nil, age: Double(1000 - index * 100))
        }, agents: [SnapshotFixtures.agent("ag1", name: "gpu-box")]))
    }

    /// Item ids in the order their rows are on screen.
    func shownOrder(_ screen: ScreenBuffer) -> [String] {
        screen.lines.compactMap { line in Self.mixed.map(\.0).first { line.contains($0) } }
    }

    /// The Items pane's header (on wide terminals the Queues pane's shares its row).
    func header(_ screen: ScreenBuffer) -> String {
        guard let line = screen.lines.first(where: { $0.contains("│ID ") && $0.contains("JOB") }), let start = line.range(of: "│ID ") else { return "" }
        return String(line[start.lowerBound...])
    }

    @Test func theSortedColumnShowsWhichWayItGoes() {
        let deck = mixedApp()
        var screen = deck.render(width: 250, height: 45)
        // By age, newest first: the ages go up the list.
        #expect(header(screen).contains("AGE▲"), "\(header(screen))")
        #expect(shownOrder(screen) == Self.mixed.map(\.0).reversed(), "\(screen.plainText)")
        _ = deck.handle(.character("S"))
        screen = deck.render(width: 250, height: 45)
        #expect(header(screen).contains("AGE▼") && !header(screen).contains("▲"), "\(header(screen))")
        #expect(shownOrder(screen) == Self.mixed.map(\.0), "\(screen.plainText)")
        _ = deck.handle(.character("S"))
        _ = deck.handle(.character("s"))
        screen = deck.render(width: 250, height: 45)
        #expect(header(screen).contains("JOB▲") && !header(screen).contains("AGE▲"), "\(header(screen))")
    }

    @Test func sortingByStatePutsFailuresFirstThenTheLifecycle() {
        let deck = mixedApp()
        for _ in 0..<3 { _ = deck.handle(.character("s")) }
        #expect(deck.state.sort[.items]?.column == Rows.itemSortColumns.firstIndex(of: "state"))
        var screen = deck.render(width: 250, height: 45)
        #expect(header(screen).contains("STATE▲"), "\(header(screen))")
        let states = Dictionary(uniqueKeysWithValues: Self.mixed)
        let order = shownOrder(screen)
        #expect(order.count == Self.mixed.count, "\(screen.plainText)")
        #expect(order.map { states[$0]! } == [.failed, .failed, .queued, .leased, .building, .running, .succeeded, .cancelled], "\(screen.plainText)")
        // The two failures newest first, as everywhere else.
        #expect(Array(order.prefix(2)) == ["01MIX0000000000000000000A7", "01MIX0000000000000000000A2"], "\(order)")
        _ = deck.handle(.character("S"))
        screen = deck.render(width: 250, height: 45)
        #expect(header(screen).contains("STATE▼"), "\(header(screen))")
        #expect(shownOrder(screen) == order.reversed(), "\(screen.plainText)")
    }

    static let longIDs = (0..<320).map { "01PAGE" + String(format: "%020d", $0) }

    @Test func aLongListSaysWhereTheSelectionIsAndPagesByWhatThePaneShows() throws {
        let deck = app(SnapshotFixtures.snapshot(items: Self.longIDs.map { SnapshotFixtures.item($0, state: .queued) }))
        var screen = deck.render(width: 120, height: 40)
        let rows = try #require(deck.state.pageRows[.items])
        #expect(rows > 5 && rows < 320)
        func border(_ screen: ScreenBuffer) -> String { screen.lines.last { $0.contains("┘") && $0.contains("/320") } ?? "" }
        #expect(border(screen).contains(" 1/320 "), "\(screen.plainText)")
        let ids = Rows.ids(.items, deck.snapshot, deck.state)
        #expect(deck.state.selection[.items] == ids[0])

        _ = deck.handle(.pageDown)
        #expect(deck.state.selection[.items] == ids[rows], "PgDn moves by the \(rows) rows the pane shows")
        screen = deck.render(width: 120, height: 40)
        #expect(border(screen).contains(" \(rows + 1)/320 "), "\(screen.plainText)")
        // The selected row is on screen, in the cursor role.
        let selected = try #require(screen.find(String(ids[rows].suffix(10))), "\(screen.plainText)")
        #expect(screen[selected.x, selected.y].role == .cursor)

        _ = deck.handle(.pageDown)
        #expect(deck.state.selection[.items] == ids[2 * rows])
        #expect(border(deck.render(width: 120, height: 40)).contains(" \(2 * rows + 1)/320 "))
        _ = deck.handle(.pageUp)
        #expect(deck.state.selection[.items] == ids[rows])
        _ = deck.handle(.character("G"))
        #expect(border(deck.render(width: 120, height: 40)).contains(" 320/320 "))
        _ = deck.handle(.pageDown)
        #expect(deck.state.selection[.items] == ids[319], "PgDn at the end stays on the last row")
    }

    @Test func aShortListHasNoPosition() {
        let screen = runningApp().render(width: 120, height: 40)
        #expect(!screen.plainText.contains("1/1 "), "\(screen.plainText)")
    }

    @Test func detailTimesAreLocalWithTheirZone() throws {
        let deck = runningApp()
        _ = deck.handle(.character("d"))
        let text = deck.render(width: 120, height: 40).plainText
        let item = try #require(deck.snapshot.item(Self.runningID))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss xxx"
        let enqueued = formatter.string(from: item.timestamps.enqueued)
        #expect(text.contains("Enqueued        \(enqueued)"), "\(text)")
        #expect(text.contains("Running         \(formatter.string(from: item.timestamps.running!))"), "\(text)")
        #expect(text.contains(#/Enqueued +\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{2}:\d{2}/#), "\(text)")
    }
}
