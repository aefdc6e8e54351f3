/// Checks for container image references; they reach `podman`/`docker` as argv entries,
/// and a value starting with `-` would be read as a flag.
public enum ImageReference {
    private static let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@")

    public static func problem(in reference: String) -> String? {
        if reference.isEmpty { return "image reference is empty" }
        if reference.count > 255 { return "image reference is longer than 255 characters" }
        if reference.hasPrefix("-") || reference.hasPrefix("/") || reference.hasPrefix(".") {
            return "\"\(reference.escapedForMessage)\" is not an image reference"
        }
        if let bad = reference.first(where: { !allowed.contains($0) }) {
            return "\"\(reference.escapedForMessage)\" is not an image reference (character \"\(String(bad).escapedForMessage)\" not allowed)"
        }
        return nil
    }
}
