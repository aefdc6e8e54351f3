import Foundation
import LaunchModel

/// `:jobs`: every job with its latest version's source, entrypoint, dependencies, hyperparameters and dataset.
struct JobsScreen {
    static func draw(_ buffer: inout ScreenBuffer, state: inout DeckState, snapshot: DeckSnapshot, top: Int, height: Int) {
        let jobs = Rows.jobs(snapshot, state)
        state.jobsSelection = max(0, min(state.jobsSelection, jobs.count - 1))
        let filter = state.filters[.jobs].map { " /\($0)" } ?? ""
        buffer.box(x: 0, y: top, width: buffer.width, height: height, title: "Jobs (\(jobs.count))\(filter)", focused: true)
        let table = TableView(
            columns: [Column("NAME", 16), Column("LATEST", 7), Column("VERS", 5, right: true), Column("SOURCE", 24), Column("ENTRYPOINT", 0),
                      Column("DEPENDENCIES", 16), Column("HYPERPARAMETERS", 22), Column("DATASET", 12), Column("CREATED", 8, right: true)],
            rowCount: jobs.count, selected: jobs.isEmpty ? nil : state.jobsSelection,
            row: { index in
                let job = jobs[index]
                let spec = job.latest.spec
                let dependencies = [spec.dependencies.baseImage.map { "image \($0)" },
                                    spec.dependencies.requirements.map { "\($0.split(separator: "\n").count) requirements" }].compactMap { $0 }
                return [TableCell(job.name), TableCell("v\(job.latest.version)"), TableCell(String(job.versionCount)),
                        TableCell(spec.source.summary), TableCell(spec.redactedEntrypoint.joined(separator: " ")),
                        TableCell(dependencies.isEmpty ? "-" : dependencies.joined(separator: ", ")),
                        TableCell(SecretRedactor.redact(spec.hyperparameters).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.displayText)" }.joined(separator: " ")),
                        TableCell(spec.datasetVersion ?? "-"),
                        TableCell(Durations.short(snapshot.now.timeIntervalSince(job.latest.createdAt)))]
            })
        _ = table.draw(into: &buffer, x: 1, y: top + 1, width: buffer.width - 2, height: height - 2, scroll: 0, focused: true)
        if jobs.isEmpty {
            buffer.put("no jobs: launchdeck job create NAME --dir PATH --entrypoint 'python train.py'", x: 2, y: top + 2, role: .dim)
        }
    }
}
