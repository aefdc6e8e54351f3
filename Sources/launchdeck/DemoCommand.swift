import ArgumentParser
import Foundation
import LaunchModel
import LaunchStore

/// Sets up something to look at on a fresh data directory: a demo job, a `local` queue and one item.
/// Running it again reuses what is there (the job version is content-addressed) and enqueues one more item.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Create a demo job and queue, enqueue a run, and list them.")

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

    func run() async throws {
        let context = try CommandContext.open()
        let directory = context.directory.url.appendingPathComponent("demo", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let scriptURL = directory.appendingPathComponent("train.sh")
        try Data(Self.script.utf8).write(to: scriptURL)
        let snapshot = try context.artifacts.snapshot(directory: directory)
        let spec = JobSpec(source: .snapshot(digest: snapshot.digest), entrypoint: ["sh", "train.sh"],
                           hyperparameters: ["epochs": 3], datasetVersion: "demo-data:v1")
        let (job, _) = try await context.backend.createJob(name: "demo-train", spec: spec)
        let queueName = "local"
        if (try? await context.backend.queue(named: queueName)) == nil {
            let config = try QueueConfig.parse(Self.queueConfig, target: .localProcess)
            _ = try await context.backend.createQueue(name: queueName, target: .localProcess, config: config)
        }
        let item = try await context.backend.enqueue(EnqueueRequest(job: JobReference(name: job.name, version: job.version), queue: queueName,
                                                                    variables: ["timeout_minutes": "5"]))
        print("Demo ready in \(context.directory.url.path): job \(job.reference), queue \(queueName), item \(item.id).\n")
        print("Queues:")
        try await QueueList.parse(["--output", "table"]).run()
        print("\nItems:")
        try await ItemsCommand.parse(["--queue", queueName, "--limit", "10"]).run()
        print("\nNext: launchdeck item describe \(item.id)   |   launchdeck --help")
    }
}
