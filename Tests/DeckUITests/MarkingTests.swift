import Foundation
@testable import DeckUI
import LaunchModel
import LaunchStore
import Testing

/// Space marks items, the screen says how many and which, and cancel (Ctrl-D) and relaunch (r) then act on exactly
/// the marked ones after one confirmation that states the count; `R` relaunches one item with changes through the
/// enqueue form, which records what it relaunches.
@Suite struct MarkingTests {
    /// Five items of gpu; the Items pane lists them newest first: 5, 4, 3, 2, 1.
    static let ids = (1...5).map { "01MARK" + String(repeating: "0", count: 19) + "\($0)" }

    func app(_ state: ItemState = .queued) -> DeckApp {
        let items = Self.ids.enumerated().map { SnapshotFixtures.item($0.element, state: state, age: Double(600 - $0.offset * 60)) }
        let deck = DeckApp()
        deck.state.selection[.queues] = "gpu"
        deck.receive(SnapshotFixtures.snapshot(items: items))
        deck.state.focus = .items
        return deck
    }

    /// Marks the first three rows (items 5, 4 and 3).
    func markThree(_ deck: DeckApp) -> Set<String> {
        for _ in 0..<3 { _ = deck.handle(.character(" ")) }
        return Set(Self.ids.suffix(3))
    }

    /// The screen row showing an item, found by the end of its id (the cell keeps the end).
    func row(of id: String, in screen: ScreenBuffer) -> String? {
        screen.lines.first { $0.contains(String(id.suffix(8))) && $0.contains("queued") }
    }

    @Test func spaceMarksTheSelectedItemAndMovesDown() {
        let deck = app()
        #expect(deck.state.selection[.items] == Self.ids[4])
        _ = deck.handle(.character(" "))
        #expect(deck.state.marked == [Self.ids[4]])
        #expect(deck.state.selection[.items] == Self.ids[3], "Space moves to the next row")
        // Space on a marked item unmarks it.
        _ = deck.handle(.up)
        _ = deck.handle(.character(" "))
        #expect(deck.state.marked.isEmpty)
    }

    @Test func theTitleCountsTheMarkedItemsAndTheirRowsShowTheMark() throws {
        let deck = app()
        let marked = markThree(deck)
        #expect(deck.state.marked == marked)
        for width in [80, 140, 250] {
            let screen = deck.render(width: width, height: 30)
            let text = screen.plainText
            #expect(text.contains("Items of gpu (5) · 3 marked"), "\(width) columns:\n\(text)")
            for id in Self.ids {
                let line = try #require(row(of: id, in: screen), "\(id) not on screen at \(width) columns:\n\(text)")
                #expect(line.contains("✓") == marked.contains(id), "\(width) columns, \(id): \(line)")
            }
        }
        // Esc on the Items pane clears the marks first.
        _ = deck.handle(.escape)
        #expect(deck.state.marked.isEmpty)
        #expect(!deck.render(width: 140, height: 30).plainText.contains("marked"))
    }

    @Test func ctrlDCancelsExactlyTheMarkedItemsAfterOneConfirmation() {
        let deck = app()
        let marked = markThree(deck)
        #expect(deck.handle(.control("d")).isEmpty, "Ctrl-D must ask first")
        let text = deck.render(width: 140, height: 30).plainText
        #expect(text.contains("Cancel 3 items"), "\(text)")
        #expect(text.contains("Cancel the 3 marked items that are not finished?"), "\(text)")
        #expect(deck.handle(.enter).isEmpty, "Enter alone answers No")
        #expect(deck.state.overlay == nil)
        _ = deck.handle(.control("d"))
        _ = deck.handle(.right)
        let effects = deck.handle(.enter)
        guard case .cancel(let items)? = effects.first, effects.count == 1 else { Issue.record("no cancel: \(effects)"); return }
        #expect(items.count == 3)
        #expect(Set(items) == marked)
    }

    @Test func cancelSkipsMarkedItemsThatAlreadyFinished() {
        let items = [SnapshotFixtures.item(Self.ids[0], state: .succeeded), SnapshotFixtures.item(Self.ids[1], state: .running),
                     SnapshotFixtures.item(Self.ids[2], state: .queued)]
        let deck = DeckApp()
        deck.state.selection[.queues] = "gpu"
        deck.receive(SnapshotFixtures.snapshot(items: items))
        deck.state.focus = .items
        for _ in 0..<3 { _ = deck.handle(.character(" ")) }
        _ = deck.handle(.control("d"))
        let text = deck.render(width: 140, height: 30).plainText
        #expect(text.contains("Cancel the 2 marked items that are not finished?"), "\(text)")
        guard case .cancel(let cancelled)? = deck.handle(.character("y")).first else { Issue.record("no cancel"); return }
        #expect(Set(cancelled) == [Self.ids[1], Self.ids[2]])
    }

    @Test func rRelaunchesExactlyTheMarkedItemsAfterConfirming() {
        let deck = app(.failed)
        let marked = markThree(deck)
        #expect(deck.handle(.character("r")).isEmpty, "r on several items must ask first")
        let text = deck.render(width: 140, height: 30).plainText
        #expect(text.contains("Relaunch the 3 marked items?"), "\(text)")
        #expect(deck.handle(.character("n")).isEmpty)
        _ = deck.handle(.character("r"))
        let effects = deck.handle(.character("y"))
        guard case .relaunch(let items)? = effects.first, effects.count == 1 else { Issue.record("no relaunch: \(effects)"); return }
        #expect(items.count == 3)
        #expect(Set(items) == marked)
    }

    @Test func rWithoutMarksRelaunchesTheSelectedItemAtOnce() {
        let deck = app(.failed)
        guard case .relaunch(let items)? = deck.handle(.character("r")).first else { Issue.record("no relaunch"); return }
        #expect(items == [Self.ids[4]])
    }

    @Test func capitalROpensTheRelaunchFormAndItsRequestRecordsTheItem() {
        let deck = app(.failed)
        let id = Self.ids[4]
        #expect(deck.handle(.character("R")).isEmpty)
        guard case .form(let form)? = deck.state.overlay else { Issue.record("R opened no form"); return }
        #expect(form.relaunchOf == id)
        let text = deck.render(width: 140, height: 40).plainText
        #expect(text.contains("Relaunch \(id) with changes"), "\(text)")
        #expect(!text.contains("Enqueue on gpu"), "\(text)")
        let effects = deck.handle(.enter)
        guard case .enqueue(let request)? = effects.first, effects.count == 1 else { Issue.record("no enqueue: \(effects)"); return }
        #expect(request.relaunchOf == id)
        #expect(request.queue == "gpu" && request.job.name == "train" && request.job.version == 1)
    }
}
