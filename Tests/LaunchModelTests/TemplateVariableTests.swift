import LaunchModel
import Testing

@Suite struct TemplateVariableTests {
    static let text = """
        variables:
          gpus: {type: int, default: 1, min: 0, max: 8}
          hours: {type: int, min: 1, max: 48}
          lr: {type: float, default: 0.1, min: 0.0, max: 1.0}
          partition: {type: enum, values: [debug, gpu], default: debug}
          tag: {type: string, default: none}
        resource:
          partition: "{{partition}}"
          time_limit: "{{hours}}:00:00"
          gpus: "{{gpus}}"
          extra_args: ["--comment=lr {{lr}} tag {{tag}}"]
        """

    var config: QueueConfig { get throws { try QueueConfig.parse(Self.text, target: .slurm) } }

    @Test func valuesAreTypedAndDefaultsFilled() throws {
        let values = try config.resolveVariables(["hours": "4", "gpus": "2"])
        #expect(values == ["gpus": 2, "hours": 4, "lr": 0.1, "partition": "debug", "tag": "none"])
    }

    @Test func everyBadValueIsReported() throws {
        #expect {
            _ = try config.resolveVariables(["gpus": "9", "lr": "fast", "partition": "cpu", "nope": "1"])
        } throws: { error in
            let messages = Set((error as? ValidationFailure)?.issues.map(\.description) ?? [])
            return messages == [
                "gpus: 9 is above max 8",
                "lr: expected float, got \"fast\"",
                "partition: \"cpu\" is not one of debug, gpu",
                "nope: unknown template variable (this queue declares: gpus, hours, lr, partition, tag)",
                "hours: is required (int 1..48) and has no default",
            ]
        }
    }

    @Test func renderKeepsTypesOfSoleReferences() throws {
        let config = try config
        let values = try config.resolveVariables(["hours": "12", "gpus": "4"])
        let rendered = try config.renderValidated(with: values, target: .slurm)
        #expect(rendered["resource"]?["gpus"] == .int(4))
        #expect(rendered["resource"]?["time_limit"] == "12:00:00")
        #expect(rendered["resource"]?["extra_args"] == ["--comment=lr 0.1 tag none"])
        #expect(rendered["variables"] == nil)
    }

    @Test func renderedFormatsAreChecked() throws {
        let config = try QueueConfig.parse("variables:\n  t: {type: string, default: x}\nresource:\n  time_limit: \"{{t}}:00\"\n", target: .slurm)
        let values = try config.resolveVariables([:])
        #expect(throws: ValidationFailure.self) { try config.renderValidated(with: values, target: .slurm) }
    }

    @Test func referencesAreFound() {
        #expect(TemplateReference.names(in: "a {{x}} b {{ y }}") == ["x", "y"])
        #expect(TemplateReference.soleName(in: "{{ gpus }}") == "gpus")
        #expect(TemplateReference.soleName(in: "{{gpus}}x") == nil)
        #expect(TemplateReference.substitute("{{a}}-{{b}}", values: ["a": 1, "b": "z"]) == "1-z")
    }
}
