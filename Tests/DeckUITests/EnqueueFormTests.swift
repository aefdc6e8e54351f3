@testable import DeckUI
import LaunchModel
import LaunchStore
import Testing

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
}
