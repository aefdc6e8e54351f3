import Foundation
@testable import LaunchAgent
import LaunchModel
import LaunchStore
import Testing

@Suite struct RunContextTests {
    func context(timeout: String?, hyperparameters: [String: JSONValue], overrides: [String: JSONValue]) throws -> RunContext {
        let data = DataDirectory(url: URL(fileURLWithPath: "/tmp/unused"))
        let job = JobVersion(name: "t", version: 2, spec: JobSpec(source: .image(reference: "x"), entrypoint: ["python", "train.py"],
                                                                   hyperparameters: hyperparameters), createdAt: Date())
        let text = timeout.map { "resource:\n  timeout: \($0)\n  env: {A: b}\n" } ?? ""
        let queue = Queue(name: "q", target: .localProcess, config: try QueueConfig.parse(text, target: .localProcess), createdAt: Date())
        let item = LaunchItem(id: "01TEST", queue: "q", jobName: "t", jobVersion: 2, overrides: ItemOverrides(hyperparameters: overrides),
                              timestamps: ItemTimestamps(enqueued: Date()))
        return RunContext(item: item, job: job, queue: queue, config: queue.config.render(with: [:]),
                          workDirectory: URL(fileURLWithPath: "/tmp/w"),
                          agent: AgentConfiguration(name: "a", queues: ["q"], maxJobs: 1, data: data,
                                                    runtime: RuntimeDirectory(url: URL(fileURLWithPath: "/tmp/r")), guardPath: "/g", version: "t"),
                          artifacts: ArtifactStore(root: URL(fileURLWithPath: "/tmp/a")))
    }

    @Test func hyperparametersBecomeSortedArgumentsWithOverridesOnTop() throws {
        let run = try context(timeout: "90m", hyperparameters: ["lr": 0.1, "epochs": 3], overrides: ["lr": 0.5, "name": "run a"])
        #expect(run.argv == ["python", "train.py", "--epochs", "3", "--lr", "0.5", "--name", "run a"])
        #expect(run.launchEnvironment["LAUNCHDECK_CONFIG"] == #"{"epochs":3,"lr":0.5,"name":"run a"}"#)
        #expect(run.timeout == .seconds(5400))
        #expect(run.queueEnvironment == ["A": "b"])
    }

    @Test func timeoutUnits() throws {
        #expect(try context(timeout: "\"45\"", hyperparameters: [:], overrides: [:]).timeout == .seconds(45))
        #expect(try context(timeout: "2h", hyperparameters: [:], overrides: [:]).timeout == .seconds(7200))
        #expect(try context(timeout: nil, hyperparameters: [:], overrides: [:]).timeout == nil)
    }

    @Test func containerfileHasBaseDependenciesStepsThenCode() throws {
        var run = try context(timeout: nil, hyperparameters: [:], overrides: [:])
        run.job.spec.dependencies.requirements = "numpy\n"
        run.config = ["resource": ["build": ["steps": ["RUN echo hi"], "args": ["MODE": "x"]]]]
        #expect(ContainerTarget.containerfile(base: "localhost/base:latest", context: run) == """
            FROM localhost/base:latest
            WORKDIR /workspace
            ARG MODE
            COPY .launchdeck-requirements.txt /tmp/launchdeck-requirements.txt
            RUN pip install --no-cache-dir -r /tmp/launchdeck-requirements.txt
            RUN echo hi
            COPY . /workspace

            """)
    }
}
