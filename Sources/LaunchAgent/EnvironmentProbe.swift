import Foundation
import LaunchModel
#if canImport(Glibc)
import Glibc
#endif

/// Finds out where the agent runs: host, OS, CPUs, memory, GPUs, container runtimes, cluster access.
/// Every external tool is optional and time-limited; what cannot be found stays empty.
public enum EnvironmentProbe {
    /// `engineTimeout`: how long `podman info` and `docker info` may take; a loaded machine needs longer.
    public static func probe(_ configuration: AgentConfiguration, engineTimeout: Duration = .seconds(10)) async -> AgentEnvironment {
        var system = utsname()
        uname(&system)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        }
        async let gpus = probeGPUs()
        // A runtime counts only when its engine answers: the client alone (docker without a daemon, podman without
        // working storage) would fail every item.
        async let podman = CommandProbe.output("podman", ["info", "--format", "{{.Version.Version}}"], timeout: engineTimeout)
        async let docker = CommandProbe.output("docker", ["info", "--format", "{{.ServerVersion}}"], timeout: engineTimeout)
        async let context = CommandProbe.output("kubectl", ["config", "current-context"])
        var runtimes: [AgentEnvironment.Runtime] = []
        if let version = await podman, !version.isEmpty { runtimes.append(.init(name: "podman", version: version)) }
        if let version = await docker, !version.isEmpty { runtimes.append(.init(name: "docker", version: version)) }
        let kubectl = CommandProbe.which("kubectl") != nil
        return AgentEnvironment(
            hostname: ProcessInfo.processInfo.hostName,
            os: osName(),
            kernel: field(system.release),
            architecture: field(system.machine),
            cpuModel: cpuModel(),
            cpuCount: ProcessInfo.processInfo.activeProcessorCount,
            memoryBytes: ProcessInfo.processInfo.physicalMemory,
            gpus: await gpus,
            runtimes: runtimes,
            slurmAvailable: CommandProbe.which("srun") != nil,
            kubectlAvailable: kubectl,
            kubernetesContext: kubectl ? await context : nil,
            agentVersion: configuration.version,
            pid: Int(getpid()),
            workingDirectory: FileManager.default.currentDirectoryPath,
            queues: configuration.queues,
            maxJobs: configuration.maxJobs,
            environmentVariables: SecretRedactor.redactEnvironment(ProcessInfo.processInfo.environment),
            probedAt: Date())
    }

    static func osName() -> String? {
        guard let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    static func cpuModel() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    static func probeGPUs() async -> [AgentEnvironment.GPU] {
        guard let output = await CommandProbe.output("nvidia-smi", ["--query-gpu=index,name,memory.total,driver_version",
                                                                    "--format=csv,noheader,nounits"]) else { return [] }
        return output.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 2, let index = Int(fields[0]) else { return nil }
            return AgentEnvironment.GPU(index: index, name: fields[1], memoryMiB: fields.count > 2 ? Int(fields[2]) : nil,
                                        driver: fields.count > 3 ? fields[3] : nil)
        }
    }
}
