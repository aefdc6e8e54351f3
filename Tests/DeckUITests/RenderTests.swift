import Foundation
@testable import DeckUI
import LaunchModel
import Testing

@Suite struct RenderTests {
    func app(_ snapshot: DeckSnapshot, readOnly: Bool = false) -> DeckApp {
        let app = DeckApp(state: DeckState(readOnly: readOnly))
        app.receive(snapshot)
        return app
    }

    @Test func threePanesShowQueuesItemsAndAgents() {
        let snapshot = SnapshotFixtures.snapshot(
            items: [SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .running, agent: "ag1",
                                          progress: ItemProgress(phase: "run", current: 5, total: 10, message: "epoch 5")),
                    SnapshotFixtures.item("01BBBBBBBBBBBBBBBBBBBBBBBB", state: .failed, age: 30)],
            agents: [SnapshotFixtures.agent("ag1", name: "gpu-box")])
        let screen = app(snapshot).render(width: 140, height: 30)
        let text = screen.plainText
        #expect(text.contains("[1] Queues (2)"))
        #expect(text.contains("[2] Items of cpu (0)") || text.contains("[2] Items of gpu (2)"))
        #expect(text.contains("[3] Agents (1)"))
        #expect(text.contains("gpu-box"))
        #expect(text.contains("updated 0s ago"))
    }

    @Test func progressColumnShowsAFractionACountOrWhereTheRunIs() {
        func cell(_ progress: ItemProgress) -> String { progress.cell }
        #expect(cell(ItemProgress(phase: "run", current: 5, total: 10, message: "epoch 5")).hasSuffix(" 50%"))
        #expect(cell(ItemProgress(phase: "run", current: 45, total: nil, message: "steps")) == "run 45")
        #expect(cell(ItemProgress(phase: "slurm", current: 0, total: nil, message: "Slurm job 4146 pending")) == "Slurm job 4146 pending")
        #expect(ItemProgress(phase: "slurm", current: 0, total: nil, message: "Slurm job 4146 pending").summary == "slurm Slurm job 4146 pending")
        #expect(ItemProgress(phase: "run", current: 5, total: 10, message: "epoch 5").summary == "run 5/10 epoch 5")
        // Job-controlled text is inert in the table too.
        #expect(!cell(ItemProgress(phase: "run", current: 0, total: nil, message: "\u{1b}[2Jgone")).contains("\u{1b}"))
    }

    /// A bad theme file and a missing agent at start: both are said, one after the other.
    @Test func messagesWaitingForTheFlashLineEachGetTheirTurn() {
        var snapshot = SnapshotFixtures.snapshot(items: [])
        let deck = app(snapshot)
        deck.flashLater(.error, "theme broken.yaml:3: bad colour")
        deck.flashLater(.warning, "No local agent: launchdeck-guard not found")
        #expect(deck.render(width: 120, height: 30).plainText.contains("theme broken.yaml:3: bad colour"))
        snapshot.now = snapshot.now.addingTimeInterval(9)
        deck.receive(snapshot)
        let later = deck.render(width: 120, height: 30).plainText
        #expect(later.contains("No local agent") && !later.contains("bad colour"))
        snapshot.now = snapshot.now.addingTimeInterval(9)
        deck.receive(snapshot)
        #expect(!deck.render(width: 120, height: 30).plainText.contains("No local agent"))
    }

    /// A filter that hides the selected row moves the selection to a row on screen at once, not at the next poll:
    /// an action (relaunch, cancel, describe) must never act on a row the user cannot see.
    @Test func selectionFollowsAFilterAtOnce() {
        let snapshot = SnapshotFixtures.snapshot(items: [
            SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", job: "train", state: .failed),
            SnapshotFixtures.item("01BBBBBBBBBBBBBBBBBBBBBBBB", job: "evaluate", state: .failed),
        ])
        let deck = app(snapshot)
        deck.state.selection[.queues] = "gpu"
        deck.receive(snapshot)
        _ = deck.handle(.character("2"))
        deck.state.selection[.items] = "01AAAAAAAAAAAAAAAAAAAAAAAA"
        for key in [Key.character("/")] + "evaluate".map(Key.character) + [.enter] { _ = deck.handle(key) }
        #expect(deck.state.selection[.items] == "01BBBBBBBBBBBBBBBBBBBBBBBB")
        _ = deck.handle(.character("d"))
        #expect(deck.render(width: 140, height: 30).plainText.contains("Item 01BBBBBBBBBBBBBBBBBBBBBBBB"))
    }

    /// `n` on a job's detail enqueues that job, not the first one of the list.
    @Test func enqueueFromAJobsDetailPicksThatJob() throws {
        var snapshot = SnapshotFixtures.snapshot(items: [])
        let other = JobVersion(name: "aaa", version: 1, spec: JobSpec(source: .image(reference: "img:1"), entrypoint: ["true"]), createdAt: snapshot.now)
        snapshot.jobs.insert(JobSummary(name: "aaa", latest: other, versionCount: 1), at: 0)
        let deck = app(snapshot)
        deck.state.push(.jobVersion(name: "train", version: 2))
        _ = deck.handle(.character("n"))
        guard case .form(let form)? = deck.state.overlay else { Issue.record("no enqueue form"); return }
        #expect(form.selectedJob?.name == "train")
    }

    @Test func statesAreColouredByRole() throws {
        let snapshot = SnapshotFixtures.snapshot(items: [
            SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .running, agent: "ag1"),
            SnapshotFixtures.item("01BBBBBBBBBBBBBBBBBBBBBBBB", state: .failed, age: 30),
            SnapshotFixtures.item("01CCCCCCCCCCCCCCCCCCCCCCCC", state: .succeeded, age: 20),
        ])
        let deck = app(snapshot)
        deck.state.selection[.queues] = "gpu"
        deck.receive(snapshot)
        deck.state.focus = .queues
        let screen = deck.render(width: 140, height: 30)
        // Below the title bar, whose badge says "1 failed in gpu".
        func find(_ word: String) -> (x: Int, y: Int)? {
            for row in 1..<screen.height { if let range = screen.lines[row].range(of: word) { return (DisplayWidth.of(String(screen.lines[row][..<range.lowerBound])), row) } }
            return nil
        }
        for (word, role) in [("running", Role.stateRunning), ("failed", .stateFailed), ("succeeded", .stateSucceeded)] {
            let position = try #require(find(word), "\(word) not on screen")
            let cell = screen[position.x, position.y]
            // The selected row is drawn in the cursor role; the others keep their state's role.
            #expect(cell.role == role || cell.role == .mark || cell.role == .cursor, "\(word): \(cell.role)")
        }
        let failed = try #require(find("failed"))
        #expect(screen[failed.x, failed.y].role == .stateFailed)
    }

    @Test func wideCharactersAreCutByDisplayColumns() {
        var buffer = ScreenBuffer(width: 10, height: 1)
        let used = buffer.put("训练任务训练任务", x: 0, y: 0, maxWidth: 7)
        #expect(used <= 7)
        #expect(buffer.text(row: 0).hasPrefix("训练任…"))
        #expect(DisplayWidth.of("训练") == 4 && DisplayWidth.of("e\u{301}") == 1 && DisplayWidth.of("👍") == 2)
        #expect(DisplayWidth.truncate("abcdef", to: 4) == "abc…")
    }

    /// Short terminals show rows, not empty boxes: every pane gets room for one, or the focused pane has the screen.
    @Test func shortTerminalsShowRows() {
        let snapshot = SnapshotFixtures.snapshot(items: [SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .running, agent: "ag1")],
                                                 agents: [SnapshotFixtures.agent("ag1", name: "gpu-box")])
        let deck = app(snapshot)
        deck.state.selection[.queues] = "gpu"
        deck.receive(snapshot)
        for height in [15, 18, 24] {
            let text = deck.render(width: 80, height: height).plainText
            #expect(text.contains("gpu-box") && text.contains("local-process") && text.contains("AAAA"), "80x\(height)\n\(text)")
        }
        // Shorter: the focused pane alone, with its rows.
        #expect(deck.render(width: 80, height: 14).plainText.contains("local-process"))
        _ = deck.handle(.character("2"))
        #expect(deck.render(width: 80, height: 12).plainText.contains("AAAA"))
        _ = deck.handle(.character("3"))
        #expect(deck.render(width: 80, height: 12).plainText.contains("gpu-box"))
        #expect(deck.render(width: 120, height: 10).plainText.contains("gpu-box"))
    }

    @Test func tooSmallScreenSaysWhatItNeeds() {
        let screen = app(SnapshotFixtures.snapshot(items: [])).render(width: 30, height: 8)
        #expect(screen.plainText.contains("terminal too small"))
        #expect(screen.plainText.contains("(need 40 x 10,"))
        let tiny = app(SnapshotFixtures.snapshot(items: [])).render(width: 1, height: 1)
        #expect(tiny.width == 1)
    }

    @Test func helpListsEveryAvailableActionAndReadOnlyHidesDangerousOnes() {
        let deck = app(SnapshotFixtures.snapshot(items: [SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .running)]))
        deck.state.focus = .items
        _ = deck.handle(.character("?"))
        let screen = deck.render(width: 120, height: 60).plainText
        for action in ActionTable.available(deck.state) {
            #expect(screen.contains(action.title), "help lacks \(action.title)")
        }
        #expect(screen.contains("relaunch the item (or the marked ones) now"))
        // At 80x24 every action still shows (in two columns, long titles cut), and so does how to close it.
        let standard = deck.render(width: 80, height: 24).plainText
        for action in ActionTable.available(deck.state) {
            #expect(standard.contains(String(action.title.prefix(12))), "80x24 help lacks \(action.title):\n\(standard)")
        }
        #expect(standard.contains("any key closes this help"))
        let small = deck.render(width: 60, height: 12).plainText
        #expect(small.contains("more lines: enlarge the terminal") && small.contains("any key closes"), "\(small)")

        let readOnly = app(SnapshotFixtures.snapshot(items: [SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .running)]), readOnly: true)
        readOnly.state.focus = .items
        _ = readOnly.handle(.character("?"))
        let hidden = readOnly.render(width: 120, height: 60).plainText
        #expect(!hidden.contains("relaunch the item now") && !hidden.contains("cancel the item"))
        #expect(hidden.contains("read-only"))
        _ = readOnly.handle(.escape)
        #expect(readOnly.handle(.character("r")).isEmpty)
        #expect(readOnly.handle(.control("d")).isEmpty)
    }

    @Test func aLongDataDirectoryGivesWayFromItsFrontAndReadOnlyStaysWhole() {
        let deck = app(SnapshotFixtures.snapshot(items: []), readOnly: true)
        deck.context = "/srv/shared/teams/vision/users/alice/.local/share/launchdeck"
        let title = deck.render(width: 80, height: 24).text(row: 0)
        #expect(title.contains("[read-only]"), "\(title)")
        #expect(title.contains("…") && title.contains("alice/.local/share/launchdeck [read-only]"), "\(title)")
        let wide = deck.render(width: 160, height: 24).text(row: 0)
        #expect(wide.contains("/srv/shared/teams/vision/users/alice/.local/share/launchdeck [read-only]"), "\(wide)")
    }

    @Test func hintBarComesFromTheActionTable() {
        let deck = app(SnapshotFixtures.snapshot(items: []))
        let last = deck.render(width: 200, height: 20).text(row: 19)
        for action in ActionTable.available(deck.state) where action.hint != nil {
            #expect(last.contains("<\(action.keys[0].label)> \(action.hint!)"))
        }
    }

    @Test func jobOutputIsShownInert() throws {
        var snapshot = SnapshotFixtures.snapshot(items: [SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .running)])
        snapshot.logs["01AAAAAAAAAAAAAAAAAAAAAAAA"] = [
            LogLine(stream: .stdout, at: SnapshotFixtures.now, text: "\u{1b}]52;c;aGk=\u{07}clipboard \u{1b}[2J cleared \u{0} nul \u{1b}[10;10H"),
            LogLine(stream: .stderr, at: SnapshotFixtures.now, text: String(repeating: "x", count: 1_000_000)),
            LogLine(stream: .stdout, at: SnapshotFixtures.now, text: "bad utf8 \u{FFFD} kept"),
        ]
        let deck = app(snapshot)
        deck.state.push(.log(item: "01AAAAAAAAAAAAAAAAAAAAAAAA"))
        let screen = deck.render(width: 100, height: 20)
        #expect(!screen.cells.contains { cell in cell.text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f } })
        #expect(screen.plainText.contains("^[]52;c;aGk=\\x07clipboard ^[[2J cleared \\x00 nul ^[[10;10H"))
        #expect(screen.plainText.contains("bad utf8 \u{FFFD} kept"))
    }

    @Test func selectionIsKeptByIDAcrossRefreshes() {
        let items = (0..<5).map { SnapshotFixtures.item("01ITEM\(String(repeating: "0", count: 19))\($0)", state: .queued, age: Double(100 - $0)) }
        let deck = app(SnapshotFixtures.snapshot(items: items))
        deck.state.selection[.queues] = "gpu"
        deck.receive(SnapshotFixtures.snapshot(items: items))
        deck.state.focus = .items
        _ = deck.handle(.down)
        _ = deck.handle(.down)
        let chosen = deck.state.selection[.items]
        #expect(chosen != nil)
        // A new item arrives on top and another one goes: the selection stays on the same item.
        let more = [SnapshotFixtures.item("01NEWITEM00000000000000000", state: .queued, age: 1)] + items.dropFirst()
        deck.receive(SnapshotFixtures.snapshot(items: Array(more)))
        #expect(deck.state.selection[.items] == chosen)
    }

    @Test func enqueueFormChecksBoundsBeforeSubmit() {
        let deck = app(SnapshotFixtures.snapshot(items: []))
        deck.state.selection[.queues] = "gpu"
        deck.receive(SnapshotFixtures.snapshot(items: []))
        _ = deck.handle(.character("n"))
        guard case .form = deck.state.overlay else { Issue.record("no form"); return }
        for _ in 0..<3 { _ = deck.handle(.down) }
        for character in "12" { _ = deck.handle(.character(character)) }
        #expect(deck.handle(.enter).isEmpty, "an out-of-bounds value must not submit")
        #expect(deck.render(width: 120, height: 40).plainText.contains("12 is above max 8"))
        _ = deck.handle(.backspace)
        let effects = deck.handle(.enter)
        guard case .enqueue(let request)? = effects.first else { Issue.record("no enqueue: \(effects)"); return }
        #expect(request.queue == "gpu" && request.variables == ["gpus": "1"] && request.job.name == "train")
    }

    @Test func cancelAsksFirstAndDefaultsToNo() {
        let deck = app(SnapshotFixtures.snapshot(items: [SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .running)]))
        deck.state.selection[.queues] = "gpu"
        deck.receive(SnapshotFixtures.snapshot(items: [SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .running)]))
        deck.state.focus = .items
        #expect(deck.handle(.control("d")).isEmpty)
        #expect(deck.render(width: 100, height: 30).plainText.contains("[ No ]"))
        #expect(deck.handle(.enter).isEmpty, "Enter alone answers No")
        _ = deck.handle(.control("d"))
        _ = deck.handle(.right)
        guard case .cancel(let id)? = deck.handle(.enter).first else { Issue.record("no cancel"); return }
        #expect(id == ["01AAAAAAAAAAAAAAAAAAAAAAAA"])
    }

    @Test func agentDetailShowsTheEnvironmentWithSecretsRedacted() {
        let snapshot = SnapshotFixtures.snapshot(items: [], agents: [SnapshotFixtures.agent("ag1", name: "gpu-box")])
        let deck = app(snapshot)
        deck.state.focus = .agents
        _ = deck.handle(.enter)
        let text = deck.render(width: 120, height: 40).plainText
        #expect(text.contains("A100") && text.contains("Debian 12") && text.contains("16.0 GiB"))
        #expect(text.contains("WANDB_API_KEY=[redacted]"))
        #expect(!text.contains("secret-value"))
    }

    @Test func filterCommandAndSort() {
        let items = [SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", job: "resnet", state: .running),
                     SnapshotFixtures.item("01BBBBBBBBBBBBBBBBBBBBBBBB", job: "bert", state: .queued)]
        let deck = app(SnapshotFixtures.snapshot(items: items))
        deck.state.selection[.queues] = "gpu"
        deck.receive(SnapshotFixtures.snapshot(items: items))
        deck.state.focus = .items
        _ = deck.handle(.character("/"))
        for character in "res" { _ = deck.handle(.character(character)) }
        _ = deck.handle(.enter)
        #expect(Rows.items(deck.snapshot, deck.state).map(\.jobName) == ["resnet"])
        deck.state.filters[.pane(.items)] = "!res"
        #expect(Rows.items(deck.snapshot, deck.state).map(\.jobName) == ["bert"])
        _ = deck.handle(.character(":"))
        for character in "jo" { _ = deck.handle(.character(character)) }
        _ = deck.handle(.tab)
        guard case .command(let text)? = deck.state.overlay else { Issue.record("no prompt"); return }
        #expect(text == "jobs")
        _ = deck.handle(.enter)
        #expect(deck.state.screen == .jobs)
        #expect(deck.render(width: 140, height: 20).plainText.contains("python t.py"))
    }

    @Test func themesDegradeAndMonochromeKeepsStatesApart() throws {
        let theme = try Theme.parse("palette:\n  sky: \"#5fafd7\"\nroles:\n  state.running: {fg: sky, attrs: [bold]}\n", name: "t", source: "t.yaml")
        #expect(theme.resolve(.stateRunning, depth: .direct).foreground == .number(0x5fafd7))
        #expect(theme.resolve(.stateRunning, depth: .xterm256).foreground == .number(74))
        // Sky blue becomes one of the blues or cyans of the 16 ANSI colours.
        #expect([TerminalColor.number(4), .number(6), .number(12), .number(14)].contains(theme.resolve(.stateRunning, depth: .ansi16).foreground))
        #expect(theme.resolve(.stateRunning, depth: .ansi8).foreground == .number(4) || theme.resolve(.stateRunning, depth: .ansi8).foreground == .number(6))
        let states: [Role] = [.stateQueued, .stateLeased, .stateBuilding, .stateRunning, .stateFailed, .stateCancelled]
        let looks = Set(states.map { theme.resolve($0, depth: .monochrome).attributes.rawValue })
        #expect(looks.count == states.count, "monochrome states must look different")
        #expect(throws: ValidationFailure.self) { try Theme.parse("roles:\n  state.running: {fg: nocolour}\n", name: "bad", source: "bad.yaml") }
        // A number no Int holds is a bad colour, not a crash.
        #expect(throws: ValidationFailure.self) { try Theme.parse("palette:\n  sky: 1e30\n", name: "bad", source: "bad.yaml") }
        #expect(throws: ValidationFailure.self) { try Theme.parse("roles:\n  border: {fg: -1e30}\n", name: "bad", source: "bad.yaml") }
        do {
            _ = try Theme.parse("roles:\n  border: {fg: red}\n  state.runing: {fg: red}\n", name: "bad", source: "bad.yaml")
        } catch {
            #expect(error.issues.first?.formatted(source: "bad.yaml") == "bad.yaml:3: roles.state.runing: unknown role")
        }
    }

    @Test func shippedThemesAllParse() throws {
        let themes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("themes")
        let catalog = ThemeCatalog(directories: [themes])
        #expect(Set(catalog.names).isSuperset(of: ["default", "light", "mono", "dracula"]))
        for name in catalog.names {
            let loaded = catalog.load(name)
            #expect(loaded.problem == nil, "\(name): \(loaded.problem ?? "")")
        }
        let user = FileManager.default.temporaryDirectory.appendingPathComponent("ld-themes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: user, withIntermediateDirectories: true)
        try Data("roles:\n  title: {fg: green}\n  bogus: {}\n".utf8).write(to: user.appendingPathComponent("light.yaml"))
        let overridden = ThemeCatalog(directories: [user, themes]).load("light")
        #expect(overridden.problem?.contains("light.yaml:3: roles.bogus: unknown role") == true)
        #expect(overridden.theme.name == "default", "a bad theme falls back to the default")

        // Installed without themes/: the default is the built-in theme, quietly; a named theme is still reported.
        let none = ThemeCatalog(directories: [user.appendingPathComponent("missing")])
        #expect(none.load("default").theme.name == "built-in" && none.load("default").problem == nil)
        #expect(none.load("dracula").problem?.contains("theme \"dracula\" not found") == true)
    }
}

@Suite struct RobustnessTests {
    @Test func everySizeFromOneByOneRendersWithoutCrashing() {
        let snapshot = SnapshotFixtures.snapshot(items: [SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .running)],
                                                 agents: [SnapshotFixtures.agent("ag1", name: "gpu-box")])
        let app = DeckApp()
        app.receive(snapshot)
        // A resize storm: 50 sizes in a row, over every screen and overlay.
        let screens: [Screen] = [.main, .jobs, .log(item: "01AAAAAAAAAAAAAAAAAAAAAAAA"), .detail(.agent("ag1")), .config(queue: "gpu")]
        for (index, screen) in screens.enumerated() {
            app.state.screens = [.main, screen]
            app.state.overlay = index % 2 == 0 ? .help : .confirm(ConfirmDialog(title: "t", message: "m", effect: .refresh))
            for size in 0..<50 {
                let width = 1 + (size * 37) % 200
                let height = 1 + (size * 13) % 70
                let frame = app.render(width: width, height: height)
                #expect(frame.width == width && frame.height == height)
            }
        }
    }

    @Test func mutatedThemesNeverCrash() throws {
        let themes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("themes")
        let seed = try String(contentsOf: themes.appendingPathComponent("default.yaml"), encoding: .utf8)
        var state: UInt64 = 42
        for _ in 0..<2000 {
            var characters = Array(seed)
            for _ in 0..<4 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let index = Int(state >> 33) % max(1, characters.count)
                let replacement = Array("{}[]:#\"x- \n")[Int(state >> 20) % 11]
                if !characters.isEmpty { characters[index] = replacement }
            }
            do {
                _ = try Theme.parse(String(characters), name: "fuzz", source: "fuzz.yaml")
            } catch {
                #expect(!error.issues.isEmpty)
            }
        }
    }
}

@Suite struct DurationTests {
    /// Exact while young, coarser with age, as kubectl and k9s show it: an idle dashboard's ages change rarely.
    @Test func agesCoarsenAsTheyGrow() {
        let cases: [(TimeInterval, String)] = [(0, "0s"), (119, "119s"), (125, "2m5s"), (180, "3m"), (599, "9m59s"), (600, "10m"),
                                               (3 * 3600 - 1, "179m"), (3 * 3600, "3h"), (5 * 3600 + 120, "5h2m"), (47 * 3600, "47h"),
                                               (50 * 3600, "2d2h"), (10 * 86400, "10d"), (400 * 86400, "1y35d"), (-5, "0s")]
        for (seconds, expected) in cases { #expect(Durations.short(seconds) == expected, "\(seconds)") }
    }
}
