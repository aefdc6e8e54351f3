import LaunchModel
import Testing

@Suite struct QueueConfigValidationTests {
    func issues(_ text: String, _ target: TargetKind = .container) -> [ValidationIssue] {
        do {
            _ = try QueueConfig.parse(text, target: target, source: "queue.yaml")
            return []
        } catch {
            return error.issues
        }
    }

    func formatted(_ text: String, _ target: TargetKind = .container) -> [String] {
        issues(text, target).map { $0.formatted(source: "queue.yaml") }
    }

    @Test func starterConfigsAreValid() throws {
        for target in TargetKind.allCases {
            let config = try QueueConfig.parse(QueueConfig.defaultText(for: target), target: target)
            #expect(config.maxAttempts == 3)
        }
    }

    @Test func boundsErrorNamesPathLineAndLimit() {
        let text = "resource:\n  runtime: podman\n  gpus: 9\n"
        #expect(formatted(text) == ["queue.yaml:3: resource.gpus: 9 is above max 8"])
    }

    @Test func typeMismatchQuotesTheValue() {
        #expect(formatted("resource:\n  gpus: two\n") == ["queue.yaml:2: resource.gpus: expected int, got \"two\""])
        #expect(formatted("resource:\n  gpus: \"2\"\n") == ["queue.yaml:2: resource.gpus: expected int, got \"2\""])
    }

    @Test func everyErrorIsReportedNotJustTheFirst() {
        let text = """
            max_attempts: 0
            resorce: {}
            resource:
              gpus: 9
              memory: lots
              network: wifi
              run_args: [--rm, 3]
              env:
                1BAD: x
            """
        let found = Set(formatted(text))
        #expect(found == [
            "queue.yaml:1: max_attempts: 0 is below min 1",
            "queue.yaml:2: resorce: unknown field (known: description, max_attempts, variables, resource)",
            "queue.yaml:4: resource.gpus: 9 is above max 8",
            "queue.yaml:5: resource.memory: \"lots\" is not a memory quantity (example: 16G)",
            "queue.yaml:6: resource.network: \"wifi\" is not one of none, host, bridge",
            "queue.yaml:7: resource.run_args[1]: expected string, got 3",
            "queue.yaml:9: resource.env.1BAD: \"1BAD\" is not a valid environment variable name",
        ])
    }

    @Test func yamlSyntaxErrorHasALine() {
        let found = issues("resource:\n  gpus: [1, 2\n  memory: 4G\n")
        #expect(found.count == 1)
        #expect(found.first?.line != nil)
        #expect(found.first?.message.contains("YAML syntax error") == true)
    }

    @Test func duplicateKeysAndAliasesAreRejected() {
        #expect(formatted("resource:\n  gpus: 1\n  gpus: 2\n") == ["queue.yaml:2: key gpus appears twice in the mapping that starts here"])
        #expect(!issues("base: &b {gpus: 1}\nresource: *b\n").isEmpty)
    }

    /// Numbers no Int holds are shown, never converted: `max: 1e19` and `max_attempts: 9223372036854775807` trapped.
    @Test func hugeNumbersAreReportedNotConverted() throws {
        let config = try QueueConfig.parse("variables:\n  steps: {type: int, default: 1, min: 0, max: 1e19}\n", target: .container)
        #expect(config.variables.first?.boundsText == "int 0..1e+19")
        #expect(formatted("variables:\n  steps: {type: int, default: 1, min: 1e19}\n") == ["queue.yaml:2: variables.steps.default: 1 is below min 1e+19"])
        #expect(formatted("max_attempts: 9223372036854775807\n") == ["queue.yaml:1: max_attempts: 9.223372036854776e+18 is above max 100"])
    }

    @Test func requiredVariableTypeIsReported() {
        #expect(formatted("variables:\n  x: {default: 1}\n") == ["queue.yaml:2: variables.x.type: is required"])
    }

    @Test func templateReferencesMustBeDeclared() {
        #expect(formatted("resource:\n  memory: \"{{mem}}\"\n") ==
                ["queue.yaml:2: resource.memory: unknown template variable {{mem}} (declare it under variables)"])
    }

    @Test func templateReferencesAreNeverKeys() {
        let text = "variables:\n  k: {type: string, default: A}\nresource:\n  env:\n    \"{{k}}\": x\n"
        #expect(formatted(text) == ["queue.yaml:5: resource.env.{{k}}: template variables are not allowed in keys"])
    }

    @Test func variableMustFitTheFieldItFills() {
        let text = """
            variables:
              name: {type: string, default: a}
              many: {type: int, default: 1, min: 0, max: 1024}
              unbounded: {type: int, default: 1}
              net: {type: enum, values: [none, wifi], default: none}
            resource:
              gpus: "{{name}}"
              cpus: "{{many}}"
              network: "{{net}}"
              build:
                steps: ["RUN echo {{unbounded}}"]
            """
        #expect(Set(formatted(text)) == [
            "queue.yaml:7: resource.gpus: variable name is string, cannot fill a int",
            "queue.yaml:8: resource.cpus: variable many needs min >= 0.01 to fit here",
            "queue.yaml:8: resource.cpus: variable many needs max <= 512 to fit here",
            "queue.yaml:9: resource.network: variable net allows wifi, not one of none, host, bridge",
        ])
        let unboundedGpus = "variables:\n  g: {type: int, default: 1}\nresource:\n  gpus: \"{{g}}\"\n"
        #expect(Set(formatted(unboundedGpus)) == [
            "queue.yaml:4: resource.gpus: variable g needs min >= 0 to fit here",
            "queue.yaml:4: resource.gpus: variable g needs max <= 8 to fit here",
        ])
    }

    @Test func variableDeclarationsAreChecked() {
        let text = """
            variables:
              a: {type: int, min: 5, max: 1}
              b: {type: int, default: 20, max: 10}
              c: {type: enum}
              d: {type: string, min: 1}
              e: {type: float, default: fast}
              f: {type: bool}
            """
        #expect(Set(formatted(text)) == [
            "queue.yaml:2: variables.a: min 5 is above max 1",
            "queue.yaml:3: variables.b.default: 20 is above max 10",
            "queue.yaml:4: variables.c.values: an enum variable needs a list of values",
            "queue.yaml:5: variables.d.min: only int and float variables take min",
            "queue.yaml:6: variables.e.default: expected float, got \"fast\"",
            "queue.yaml:7: variables.f.type: \"bool\" is not one of string, int, float, enum",
        ])
    }

    @Test func eachTargetHasItsOwnSchema() {
        #expect(formatted("resource:\n  partition: gpu\n", .container) ==
                ["queue.yaml:2: resource.partition: unknown field (known: runtime, base_image, build, run_args, cpus, memory, gpus, network, env, timeout, prepare_timeout)"])
        #expect(issues("resource:\n  partition: gpu\n  time_limit: 1-00:00:00\n", .slurm).isEmpty)
        #expect(formatted("resource:\n  time_limit: forever\n", .slurm) ==
                ["queue.yaml:2: resource.time_limit: \"forever\" is not a Slurm time limit (example: 2-00:00:00)"])
        #expect(issues("resource:\n  namespace: ml\n  job_spec: {template: {spec: {priorityClassName: high}}}\n", .kubernetes).isEmpty)
        #expect(formatted("resource:\n  namespace: ML_Jobs\n", .kubernetes) ==
                ["queue.yaml:2: resource.namespace: \"ML_Jobs\" is not a DNS label (example: ml-jobs)"])
        #expect(formatted("resource:\n  timeout: soon\n", .localProcess) ==
                ["queue.yaml:2: resource.timeout: \"soon\" is not a duration (example: 90m)"])
    }

    @Test func emptyDocumentIsTheEmptyConfig() throws {
        let config = try QueueConfig.parse("", target: .localProcess)
        #expect(config.value == .object([:]))
        #expect(config.variables.isEmpty)
    }
}
