/// Splits a command written as one string (`python train.py --name "my run"`) into argv,
/// with the quoting rules of a POSIX shell but none of its expansions: nothing is ever run through a shell.
public enum ArgvSplitter {
    /// One argument written so that `split` reads it back unchanged: quoted only when it has to be.
    public static func quote(_ argument: String) -> String {
        let plain = !argument.isEmpty && !argument.contains { $0.isWhitespace || $0 == "'" || $0 == "\"" || $0 == "\\" }
        return plain ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    public static func split(_ command: String) throws -> [String] {
        var arguments: [String] = []
        var current = ""
        var inArgument = false
        var quote: Character?
        var iterator = command.makeIterator()
        while let char = iterator.next() {
            if let open = quote {
                if char == open {
                    quote = nil
                } else if char == "\\" && open == "\"" {
                    guard let next = iterator.next() else { break }
                    if next != "\"" && next != "\\" && next != "$" && next != "`" { current.append("\\") }
                    current.append(next)
                } else {
                    current.append(char)
                }
            } else if char == "'" || char == "\"" {
                quote = char
                inArgument = true
            } else if char == "\\" {
                guard let next = iterator.next() else {
                    throw LaunchError.invalidInput("command ends with a lone backslash: \(command.escapedForMessage)")
                }
                current.append(next)
                inArgument = true
            } else if char.isWhitespace {
                if inArgument { arguments.append(current) }
                current = ""
                inArgument = false
            } else {
                current.append(char)
                inArgument = true
            }
        }
        if let open = quote {
            throw LaunchError.invalidInput("unterminated \(open) quote in command: \(command.escapedForMessage)")
        }
        if inArgument { arguments.append(current) }
        return arguments
    }
}
