/// The one definition of every target's queue configuration. The validator and
/// `launchdeck queue schema` both read it, so they cannot drift apart.
public enum QueueConfigSchema {
    public static func root(for target: TargetKind) -> FieldType {
        .object(commonFields + [ConfigField("resource", .object(resourceFields(for: target)),
                                            description: "How items of this queue run on the \(target.rawValue) target.")])
    }

    public static let variableFields: [ConfigField] = [
        ConfigField("type", .enumeration(VariableType.allCases.map(\.rawValue)), required: true, description: "Value type."),
        ConfigField("default", .any, description: "Value used when the enqueuer gives none; without it the variable is required."),
        ConfigField("min", .number(min: nil, max: nil), description: "Smallest allowed value (int and float)."),
        ConfigField("max", .number(min: nil, max: nil), description: "Largest allowed value (int and float)."),
        ConfigField("values", .list(.string(nil)), description: "Allowed values (enum)."),
        ConfigField("description", .string(nil), description: "Shown to enqueuers."),
    ]

    static let commonFields: [ConfigField] = [
        ConfigField("description", .string(nil), description: "What this queue is for."),
        ConfigField("max_attempts", .integer(min: 1, max: 100), description: "Runs an item may start before a lost lease fails it.", default: 3),
        ConfigField("variables", .map(.object(variableFields), keyFormat: .variableName),
                    description: "Template variables that enqueuers fill in; reference them as {{name}} in values, never in keys."),
    ]

    static let env = ConfigField("env", .map(.string(nil), keyFormat: .envName), description: "Environment variables for the job.")
    static let timeout = ConfigField("timeout", .string(.duration), description: "Wall-clock limit per run (90s, 30m, 2h, 1d).")
    /// Preparation (git clone, pip install, image build) has a limit of its own, so a stalled clone cannot hold a slot.
    static let prepareTimeout = ConfigField("prepare_timeout", .string(.duration),
                                            description: "Limit on preparing a run: git clone, pip install, image build (90s, 30m, 2h).",
                                            default: "1h")
    static let gpus = ConfigField("gpus", .integer(min: 0, max: 8), description: "GPUs per run.", default: 0)

    public static func resourceFields(for target: TargetKind) -> [ConfigField] {
        switch target {
        case .localProcess:
            return [
                ConfigField("working_dir", .string(nil), description: "Directory the job runs in; default: a fresh per-item directory."),
                env, timeout, prepareTimeout,
                ConfigField("python", .string(nil), description: "Interpreter used to create the job's virtualenv.", default: "python3"),
            ]
        case .container:
            return [
                ConfigField("runtime", .enumeration(["auto", "podman", "docker"]), description: "Container CLI to use; auto picks podman, then docker.", default: "auto"),
                ConfigField("base_image", .string(.image), description: "Image that builds of code and git jobs start from."),
                ConfigField("build", .object([
                    ConfigField("steps", .list(.string(nil)), description: "Extra Containerfile lines added after dependencies."),
                    ConfigField("args", .map(.string(nil), keyFormat: .envName), description: "Build arguments."),
                ]), description: "Image build settings."),
                ConfigField("run_args", .list(.string(nil)), description: "Extra arguments for `run`, one per entry."),
                ConfigField("cpus", .number(min: 0.01, max: 512), description: "CPU limit."),
                ConfigField("memory", .string(.memory), description: "Memory limit (512m, 16G)."),
                gpus,
                ConfigField("network", .enumeration(["none", "host", "bridge"]), description: "Network mode.", default: "none"),
                env, timeout, prepareTimeout,
            ]
        case .slurm:
            return [
                ConfigField("partition", .string(nil), description: "Partition (srun --partition)."),
                ConfigField("time_limit", .string(.slurmTime), description: "Time limit (srun --time), e.g. 04:00:00 or 2-00:00:00."),
                gpus,
                ConfigField("cpus_per_task", .integer(min: 1, max: 1024), description: "CPUs per task.", default: 1),
                ConfigField("mem", .string(.memory), description: "Memory per node (srun --mem)."),
                ConfigField("nodes", .integer(min: 1, max: 4096), description: "Nodes per job.", default: 1),
                ConfigField("account", .string(nil), description: "Account to charge."),
                ConfigField("qos", .string(nil), description: "Quality of service."),
                ConfigField("constraint", .string(nil), description: "Node features (srun --constraint)."),
                ConfigField("extra_args", .list(.string(nil)), description: "Further srun options, one flag per entry (--exclusive, --gres=gpu:a100:2)."),
                env, prepareTimeout,
            ]
        case .kubernetes:
            return [
                ConfigField("namespace", .string(.dnsLabel), description: "Namespace of the Job.", default: "default"),
                ConfigField("context", .string(nil), description: "kubectl context; default: the current one."),
                ConfigField("image", .string(.image), description: "Image for code and git jobs to run in."),
                ConfigField("service_account", .string(nil), description: "Service account of the Job's pods."),
                ConfigField("cpu", .string(nil), description: "CPU request and limit (500m, 4)."),
                ConfigField("memory", .string(.memory), description: "Memory request and limit (16Gi)."),
                gpus,
                ConfigField("backoff_limit", .integer(min: 0, max: 100), description: "Kubernetes retries inside one attempt.", default: 0),
                ConfigField("ttl_seconds_after_finished", .integer(min: 0, max: nil), description: "Seconds a finished Job is kept."),
                ConfigField("job_spec", .anyObject, description: "A batch/v1 Job spec merged under the generated one."),
                env,
            ]
        }
    }
}
