import Foundation
import Testing

@testable import GalaxyServer

/// The headless runner behind `galaxy simulate`: its JSON report and its scenario files.
@Suite struct SimulateCommandTests {
    let quietLogger = Logger(label: "simulate-test", minimumLevel: .error)

    /// Creates a fresh directory for one test's files.
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("galaxy-simulate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs the standard catalog and returns the report as written to disk, parsed back as JSON.
    func runReport(_ options: SimulationOptions) throws -> [String: Any] {
        let report = try SimulationRunner(options: options, catalog: SolarSystemCatalog.standard()).run(logger: quietLogger)
        let file = try temporaryDirectory().appendingPathComponent("report.json")
        try report.write(to: file.path)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file))
        return try #require(object as? [String: Any], "the report is not a JSON object")
    }

    func objects(_ report: [String: Any], _ key: String) throws -> [[String: Any]] {
        try #require(report[key] as? [[String: Any]], "the report has no \(key) array")
    }

    func vector(_ object: [String: Any], _ key: String) throws -> SIMD3<Double> {
        let values = try #require(object[key] as? [Double], "\(object["name"] ?? "?") has no \(key)")
        try #require(values.count == 3, "\(key) has \(values.count) components")
        return SIMD3(values[0], values[1], values[2])
    }

    func writeScenario(_ json: String) throws -> String {
        let file = try temporaryDirectory().appendingPathComponent("scenario.json")
        try Data(json.utf8).write(to: file)
        return file.path
    }

    @Test func reportGivesEpochAndFinalTime() throws {
        var options = SimulationOptions(days: 1)
        options.warp = 600
        options.includeStations = false
        let report = try runReport(options)
        let epoch = try #require(report["epoch"] as? [String: Any])
        let final = try #require(report["final"] as? [String: Any])
        #expect(epoch["iso_tdb"] as? String == "2026-01-01T00:00:00")
        #expect(epoch["jd_tdb"] as? Double == 2_461_041.5)
        #expect(final["iso_tdb"] as? String == "2026-01-02T00:00:00.000")
        #expect(final["jd_tdb"] as? Double == 2_461_042.5)
        #expect(report["elapsed_s"] as? Double == 86_400)
        #expect(report["ticks"] as? Int == 144)
        #expect(report["frame"] as? String == "ICRF")
    }

    @Test func finalTimeOfPartialDay() throws {
        var options = SimulationOptions(days: 0.25)
        options.warp = 1_000
        options.includeStations = false
        let report = try runReport(options)
        let final = try #require(report["final"] as? [String: Any])
        #expect(final["iso_tdb"] as? String == "2026-01-01T06:00:00.000")
        #expect(final["jd_tdb"] as? Double == 2_461_041.75)
        #expect(report["elapsed_s"] as? Double == 21_600)
    }

    /// Every body appears with its state in km and km/s. The same world stepped directly gives the same numbers
    /// divided by 1,000, to the JSON round trip's last bit, and Earth is 0.983-1.017 AU from the Sun.
    @Test func reportListsBodiesInKilometres() throws {
        var options = SimulationOptions(days: 1)
        options.warp = 600
        options.includeStations = false
        let bodies = try objects(try runReport(options), "bodies")

        let world = World(catalog: try SolarSystemCatalog.standard())
        for _ in 0..<144 { try world.step(seconds: 600) }
        #expect(bodies.map { $0["name"] as? String } == world.bodyNames)
        for (i, body) in bodies.enumerated() {
            let name = body["name"] as? String ?? "?"
            // Foundation's JSON text round trip may change the last bit of a double.
            let position = try vector(body, "position_km")
            let velocity = try vector(body, "velocity_km_s")
            #expect(TestMath.relativeDifference(position, world.bodyState(i).position / 1_000) < 1e-15, "\(name) position")
            #expect(TestMath.relativeDifference(velocity, world.bodyState(i).velocity / 1_000) < 1e-15, "\(name) velocity")
        }
        let earth = try vector(try #require(bodies.first { $0["name"] as? String == "Earth" }), "position_km")
        let sun = try vector(try #require(bodies.first { $0["name"] as? String == "Sun" }), "position_km")
        let distance = (earth - sun).length * 1_000 / Reference.astronomicalUnit
        #expect(distance > 0.983, "Earth is \(distance) AU from the Sun")
        #expect(distance < 1.017, "Earth is \(distance) AU from the Sun")
    }

    @Test func scenarioPlacesNamedShips() throws {
        let path = try writeScenario(
            """
            {"ships": [
              {"name": "Probe", "body": "Earth",
               "elements": {"a_km": 7000, "e": 0.001, "i_deg": 28.5, "raan_deg": 10, "argp_deg": 20, "true_anomaly_deg": 30},
               "design": {"fuel_kg": 800},
               "steering": {"attitude_mode": "prograde", "throttle": 1}},
              {"name": "Lunar Depot", "body": "Moon", "kind": "station",
               "elements": {"a_km": 1837.4, "e": 0, "i_deg": 90}}
            ]}
            """)
        var options = SimulationOptions(days: 0.01)
        options.warp = 60
        options.scenarioPath = path
        options.includeStations = false
        let report = try runReport(options)
        let ships = try objects(report, "ships")
        let bodies = try objects(report, "bodies")
        #expect(ships.map { $0["name"] as? String } == ["Probe", "Lunar Depot"])

        let probe = try #require(ships.first { $0["name"] as? String == "Probe" })
        #expect(probe["kind"] as? String == "ship")
        #expect(probe["primary"] as? String == "Earth")
        let fuel = try #require(probe["fuel_kg"] as? Double)
        #expect(fuel < 800, "the scenario's throttle burns fuel: \(fuel) kg left")
        #expect(fuel > 0, "the burn is shorter than the tanks last: \(fuel) kg left")
        let earth = try vector(try #require(bodies.first { $0["name"] as? String == "Earth" }), "position_km")
        let probeRadius = (try vector(probe, "position_km") - earth).length
        #expect(probeRadius > 6_990, "Probe is \(probeRadius) km from Earth")
        #expect(probeRadius < 7_600, "Probe is \(probeRadius) km from Earth")

        let depot = try #require(ships.first { $0["name"] as? String == "Lunar Depot" })
        #expect(depot["kind"] as? String == "station")
        #expect(depot["primary"] as? String == "Moon")
        let moon = try vector(try #require(bodies.first { $0["name"] as? String == "Moon" }), "position_km")
        let depotRadius = (try vector(depot, "position_km") - moon).length
        #expect(abs(depotRadius - 1_837.4) < 1, "Lunar Depot is \(depotRadius) km from the Moon")
    }

    @Test func standardStationsAreReported() throws {
        var options = SimulationOptions(days: 0.01)
        options.warp = 60
        let ships = try objects(try runReport(options), "ships")
        let names = Set(ships.compactMap { $0["name"] as? String })
        #expect(names == Set(World.standardStations.map(\.name)))
        #expect(ships.allSatisfy { $0["kind"] as? String == "station" })
    }

    /// Runs a scenario that must fail and returns the error's message.
    func scenarioFailure(_ path: String) -> String? {
        var options = SimulationOptions(days: 0.01)
        options.scenarioPath = path
        options.includeStations = false
        let error = #expect(throws: (any Error).self) {
            try SimulationRunner(options: options, catalog: SolarSystemCatalog.standard()).run(logger: quietLogger)
        }
        return error.map { "\($0)" }
    }

    @Test func scenarioWithMissingFieldNamesPathAndField() throws {
        let path = try writeScenario(#"{"ships": [{"name": "Probe", "body": "Earth"}]}"#)
        let message = try #require(scenarioFailure(path))
        #expect(message.contains(path), "\(message)")
        #expect(message.contains(".ships[0].elements"), "\(message)")
        #expect(message.contains("missing"), "\(message)")
    }

    @Test func scenarioWithWrongTypeNamesPathAndField() throws {
        let path = try writeScenario(
            #"{"ships": [{"name": "Probe", "body": "Earth", "elements": {"a_km": "seven", "e": 0, "i_deg": 0}}]}"#)
        let message = try #require(scenarioFailure(path))
        #expect(message.contains(path), "\(message)")
        #expect(message.contains(".ships[0].elements.a_km"), "\(message)")
    }

    @Test func scenarioWithBrokenJSONNamesPath() throws {
        let path = try writeScenario(#"{"ships": [{"name": "Probe", "#)
        let message = try #require(scenarioFailure(path))
        #expect(message.contains(path), "\(message)")
    }

    @Test func missingScenarioFileNamesPath() throws {
        let path = try temporaryDirectory().appendingPathComponent("absent.json").path
        let message = try #require(scenarioFailure(path))
        #expect(message.contains(path), "\(message)")
        #expect(message.contains("cannot read"), "\(message)")
    }

    @Test func scenarioWithUnknownBodyNamesBody() throws {
        let path = try writeScenario(
            #"{"ships": [{"name": "Probe", "body": "Pluto", "elements": {"a_km": 7000, "e": 0, "i_deg": 0}}]}"#)
        let message = try #require(scenarioFailure(path))
        #expect(message.contains("Pluto"), "\(message)")
    }

    @Test func scenarioOrbitInsideBodyIsRejected() throws {
        let path = try writeScenario(
            #"{"ships": [{"name": "Mole", "body": "Earth", "elements": {"a_km": 6000, "e": 0, "i_deg": 0}}]}"#)
        let message = try #require(scenarioFailure(path))
        #expect(message.contains("Mole"), "\(message)")
        #expect(message.contains("inside"), "\(message)")
    }

    @Test func invalidOptionsAreRejected() throws {
        let catalog = try SolarSystemCatalog.standard()
        let cases: [(String, SimulationOptions)] = [
            ("--days", SimulationOptions(days: 0)), ("--days", SimulationOptions(days: -1)),
            ("--days", SimulationOptions(days: .nan)), ("--days", SimulationOptions(days: .infinity)),
        ]
        var all = cases
        for warp in [0.5, 200_000, .nan] {
            var options = SimulationOptions(days: 1)
            options.warp = warp
            all.append(("--warp", options))
        }
        var negativeShips = SimulationOptions(days: 1)
        negativeShips.shipCount = -1
        all.append(("--ships", negativeShips))
        for (flag, options) in all {
            let error = #expect(throws: ScenarioError.self) { try SimulationRunner(options: options, catalog: catalog) }
            #expect(error?.description.contains(flag) == true, "\(String(describing: error))")
        }
    }
}
