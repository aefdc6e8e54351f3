import Foundation
@testable import DeckUI
import LaunchModel
import Testing

/// Ids leave the dashboard whole (`c` copies the full item id, not the shortened cell), stopping an agent asks first,
/// `:items QUEUE` and `:queue QUEUE` go where they say with Tab completing queue names, and the Items filter matches
/// what the row shows (the agent's name, not its id) and says so when nothing matches.
@Suite struct IdsAndCommandsTests {
    static let trainID = "01HZX3K9Q2M7V5T8R4N6B1C0DE"
    static let evalID = "01HZX3K9Q2M7V5T8R4N6B1C0XY"
    static let cpuID = "01CPUITEM00000000000000001"
    static let gpuAgent = "01AGENTGPU0000000000000000"
    static let cpuAgent = "01AGENTCPU0000000000000000"

    func snapshot() -> DeckSnapshot {
        SnapshotFixtures.snapshot(
            items: [SnapshotFixtures.item(Self.trainID, state: .running, agent: Self.gpuAgent),
                    SnapshotFixtures.item(Self.evalID, job: "evaluate", state: .running, agent: Self.cpuAgent),
                    SnapshotFixtures.item(Self.cpuID, queue: "cpu", state: .queued)],
            queues: [SnapshotFixtures.queue("gpu"), SnapshotFixtures.queue("cpu"), SnapshotFixtures.queue("gpu-large")],
            agents: [SnapshotFixtures.agent(Self.gpuAgent, name: "gpu-box"), SnapshotFixtures.agent(Self.cpuAgent, name: "cpu-box")])
    }

    /// The dashboard on the gpu queue, Items focused.
    func app() -> DeckApp {
        let deck = DeckApp()
        deck.state.selection[.queues] = "gpu"
        deck.receive(snapshot())
        deck.state.focus = .items
        return deck
    }

    func type(_ text: String, into deck: DeckApp) {
        for character in text { _ = deck.handle(.character(character)) }
    }

    @Test func cCopiesTheFullItemIdEvenWhereTheCellIsShortened() throws {
        let deck = app()
        deck.state.selection[.items] = Self.trainID
        // At 80 columns the ID cell holds 12 columns: the copy must not be what the cell shows.
        let text = deck.render(width: 80, height: 24).plainText
        #expect(!text.contains(Self.trainID), "\(text)")
        let effects = deck.handle(.character("c"))
        guard case .copy(let copied)? = effects.first, effects.count == 1 else { Issue.record("no copy: \(effects)"); return }
        #expect(copied == Self.trainID)
        // Said on the flash line (read from the state: the action stamps it with the wall clock, not the fixtures').
        #expect(deck.state.flash?.text == "copied \(Self.trainID)")
    }

    @Test func xOnAnAgentAsksNamingItAndOnlyYesStopsIt() {
        let deck = app()
        deck.state.focus = .agents
        deck.state.selection[.agents] = Self.gpuAgent
        #expect(deck.handle(.character("x")).isEmpty, "x must ask before stopping")
        let text = deck.render(width: 120, height: 30).plainText
        #expect(text.contains("Stop agent gpu-box on node-1?"), "\(text)")
        #expect(text.contains("[ No ]"), "\(text)")
        // No, Esc and Enter alone (the default No) stop nothing.
        for key in [Key.character("n"), .escape, .enter] {
            if case .confirm? = deck.state.overlay {} else { _ = deck.handle(.character("x")) }
            #expect(deck.handle(key).isEmpty, "\(key.label) stopped the agent")
            #expect(deck.state.overlay == nil)
        }
        _ = deck.handle(.character("x"))
        let effects = deck.handle(.character("y"))
        guard case .stopAgent(let id)? = effects.first, effects.count == 1 else { Issue.record("no stop: \(effects)"); return }
        #expect(id == Self.gpuAgent)
        // Yes by moving to it and Enter, too.
        _ = deck.handle(.character("x"))
        _ = deck.handle(.right)
        #expect(deck.render(width: 120, height: 30).plainText.contains("[ Yes ]"))
        guard case .stopAgent(let again)? = deck.handle(.enter).first else { Issue.record("no stop on Yes + Enter"); return }
        #expect(again == Self.gpuAgent)
    }

    @Test func colonItemsQueueShowsThatQueuesItems() {
        let deck = app()
        deck.state.focus = .queues
        _ = deck.handle(.character(":"))
        type("items cpu", into: deck)
        #expect(deck.handle(.enter).isEmpty)
        #expect(deck.state.focus == .items)
        let text = deck.render(width: 120, height: 30).plainText
        #expect(text.contains("Items of cpu (1)"), "\(text)")
        #expect(text.contains(String(Self.cpuID.suffix(10))) && !text.contains(String(Self.trainID.suffix(10))), "\(text)")
    }

    @Test func colonItemsOfAnUnknownQueueSaysSo() {
        let deck = app()
        _ = deck.handle(.character(":"))
        type("items nosuch", into: deck)
        _ = deck.handle(.enter)
        let text = deck.render(width: 140, height: 30).plainText
        #expect(text.contains("no queue nosuch"), "\(text)")
        #expect(text.contains("Items of gpu"), "\(text)")
    }

    @Test func colonQueueSelectsThatQueue() {
        let deck = app()
        _ = deck.handle(.character(":"))
        type("queue cpu", into: deck)
        _ = deck.handle(.enter)
        #expect(deck.state.selection[.queues] == "cpu")
        #expect(deck.state.selectedQueue == "cpu")
        #expect(deck.state.focus == .queues)
        let text = deck.render(width: 120, height: 30).plainText
        #expect(text.contains("Items of cpu (1)"), "\(text)")
    }

    @Test func tabCompletesAQueueNameInTheItemsPrompt() {
        let deck = app()
        _ = deck.handle(.character(":"))
        type("it", into: deck)
        _ = deck.handle(.tab)
        guard case .command(let command)? = deck.state.overlay else { Issue.record("no prompt"); return }
        #expect(command == "items ", "the command completes with its space")
        type("c", into: deck)
        _ = deck.handle(.tab)
        guard case .command(let text)? = deck.state.overlay else { Issue.record("no prompt"); return }
        #expect(text == "items cpu")
        #expect(deck.render(width: 120, height: 30).plainText.contains(":items cpu"))
        // Two queues start with "g": Tab goes as far as they agree.
        for _ in 0..<3 { _ = deck.handle(.backspace) }
        type("g", into: deck)
        _ = deck.handle(.tab)
        guard case .command(let shared)? = deck.state.overlay else { Issue.record("no prompt"); return }
        #expect(shared == "items gpu")
        type("-", into: deck)
        _ = deck.handle(.tab)
        guard case .command(let whole)? = deck.state.overlay else { Issue.record("no prompt"); return }
        #expect(whole == "items gpu-large")
        _ = deck.handle(.enter)
        #expect(deck.render(width: 120, height: 30).plainText.contains("Items of gpu-large (0)"))
    }

    /// The row shows the agent's name, so the filter finds it by that name though the item records only the id.
    @Test func theItemsFilterMatchesTheAgentsName() {
        let deck = app()
        _ = deck.handle(.character("/"))
        type("gpu-box", into: deck)
        _ = deck.handle(.enter)
        let text = deck.render(width: 250, height: 40).plainText
        #expect(text.contains("Items of gpu (1) /gpu-box"), "\(text)")
        #expect(text.contains(Self.trainID) && !text.contains(Self.evalID), "\(text)")
        #expect(deck.state.selection[.items] == Self.trainID)
    }

    @Test func aFilterMatchingNothingSaysSoAndHowToClearIt() {
        let deck = app()
        _ = deck.handle(.character("/"))
        type("zzz", into: deck)
        _ = deck.handle(.enter)
        let text = deck.render(width: 120, height: 30).plainText
        #expect(text.contains("no items match /zzz · Esc clears"), "\(text)")
        #expect(text.contains("Items of gpu (0) /zzz"), "\(text)")
        _ = deck.handle(.escape)
        let cleared = deck.render(width: 250, height: 40).plainText
        #expect(!cleared.contains("no items match") && cleared.contains(Self.trainID), "\(cleared)")
    }

    /// `:backend NAME` asks the host to switch, completing the names it knows; a name it does not know changes nothing.
    @Test func backendCommandCompletesKnownNamesAndRefusesOthers() {
        let deck = app()
        deck.backendNames = ["embedded", "team", "team-eu"]
        deck.context = "/home/me/.local/share/launchdeck"
        _ = deck.handle(.character(":"))
        type("back", into: deck)
        _ = deck.handle(.tab)
        guard case .command(let command)? = deck.state.overlay else { Issue.record("no prompt"); return }
        #expect(command == "backend ")
        type("e", into: deck)
        _ = deck.handle(.tab)
        guard case .command(let embedded)? = deck.state.overlay else { Issue.record("no prompt"); return }
        #expect(embedded == "backend embedded")
        let effects = deck.handle(.enter)
        guard case .switchBackend(let name)? = effects.first, effects.count == 1 else { Issue.record("no switch: \(effects)"); return }
        #expect(name == "embedded")

        _ = deck.handle(.character(":"))
        type("backend elsewhere", into: deck)
        #expect(deck.handle(.enter).isEmpty)
        #expect(deck.state.flash?.text.contains("no backend elsewhere (embedded, team, team-eu") == true, "\(String(describing: deck.state.flash))")
        _ = deck.handle(.character(":"))
        type("backend", into: deck)
        #expect(deck.handle(.enter).isEmpty, "without a name it only says what there is")
        #expect(deck.state.flash?.text == "showing /home/me/.local/share/launchdeck; :backend NAME (embedded, team, team-eu)")
    }

    /// A host that cannot switch (a test, a snapshot tool) says so rather than offering names it cannot open.
    @Test func backendCommandIsRefusedWhereTheHostCannotSwitch() {
        let deck = app()
        _ = deck.handle(.character(":"))
        type("backend team", into: deck)
        #expect(deck.handle(.enter).isEmpty)
        #expect(deck.state.flash?.text == ":backend is not available here")
    }
}
