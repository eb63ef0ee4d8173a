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

    /// Outcome of a maneuver, or its state when the run ends.
    public struct ManeuverOutcome: Encodable {
        public var ship: String
        public var kind: String
        /// completed, aborted, cancelled or active.
        public var status: String
        public var reason: String?
        public var elapsedSeconds: Double
        public var propellantKg: Double
        public var phase: String
        public var errors: [String: Double]?
        public var distanceMeters: Double?
        public var relativeSpeedMetersPerSecond: Double?

        enum CodingKeys: String, CodingKey {
            case ship, kind, status, reason, phase, errors
            case elapsedSeconds = "elapsed_s"
            case propellantKg = "propellant_kg"
            case distanceMeters = "distance_m"
            case relativeSpeedMetersPerSecond = "relative_speed_m_s"
        }

        init(ship: String, status: String, reason: String?, progress p: ManeuverProgress) {
            self.ship = ship
            self.status = status
            self.reason = reason
            kind = ManeuverEncoder.kindName(p.goal)
            elapsedSeconds = p.elapsedSeconds
            propellantKg = p.propellantUsedKg
            phase = p.phase.rawValue
            errors = p.elementErrors.map { e in
                [
                    "a_m": e.semiMajorAxisMeters, "e_vector": e.eccentricityVector, "i_deg": e.inclinationRadians * 180 / .pi,
                    "node_vector": e.nodeVector,
                ]
            }
            distanceMeters = p.distanceMeters
            relativeSpeedMetersPerSecond = p.relativeSpeedMetersPerSecond
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
    public var maneuvers: [ManeuverOutcome]

    enum CodingKeys: String, CodingKey {
        case frame, origin, epoch, final, ticks, bodies, ships, events, maneuvers
        case elapsedSeconds = "elapsed_s"
        case wallSeconds = "wall_s"
    }

    init(
        world: World, events: [ShipEvent], maneuverEvents: [ManeuverEvent] = [],
        active: [ShipID: ManeuverProgress] = [:], wallSeconds: Double
    ) {
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
        maneuvers = SimulationReport.outcomes(maneuverEvents, active: active, names: names)
        self.events = events.map { event in
            Event(
                ship: names[event.shipID] ?? "\(event.shipID)", kind: event.kind.rawValue, tick: event.tick,
                gameTimeSeconds: event.gameTimeSeconds, body: event.body)
        }
    }

    /// Returns the last outcome event of each ship's maneuver, or its progress if it is still running (a
    /// rendezvous keeps station after it completes, so it counts as completed).
    static func outcomes(
        _ events: [ManeuverEvent], active: [ShipID: ManeuverProgress], names: [ShipID: String]
    ) -> [ManeuverOutcome] {
        var outcomes: [ShipID: ManeuverOutcome] = [:]
        for event in events {
            let name = names[event.shipID] ?? "\(event.shipID)"
            switch event.kind {
            case .phaseChanged: continue
            case .completed:
                outcomes[event.shipID] = ManeuverOutcome(ship: name, status: "completed", reason: nil, progress: event.progress)
            case .aborted(let reason):
                outcomes[event.shipID] = ManeuverOutcome(ship: name, status: "aborted", reason: reason.description, progress: event.progress)
            case .cancelled(let reason):
                outcomes[event.shipID] = ManeuverOutcome(ship: name, status: "cancelled", reason: reason.rawValue, progress: event.progress)
            }
        }
        for (ship, progress) in active where outcomes[ship] == nil {
            outcomes[ship] = ManeuverOutcome(ship: names[ship] ?? "\(ship)", status: "active", reason: nil, progress: progress)
        }
        return outcomes.values.sorted { $0.ship < $1.ship }
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
