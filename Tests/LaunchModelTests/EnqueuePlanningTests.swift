import Foundation
import LaunchModel
import Testing

/// Enqueue and relaunch planned by the model, so every backend makes the same item from the same request: variables
/// typed and defaulted, a configuration they cannot render refused before anything is written, attempts bounded by
/// the queue as it is, and a relaunch that copies the original but must still fit the queue's variables.
@Suite struct EnqueuePlanningTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let job = JobVersion(name: "train", version: 3, spec: JobSpec(source: .image(reference: "python:3.12"), entrypoint: ["python", "train.py"]),
                         createdAt: Date(timeIntervalSince1970: 1_700_000_000))

    func queue(_ text: String) throws -> Queue {
        Queue(name: "gpu", target: .slurm, config: try QueueConfig.parse(text, target: .slurm), createdAt: now)
    }

    static let hoursQueue = """
        max_attempts: 4
        variables:
          hours: {type: int, default: 2, min: 1, max: 48}
        resource:
          time_limit: "{{hours}}:00:00"
        """

    @Test func anEnqueueIsTypedDefaultedAndBoundedByItsQueue() throws {
        let queue = try queue(Self.hoursQueue)
        let variables = try ItemLifecycle.enqueueVariables([:], on: queue)
        #expect(variables == ["hours": 2])
        let item = ItemLifecycle.enqueue(job: job, on: queue, hyperparameters: ["lr": 0.1], variables: variables, priority: .high, at: now)
        #expect(item.state == .queued && item.attempts == 0 && item.maxAttempts == 4)
        #expect(item.queue == "gpu" && item.jobReference == "train:v3" && item.priority == .high)
        #expect(item.overrides == ItemOverrides(hyperparameters: ["lr": 0.1], variables: ["hours": 2]))
        #expect(item.timestamps.enqueued == now && item.relaunchOf == nil)
    }

    @Test func variablesOutsideTheQueuesRangeAreRefusedByName() throws {
        let queue = try queue(Self.hoursQueue)
        #expect {
            _ = try ItemLifecycle.enqueueVariables(["hours": "99"], on: queue)
        } throws: { error in
            (error as? ValidationFailure)?.issues.map(\.description) == ["hours: 99 is above max 48"]
        }
    }

    @Test func aRelaunchCopiesTheOriginalOntoTheQueueAsItIsNow() throws {
        let original = ItemLifecycle.enqueue(job: job, on: try queue(Self.hoursQueue), hyperparameters: ["lr": 0.1],
                                             variables: ["hours": 30], priority: .low, at: now)
        let later = now.addingTimeInterval(60)
        let widened = try queue(Self.hoursQueue.replacingOccurrences(of: "max_attempts: 4", with: "max_attempts: 1"))
        let copy = try ItemLifecycle.relaunch(original, on: widened, at: later)
        #expect(copy.id != original.id && copy.relaunchOf == original.id)
        #expect(copy.overrides == original.overrides && copy.priority == .low && copy.jobReference == "train:v3")
        #expect(copy.maxAttempts == 1 && copy.timestamps.enqueued == later && copy.state == .queued)
        // The queue's range narrowed since: the copy would not fit, and is refused rather than queued to fail.
        let narrowed = try queue(Self.hoursQueue.replacingOccurrences(of: "max: 48", with: "max: 24"))
        #expect(throws: ValidationFailure.self) { try ItemLifecycle.relaunch(original, on: narrowed, at: later) }
    }
}
