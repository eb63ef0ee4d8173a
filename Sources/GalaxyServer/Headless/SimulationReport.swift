import Foundation

/// Output of `galaxy simulate`: the epoch and final time (TDB) and every body's and ship's ICRF
/// barycentric state in km and km/s.
public struct SimulationReport: Encodable {
    public struct Time: Encodable {
        public var isoTDB: String
        public var julianDateTDB: Double

        enum CodingKeys: String, CodingKey {
            case isoTDB = "iso_tdb"
            case julianDateTDB = "jd_tdb"
        }
    }

    public struct Object: Encodable {
        public var name: String
        public var kind: String
        public var positionKm: [Double]
        public var velocityKmS: [Double]
        public var primary: String?
        public var fuelKg: Double?
        public var condition: [String]?

        enum CodingKeys: String, CodingKey {
            case name, kind, primary, condition
            case positionKm = "position_km"
            case velocityKmS = "velocity_km_s"
            case fuelKg = "fuel_kg"
        }
    }

    public struct Event: Encodable {
        public var ship: String
        public var kind: String
        public var tick: UInt64
        public var gameTimeSeconds: Double
        public var body: String?

        enum CodingKeys: String, CodingKey {
            case ship, kind, tick, body
            case gameTimeSeconds = "game_time_s"
        }
    }

    public var frame = "ICRF"
    public var origin = "solar system barycenter"
    public var epoch: Time
    public var final: Time
    public var elapsedSeconds: Double
    public var ticks: UInt64
    public var wallSeconds: Double
    public var bodies: [Object]
    public var ships: [Object]
    public var events: [Event]

    enum CodingKeys: String, CodingKey {
        case frame, origin, epoch, final, ticks, bodies, ships, events
        case elapsedSeconds = "elapsed_s"
        case wallSeconds = "wall_s"
    }

    init(world: World, events: [ShipEvent], wallSeconds: Double) {
        let epochJD = world.catalog.epoch.julianDateTDB
        let finalJD = epochJD + world.elapsedSeconds / 86_400
        epoch = Time(isoTDB: world.catalog.epoch.isoTDB, julianDateTDB: epochJD)
        final = Time(isoTDB: SimulationReport.isoDate(julianDate: finalJD), julianDateTDB: finalJD)
        elapsedSeconds = world.elapsedSeconds
        ticks = world.tick
        self.wallSeconds = wallSeconds
        bodies = world.bodyNames.indices.map { i in
            let state = world.bodyState(i)
            return Object(
                name: world.bodyNames[i], kind: "body", positionKm: SimulationReport.km(state.position),
                velocityKmS: SimulationReport.km(state.velocity))
        }
        let snapshots = world.allShips()
        let names = Dictionary(snapshots.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        ships = snapshots.map { ship in
            Object(
                name: ship.name, kind: ship.kind.rawValue, positionKm: SimulationReport.km(ship.position),
                velocityKmS: SimulationReport.km(ship.velocity), primary: ship.primary, fuelKg: ship.fuelKg,
                condition: SimulationReport.conditionNames(ship.condition))
        }
        self.events = events.map { event in
            Event(
                ship: names[event.shipID] ?? "\(event.shipID)", kind: event.kind.rawValue, tick: event.tick,
                gameTimeSeconds: event.gameTimeSeconds, body: event.body)
        }
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func km(_ v: SIMD3<Double>) -> [Double] { [v.x / 1000, v.y / 1000, v.z / 1000] }

    static func conditionNames(_ condition: ShipCondition) -> [String] {
        var names: [String] = []
        if condition.contains(.crashed) { names.append("crashed") }
        if condition.contains(.frozen) { names.append("frozen") }
        if condition.contains(.outOfFuel) { names.append("out_of_fuel") }
        return names
    }

    /// Calendar date of a Julian date, to the millisecond, with no zone suffix because the scale is TDB.
    static func isoDate(julianDate: Double) -> String {
        let unixSeconds = (julianDate - 2_440_587.5) * 86_400
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var text = formatter.string(from: Date(timeIntervalSince1970: unixSeconds))
        if text.hasSuffix("Z") { text.removeLast() }
        return text
    }
}
