import Crypto
import Foundation
import LaunchModel
#if canImport(Glibc)
import Glibc
#endif

/// A per-job-version Python virtualenv with the job's requirements, built once and reused by later runs.
/// A lock file keeps two runs of the same version from building it at once; a marker file says it is complete.
struct VirtualEnvironment {
    let directory: URL

    static func location(for context: RunContext, python: String) -> URL {
        let requirements = context.job.spec.dependencies.requirements ?? ""
        let key = SHA256.hash(data: Data((python + "\n" + requirements).utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
        return root(for: context).appendingPathComponent("\(context.job.name)-v\(context.job.version)-\(key)", isDirectory: true)
    }

    /// Virtualenvs of jobs run as another user (`agent --run-as`) are that user's, apart from the agent's own.
    static func root(for context: RunContext) -> URL {
        context.jobIdentity.map { context.agent.venvRoot.appendingPathComponent("user-\($0.uid)", isDirectory: true) } ?? context.agent.venvRoot
    }

    static func ensure(_ context: RunContext, python: String, reporter: any RunReporter, runner: GuardedProcess) async throws -> VirtualEnvironment {
        let directory = location(for: context, python: python)
        let marker = directory.appendingPathComponent(".launchdeck-ready")
        let manager = FileManager.default
        try manager.createDirectory(at: root(for: context), withIntermediateDirectories: true)
        // The user's own root of virtualenvs (not what is in it: pip made that as the user already).
        if let identity = context.jobIdentity { try identity.own(root(for: context), recursively: false) }
        if manager.fileExists(atPath: marker.path) { return VirtualEnvironment(directory: directory) }

        let lock = try await AsyncFileLock.acquire(directory.path + ".lock", unless: runner.stepHandle, until: runner.preparationDeadline)
        defer { lock.release() }
        if manager.fileExists(atPath: marker.path) { return VirtualEnvironment(directory: directory) }

        try await reporter.enter(.building)
        await reporter.progress(phase: "build", current: 0, total: 2, message: "creating virtualenv")
        try? manager.removeItem(at: directory)
        let requirementsFile = try JobWorkspace.writeOwnFile(Data((context.job.spec.dependencies.requirements ?? "").utf8),
                                                             named: ".launchdeck-requirements.txt", in: context.workDirectory,
                                                             owner: context.jobIdentity)
        var environment = JobEnvironment.base(identity: context.jobIdentity)
        environment["PIP_NO_INPUT"] = "1"
        try await runner.step(ProcessSpec(executable: python, arguments: ["-m", "venv", directory.path], environment: environment),
                              reporter: reporter, what: "\(python) -m venv")
        await reporter.progress(phase: "build", current: 1, total: 2, message: "pip install -r requirements.txt")
        try await runner.step(ProcessSpec(executable: directory.appendingPathComponent("bin/pip").path,
                                          arguments: ["install", "--disable-pip-version-check", "-r", requirementsFile.path],
                                          environment: environment),
                              reporter: reporter, what: "pip install")
        try Data().write(to: marker)
        await reporter.progress(phase: "build", current: 2, total: 2, message: "virtualenv ready")
        return VirtualEnvironment(directory: directory)
    }
}

/// An exclusive `flock` taken without blocking a Swift concurrency thread: it retries until it gets the lock.
final class AsyncFileLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Waits until the lock is free, or until `stop` is asked to stop the item (a cancel or a drain while another
    /// agent builds the same virtualenv), or until the preparation's deadline.
    static func acquire(_ path: String, unless stop: ProcessGroupHandle, until deadline: BootInstant? = nil) async throws -> AsyncFileLock {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw RunError.prepare("cannot open lock \(path): \(String(cString: strerror(errno)))") }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                close(descriptor)
                throw RunError.prepare("cannot lock \(path): \(String(cString: strerror(errno)))")
            }
            if stop.stopRequested {
                close(descriptor)
                throw RunError.prepare("stopped while waiting for \(path)")
            }
            if let deadline, BootInstant.now >= deadline {
                close(descriptor)
                throw PreparationTimeout()
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        return AsyncFileLock(descriptor: descriptor)
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
