import LaunchModel
import Testing

@Suite struct HyperparameterSweepTests {
    @Test func everyCombinationOnceWithTheLastAxisFastest() {
        let sweep = HyperparameterSweep(axes: [.init(key: "lr", values: [0.1, 0.01]), .init(key: "batch", values: [32, 64, 128])])
        #expect(sweep.count == 6)
        #expect(sweep.combinations == [
            ["lr": 0.1, "batch": 32], ["lr": 0.1, "batch": 64], ["lr": 0.1, "batch": 128],
            ["lr": 0.01, "batch": 32], ["lr": 0.01, "batch": 64], ["lr": 0.01, "batch": 128],
        ])
    }

    @Test func noAxesIsThePlainRun() {
        #expect(HyperparameterSweep().count == 1)
        #expect(HyperparameterSweep().combinations == [[:]])
    }

    @Test func aHugeGridSaysSoWithoutOverflowing() {
        let axis = HyperparameterSweep.Axis(key: "x", values: Array(repeating: 1, count: 1 << 16))
        let sweep = HyperparameterSweep(axes: [axis, axis, axis, axis, axis])
        #expect(sweep.count == .max)
    }
}
