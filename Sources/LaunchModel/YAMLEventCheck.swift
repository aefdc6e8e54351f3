import CYaml

/// Checks YAML text from the parser's events, before anything is composed: aliases are refused (a "billion laughs"
/// file of nine nested levels expands past a gigabyte, and queue configurations have no use for them), and so is a
/// document of more nodes than any configuration needs. Syntax errors are left to the composer, which reports them
/// with their line and column.
enum YAMLEventCheck {
    static let maxBytes = 1 << 20
    static let maxNodes = 20_000

    static func problems(in text: String) -> ValidationIssue? {
        let size = text.utf8.count
        if size > maxBytes {
            return ValidationIssue(path: "", message: "the configuration is \(size) bytes; the limit is \(maxBytes) (1 MiB)")
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> ValidationIssue? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var nodes = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                switch event.type {
                case YAML_ALIAS_EVENT:
                    return ValidationIssue(path: "", message: "YAML aliases (*name) are not supported in queue configurations; write the values out", line: line)
                case YAML_SCALAR_EVENT, YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    nodes += 1
                    if nodes > maxNodes {
                        return ValidationIssue(path: "", message: "the configuration has more than \(maxNodes) keys and values", line: line)
                    }
                case YAML_STREAM_END_EVENT:
                    return nil
                default:
                    break
                }
            }
        }
    }
}
