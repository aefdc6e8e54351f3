@testable import DeckUI
import LaunchModel
import LaunchStore
import Testing

/// The enqueue form gives back what it was filled with, scrolls when it is taller than the terminal (keeping the
/// focused field and the keys line in sight), offers an enum variable as a choice of its values, starts on the job of
/// the selected item, and shows the job's default hyperparameters beside the overrides.
@Suite struct EnqueueFormTests {
    /// "Relaunch with changes" fills the form from an item: submitted untouched, it enqueues the same overrides,
    /// spaces, look-alike numbers and secrets included, and it never shows a secret.
    @Test func relaunchFormGivesBackTheItemsOverridesAndHidesSecrets() throws {
        let queue = SnapshotFixtures.queue("gpu", config: "variables:\n  api_token: {type: string, default: none}\n  gpus: {type: int, default: 1, min: 0, max: 8}\n")
        var item = SnapshotFixtures.item("01AAAAAAAAAAAAAAAAAAAAAAAA", state: .failed)
        item.overrides = ItemOverrides(hyperparameters: ["note": "hello world", "seed": "1", "lr": 0.5, "quote": "it's", "hf_token": "hf-secret-123",
                                                         "layers": [1, 2], "wandb": ["api_key": "nested-secret-789", "project": "p"]],
                                       variables: ["api_token": "tok-secret-456", "gpus": 2])
        var form = EnqueueForm(queue: queue, jobs: SnapshotFixtures.snapshot(items: []).jobs, from: item)
        let shown = form.fields.map { form.value($0) }.joined(separator: "\n")
        #expect(!shown.contains("hf-secret-123") && !shown.contains("tok-secret-456") && !shown.contains("nested-secret-789"), "\(shown)")
        let request = try form.validate().get()
        #expect(request.hyperparameters == item.overrides.hyperparameters)
        #expect(request.variables == ["api_token": "tok-secret-456", "gpus": "2"])
    }

    @Test func overridesAreReadLikeTheCommandLine() throws {
        let queue = SnapshotFixtures.queue("gpu")
        var form = EnqueueForm(queue: queue, jobs: SnapshotFixtures.snapshot(items: []).jobs)
        form.overrides = "name='my run' lr=0.1 tag=\"v2\""
        #expect(try form.validate().get().hyperparameters == ["name": "my run", "lr": 0.1, "tag": "v2"])
        form.overrides = "name='open"
        #expect(throws: ValidationFailure.self) { try form.validate().get() }
        #expect(form.errors[.overrides] != nil)
    }

    /// The dashboard on gpu (configured by `config`), Items focused.
    func app(config: String, items: [LaunchItem] = [], jobs: [JobSummary]? = nil) -> DeckApp {
        var snapshot = SnapshotFixtures.snapshot(items: items, queues: [SnapshotFixtures.queue("gpu", config: config), SnapshotFixtures.queue("cpu")])
        if let jobs { snapshot.jobs = jobs }
        let deck = DeckApp()
        deck.state.selection[.queues] = "gpu"
        deck.receive(snapshot)
        deck.state.focus = .items
        return deck
    }

    func form(_ deck: DeckApp) -> EnqueueForm? {
        if case .form(let form)? = deck.state.overlay { form } else { nil }
    }

    static func job(_ name: String, hyperparameters: [String: JSONValue] = [:]) -> JobSummary {
        JobSummary(name: name, latest: JobVersion(name: name, version: 2, spec: JobSpec(source: .image(reference: "img:1"), entrypoint: ["python", "t.py"],
                                                                                       hyperparameters: hyperparameters),
                                                  createdAt: SnapshotFixtures.now), versionCount: 2)
    }

    static let knobs = (1...12).map { String(format: "knob%02d", $0) }

    /// 16 fields (job, version, priority, 12 variables, overrides) take 35 lines: a 16-line terminal shows a window.
    @Test func aFormTallerThanTheTerminalScrollsAndKeepsTheFocusedFieldAndTheKeysInSight() throws {
        let config = "variables:\n" + Self.knobs.map { "  \($0): {type: int, default: 1, min: 0, max: 9}\n" }.joined()
        let deck = app(config: config)
        _ = deck.handle(.character("n"))
        let fields = try #require(self.form(deck)).fields
        #expect(fields.count == 16)
        for step in 0..<fields.count {
            let form = try #require(self.form(deck))
            #expect(form.focus == step)
            let screen = deck.render(width: 100, height: 16)
            let text = screen.plainText
            let label = form.label(fields[step])
            // The focused field's line: its marker and its label, in the input role.
            let row = try #require(screen.lines.firstIndex { $0.contains("│ › \(label) ") }, "focus on \(label) not shown:\n\(text)")
            let labelX = try #require(screen.lines[row].range(of: "› \(label)")).lowerBound
            #expect(screen[DisplayWidth.of(String(screen.lines[row][..<labelX])), row].role == .input, "\(text)")
            // Its hint too, on the next line.
            #expect(screen.lines[row + 1].contains(form.hint(fields[step])), "\(label): \(screen.lines[row + 1])")
            #expect(text.contains("Enter: enqueue"), "\(label):\n\(text)")
            #expect(text.contains("Enqueue on gpu"), "\(label):\n\(text)")
            if step == 0 {
                #expect(text.contains("lines below") && !text.contains("lines above"), "\(text)")
            }
            if step == fields.count - 1 {
                #expect(label == "Overrides")
                #expect(text.contains("lines above") && !text.contains("lines below"), "\(text)")
                #expect(text.contains("the job has no default hyperparameters"), "\(text)")
            }
            if (5...10).contains(step) {
                #expect(text.contains("lines above") && text.contains("lines below"), "\(label):\n\(text)")
            }
            _ = deck.handle(.tab)
        }
        // Tab after the last field comes back to the first, and Shift-Tab from there goes to the last.
        #expect(self.form(deck)?.focus == 0)
        _ = deck.handle(.backTab)
        let text = deck.render(width: 100, height: 16).plainText
        #expect(text.contains("│ › Overrides") && text.contains("lines above") && text.contains("Enter: enqueue"), "\(text)")
    }

    static let modeConfig = "variables:\n  mode: {type: enum, values: [debug, fast, full], default: fast}\n"

    @Test func anEnumVariableIsAChoiceOfItsValues() throws {
        let deck = app(config: Self.modeConfig)
        _ = deck.handle(.character("n"))
        for _ in 0..<3 { _ = deck.handle(.down) }
        let form = try #require(self.form(deck))
        #expect(form.fields[form.focus] == .variable("mode"))
        #expect(form.isChoice(.variable("mode")))
        func shown() -> String { deck.render(width: 120, height: 30).lines.first { $0.contains("│ › mode") } ?? "" }
        #expect(shown().contains("‹ default (fast) ›"), "\(shown())")
        #expect(deck.render(width: 120, height: 30).plainText.contains("←/→ to choose: debug | fast | full"))
        for value in ["debug", "fast", "full"] {
            _ = deck.handle(.right)
            #expect(shown().contains("‹ \(value) ›"), "\(shown())")
        }
        // Round to the queue's default, and back.
        _ = deck.handle(.right)
        #expect(shown().contains("‹ default (fast) ›"), "\(shown())")
        _ = deck.handle(.left)
        #expect(shown().contains("‹ full ›"), "\(shown())")
        _ = deck.handle(.left)
        // Letters are not values: the choice stays.
        for character in "xyz" { _ = deck.handle(.character(character)) }
        #expect(shown().contains("‹ fast ›"), "\(shown())")
        let effects = deck.handle(.enter)
        guard case .enqueue(let request)? = effects.first else { Issue.record("no enqueue: \(effects)"); return }
        #expect(request.variables == ["mode": "fast"])
    }

    @Test func anEnumLeftAtItsDefaultIsNotSent() throws {
        let deck = app(config: Self.modeConfig)
        _ = deck.handle(.character("n"))
        guard case .enqueue(let request)? = deck.handle(.enter).first else { Issue.record("no enqueue"); return }
        #expect(request.variables.isEmpty, "the queue's default applies: \(request.variables)")
    }

    /// Backspace is typing too: on a choice it must not leave a value that is not one of the choices.
    @Test func backspaceOnAnEnumChoiceKeepsAValidValue() throws {
        let deck = app(config: Self.modeConfig)
        _ = deck.handle(.character("n"))
        for _ in 0..<3 { _ = deck.handle(.down) }
        _ = deck.handle(.right)
        _ = deck.handle(.backspace)
        let form = try #require(self.form(deck))
        let value = form.values["mode"] ?? ""
        #expect(["", "debug", "fast", "full"].contains(value), "Backspace made the choice \"\(value)\"")
        let text = deck.render(width: 120, height: 30).plainText
        #expect(!text.contains("is not one of"), "\(text)")
    }

    @Test func nStartsTheFormOnTheJobOfTheSelectedItem() throws {
        let evaluateID = "01EVALUATE0000000000000001"
        let deck = app(config: "", items: [SnapshotFixtures.item("01TRAIN0000000000000000001", state: .succeeded),
                                          SnapshotFixtures.item(evaluateID, job: "evaluate", state: .failed, age: 30)],
                       jobs: [Self.job("train"), Self.job("evaluate")])
        deck.state.selection[.items] = evaluateID
        _ = deck.handle(.character("n"))
        let form = try #require(self.form(deck))
        #expect(form.selectedJob?.name == "evaluate")
        let text = deck.render(width: 120, height: 30).plainText
        #expect(text.split(separator: "\n").contains { $0.contains("› Job ") && $0.contains("‹ evaluate ›") }, "\(text)")
        guard case .enqueue(let request)? = deck.handle(.enter).first else { Issue.record("no enqueue"); return }
        #expect(request.job.name == "evaluate" && request.queue == "gpu" && request.relaunchOf == nil)
        // With no item selected it is the first job.
        let empty = app(config: "", jobs: [Self.job("train"), Self.job("evaluate")])
        _ = empty.handle(.character("n"))
        #expect(self.form(empty)?.selectedJob?.name == "train")
    }

    @Test func theFormShowsTheJobsDefaultHyperparameters() throws {
        let deck = app(config: "", jobs: [Self.job("train", hyperparameters: ["lr": .double(0.1), "epochs": .int(3)])])
        _ = deck.handle(.character("n"))
        let text = deck.render(width: 120, height: 30).plainText
        #expect(text.contains("defaults: epochs=3 lr=0.1"), "\(text)")
        let form = try #require(self.form(deck))
        #expect(form.defaultHyperparameters == "defaults: epochs=3 lr=0.1")
    }
}
