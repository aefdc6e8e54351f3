/// A grid of hyperparameter values, each combination one run: `lr=0.1,0.01` and `batch=32,64` make four.
/// Axes keep the order they were given; the last varies fastest, as in nested loops, so items are enqueued
/// (and, at equal priority, run) in the order a user reading the command expects.
public struct HyperparameterSweep: Sendable, Hashable {
    public struct Axis: Sendable, Hashable {
        public var key: String
        public var values: [JSONValue]

        public init(key: String, values: [JSONValue]) {
            self.key = key
            self.values = values
        }
    }

    public var axes: [Axis]

    public init(axes: [Axis] = []) {
        self.axes = axes
    }

    /// How many combinations there are (1 for no axes: the plain run).
    public var count: Int {
        axes.reduce(1) { total, axis in total.multipliedReportingOverflow(by: axis.values.count).overflow ? .max : total * axis.values.count }
    }

    /// Every combination, each as the overrides it sets.
    public var combinations: [[String: JSONValue]] {
        axes.reduce([[:]]) { partial, axis in
            partial.flatMap { combination in
                axis.values.map { value in combination.merging([axis.key: value]) { _, new in new } }
            }
        }
    }
}
