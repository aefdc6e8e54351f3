import Foundation
@testable import DeckUI
import LaunchModel
import Testing

/// Quitting never throws the dashboard's own running work away unasked: with items in flight on its agent, `q` asks
/// (keep them running, stop the agent, or stay) and only an answer quits. `q` in a sub-view goes back, as in less and
/// k9s, while `:q` quits from anywhere; "terminal too small" answers nothing but quitting; Ctrl-C leaves a form or a
/// prompt without leaving the dashboard.
@Suite struct QuitAndSubViewTests {
    static let ownAgent = "01AGENTOWN0000000000000000"
    static let itemID = "01AAAAAAAAAAAAAAAAAAAAAAAA"

    /// The dashboard on the gpu queue, with one running item on its own agent when `inFlight`.
    func app(inFlight: Int) -> DeckApp {
        var snapshot = SnapshotFixtures.snapshot(items: [SnapshotFixtures.item(Self.itemID, state: .running, agent: Self.ownAgent)],
                                                 agents: [SnapshotFixtures.agent(Self.ownAgent, name: "deck-agent")])
        if inFlight > 0 { snapshot.inFlightByAgent[Self.ownAgent] = inFlight }
        let deck = DeckApp()
        deck.state.ownAgent = Self.ownAgent
        deck.state.selection[.queues] = "gpu"
        deck.receive(snapshot)
        return deck
    }

    /// The quit choices among some effects (one, or none).
    func quits(_ effects: [Effect]) -> [QuitChoice] {
        effects.compactMap { if case .quit(let choice) = $0 { choice } else { nil } }
    }

    func isChoiceOpen(_ deck: DeckApp) -> Bool {
        if case .choice? = deck.state.overlay { true } else { false }
    }

    @Test func qWithWorkInFlightOnTheOwnAgentAsksFirstAndEnterKeepsItRunning() {
        let deck = app(inFlight: 1)
        let effects = deck.handle(.character("q"))
        #expect(quits(effects).isEmpty, "q must ask before quitting: \(effects)")
        #expect(!deck.state.quit)
        #expect(isChoiceOpen(deck))
        let text = deck.render(width: 120, height: 30).plainText
        #expect(text.contains(" Quit "), "\(text)")
        #expect(text.contains("1 item runs on this dashboard's agent deck-agent"), "\(text)")
        #expect(text.contains("Keep it running in the background, and quit"), "\(text)")
        #expect(text.contains("Stop the agent"), "\(text)")
        #expect(text.contains("Cancel: stay in the dashboard"), "\(text)")
        // Enter takes the highlighted answer, the first: the work keeps running.
        #expect(quits(deck.handle(.enter)) == [.keepRunning])
        #expect(deck.state.quit)
        #expect(deck.state.overlay == nil)
    }

    @Test func theStopAnswerQuitsAndStopsTheOwnAgent() {
        let deck = app(inFlight: 2)
        _ = deck.handle(.character("q"))
        let text = deck.render(width: 120, height: 30).plainText
        #expect(text.contains("2 items run on this dashboard's agent deck-agent"), "\(text)")
        #expect(quits(deck.handle(.character("s"))) == [.stop])
        #expect(deck.state.quit)
    }

    @Test func theStayAnswerAndEscBothStayInTheDashboard() {
        for key in [Key.character("c"), .escape] {
            let deck = app(inFlight: 1)
            _ = deck.handle(.character("q"))
            #expect(isChoiceOpen(deck))
            let effects = deck.handle(key)
            #expect(quits(effects).isEmpty, "\(key.label): \(effects)")
            #expect(!deck.state.quit, "\(key.label)")
            #expect(deck.state.overlay == nil, "\(key.label)")
            let text = deck.render(width: 120, height: 30).plainText
            #expect(!text.contains("Cancel: stay in the dashboard"), "\(key.label): the dialog is still drawn\n\(text)")
        }
    }

    @Test func downThenEnterTakesTheSecondAnswer() {
        let deck = app(inFlight: 1)
        _ = deck.handle(.character("q"))
        _ = deck.handle(.down)
        #expect(quits(deck.handle(.enter)) == [.stop])
    }

    @Test func qWithNothingInFlightQuitsAtOnceAndStopsTheAgentIfIdle() {
        let deck = app(inFlight: 0)
        let effects = deck.handle(.character("q"))
        #expect(quits(effects) == [.stopIfIdle])
        #expect(deck.state.quit)
        #expect(deck.state.overlay == nil)
    }

    /// `l`, `d` and `y` open the log, describe and configuration views; `q` there goes back to the main screen.
    @Test func qInASubViewGoesBackToTheMainScreenWithoutQuitting() {
        let views: [(open: Key, focus: Pane, title: String)] = [
            (.character("l"), .items, "Logs ·"), (.character("d"), .items, "Item \(Self.itemID)"), (.character("y"), .queues, "Configuration of gpu"),
        ]
        for view in views {
            let deck = app(inFlight: 0)
            deck.state.focus = view.focus
            _ = deck.handle(view.open)
            #expect(deck.state.screen != .main, "\(view.open.label) opened no view")
            let opened = deck.render(width: 120, height: 30).plainText
            #expect(opened.contains(view.title), "\(view.open.label):\n\(opened)")
            let effects = deck.handle(.character("q"))
            #expect(quits(effects).isEmpty, "q in \(view.title) quit: \(effects)")
            #expect(!deck.state.quit)
            #expect(deck.state.screen == .main)
            let back = deck.render(width: 120, height: 30).plainText
            #expect(back.contains("[1] Queues") && !back.contains(view.title), "\(view.title):\n\(back)")
        }
    }

    @Test func colonQQuitsFromTheLogView() {
        let deck = app(inFlight: 0)
        deck.state.focus = .items
        _ = deck.handle(.character("l"))
        #expect(deck.state.screen == .log(item: Self.itemID))
        _ = deck.handle(.character(":"))
        #expect(quits(deck.handle(.character("q"))).isEmpty, "q typed into the prompt is text")
        #expect(deck.render(width: 120, height: 30).plainText.contains(":q"))
        #expect(quits(deck.handle(.enter)) == [.stopIfIdle])
        #expect(deck.state.quit)
    }

    /// While "terminal too small" is all there is to see, keys must not change what is behind it.
    @Test func aTooSmallTerminalAnswersOnlyQuit() {
        let deck = app(inFlight: 0)
        deck.state.focus = .queues
        let small = deck.render(width: 30, height: 8).plainText
        #expect(small.contains("terminal too small"), "\(small)")
        for key in [Key.character("n"), .character("2"), .character("/"), .character("d"), .character(":"), .enter, .character("?")] {
            let effects = deck.handle(key)
            #expect(effects.isEmpty, "\(key.label): \(effects)")
            #expect(deck.state.overlay == nil, "\(key.label) opened an overlay")
            #expect(deck.state.screen == .main, "\(key.label) opened \(deck.state.screen)")
            #expect(deck.state.focus == .queues, "\(key.label) moved the focus to \(deck.state.focus)")
        }
        #expect(deck.render(width: 30, height: 8).plainText.contains("terminal too small"))
        #expect(quits(deck.handle(.character("q"))).count == 1)
        #expect(deck.state.quit)
    }

    @Test func ctrlCClosesTheEnqueueFormWithoutQuitting() {
        let deck = app(inFlight: 0)
        _ = deck.handle(.character("n"))
        guard case .form? = deck.state.overlay else { Issue.record("n opened no form"); return }
        #expect(deck.render(width: 120, height: 40).plainText.contains("Enqueue on gpu"))
        let effects = deck.handle(.control("c"))
        #expect(effects.isEmpty, "\(effects)")
        #expect(!deck.state.quit)
        #expect(deck.state.overlay == nil)
        #expect(!deck.render(width: 120, height: 40).plainText.contains("Enqueue on gpu"))
    }

    @Test func ctrlCClosesTheFilterAndCommandPromptsWithoutQuitting() {
        for opener in [Key.character("/"), .character(":")] {
            let deck = app(inFlight: 0)
            deck.state.focus = .items
            _ = deck.handle(opener)
            _ = deck.handle(.character("x"))
            let open = deck.render(width: 120, height: 30).plainText
            #expect(open.contains(opener.label + "x"), "\(open)")
            let effects = deck.handle(.control("c"))
            #expect(effects.isEmpty, "\(opener.label): \(effects)")
            #expect(!deck.state.quit, "\(opener.label)")
            #expect(deck.state.overlay == nil, "\(opener.label)")
            #expect(deck.state.filters[.pane(.items)] == nil, "Ctrl-C leaves the filter as Esc does")
            let after = deck.render(width: 120, height: 30).plainText
            #expect(!after.contains(opener.label + "x"), "\(opener.label): the prompt is still drawn\n\(after)")
        }
    }
}
