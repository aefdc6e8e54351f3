import Foundation
import LaunchModel
#if canImport(Glibc)
import Glibc
#endif

/// The Unix user an agent's local-process jobs run as (`agent --run-as USER`), so jobs on a shared machine cannot
/// read the store, other queues' secrets or other jobs' environments. The guard drops to it after fork, before exec;
/// it keeps its own privileges, so it can always stop the job.
public struct JobIdentity: Sendable, Hashable {
    public var name: String
    public var uid: uid_t
    public var gid: gid_t
    public var groups: [gid_t]
    public var home: String
    public var shell: String

    /// Looks the user up in the system's user database (so the static guard never has to).
    public static func resolve(_ name: String) throws -> JobIdentity {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let found = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        guard found == 0, result != nil else {
            throw RunError.launch("no user named \"\(name.escapedForMessage)\" on this machine")
        }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, entry.pw_gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(name, entry.pw_gid, &groups, &count)
        }
        return JobIdentity(name: name, uid: entry.pw_uid, gid: entry.pw_gid, groups: Array(groups.prefix(Int(max(0, count)))),
                           home: String(cString: entry.pw_dir), shell: String(cString: entry.pw_shell))
    }

    /// How the guard is told to become this user.
    var guardArguments: [String] {
        ["--uid", String(uid), "--gid", String(gid)] + (groups.isEmpty ? [] : ["--groups", groups.map(String.init).joined(separator: ",")])
    }

    /// Gives a file or directory tree the agent prepared (a work directory) to this user.
    func own(_ url: URL, recursively: Bool = true) throws {
        guard lchown(url.path, uid, gid) == 0 else {
            throw RunError.prepare("cannot give \(url.path) to user \(name): \(String(cString: strerror(errno)))")
        }
        guard recursively else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else { return }
        let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil, options: [])
        while let child = enumerator?.nextObject() as? URL {
            guard lchown(child.path, uid, gid) == 0 else {
                throw RunError.prepare("cannot give \(child.path) to user \(name): \(String(cString: strerror(errno)))")
            }
        }
    }
}
