import ArgumentParser
import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore

/// Sets up something to look at on a fresh data directory: a demo job, a `local` queue and one item.
/// Running it again reuses what is there (the job version is content-addressed) and enqueues one more item.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Create a demo job and queue, enqueue a run, and list them.")

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let context = try await CommandContext.open(connection)
        let (job, item) = try await DemoSetup.create(context)
        print("Demo ready in \(context.directory.url.path): job \(job.reference), queue \(DemoSetup.queueName), item \(item.id).\n")
        print("Queues:")
        try await QueueList.parse(["--output", "table"]).run()
        print("\nItems:")
        try await ItemsCommand.parse(["--queue", DemoSetup.queueName, "--limit", "10"]).run()
        print("\nNext: launchdeck agent --queue local   |   launchdeck   (the dashboard)   |   launchdeck --help")
    }
}

/// The demo job and queue, shared by `launchdeck demo` and the dashboard's first start.
enum DemoSetup {
    static let queueName = "local"

    static let script = """
        #!/bin/sh
        # LaunchDeck demo job: pretends to train for a few epochs and reports its progress.
        epochs=3
        while [ $# -gt 0 ]; do
          case "$1" in
            --epochs) epochs="$2"; shift 2 ;;
            *) shift ;;
          esac
        done
        i=1
        while [ "$i" -le "$epochs" ]; do
          echo "epoch $i/$epochs loss=0.$((90 - i * 7))"
          echo "launchdeck:progress $i/$epochs epoch $i"
          sleep 1
          i=$((i + 1))
        done
        echo "training done"

        """

    static let queueConfig = """
        # The demo queue: runs jobs as processes on this machine.
        description: Demo queue on this machine
        max_attempts: 3
        variables:
          timeout_minutes: {type: int, default: 10, min: 1, max: 120, description: wall-clock limit per run in minutes}
        resource:
          timeout: "{{timeout_minutes}}m"
          env:
            DEMO_MODE: "1"

        """

    /// Creates (or reuses) the demo job and queue and enqueues one run.
    static func create(_ context: CommandContext) async throws -> (JobVersion, LaunchItem) {
        let directory = context.directory.url.appendingPathComponent("demo", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(script.utf8).write(to: directory.appendingPathComponent("train.sh"))
        let spec = JobSpec(source: .snapshot(digest: try await context.snapshot(directory)), entrypoint: ["sh", "train.sh"],
                           hyperparameters: ["epochs": 3], datasetVersion: "demo-data:v1")
        let (job, _) = try await context.backend.createJob(name: "demo-train", spec: spec)
        if (try? await context.backend.queue(named: queueName)) == nil {
            _ = try await context.backend.createQueue(name: queueName, target: .localProcess,
                                                      config: try QueueConfig.parse(queueConfig, target: .localProcess))
        }
        let item = try await context.backend.enqueue(EnqueueRequest(job: JobReference(name: job.name, version: job.version), queue: queueName))
        return (job, item)
    }
}
