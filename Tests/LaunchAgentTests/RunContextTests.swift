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

    @Test func slurmOptionsComeFromTheRenderedResourceOneArgumentEach() throws {
        var run = try context(timeout: nil, hyperparameters: [:], overrides: [:])
        let config = try QueueConfig.parse("""
            variables:
              gpus: {type: int, default: 1, min: 0, max: 8}
              hours: {type: int, default: 4, min: 1, max: 48}
            resource:
              partition: gpu
              time_limit: "{{hours}}:00:00"
              gpus: "{{gpus}}"
              cpus_per_task: 8
              mem: 64G
              account: ml team; rm -rf /
              extra_args: [--exclusive]
            """, target: .slurm)
        run.config = try config.renderValidated(with: ["gpus": 2, "hours": 12], target: .slurm)
        #expect(try SlurmTarget.options(run, workingDirectory: "/work dir") == [
            "--job-name", "launchdeck-01test", "--chdir", "/work dir", "--export", "ALL", "--ntasks-per-node", "1",
            "--partition", "gpu", "--time", "12:00:00", "--mem", "64G", "--account", "ml team; rm -rf /",
            "--cpus-per-task", "8", "--gpus", "2", "--exclusive",
        ])
        run.config = try config.renderValidated(with: ["gpus": 0, "hours": 1], target: .slurm)
        #expect(try !SlurmTarget.options(run, workingDirectory: "/w").contains("--gpus"))
        // An extra argument that is not a flag could smuggle in a command for srun to run instead of the job.
        run.config = ["resource": ["extra_args": ["bash"]]]
        #expect(throws: RunError.self) { try SlurmTarget.options(run, workingDirectory: "/w") }
    }
}
