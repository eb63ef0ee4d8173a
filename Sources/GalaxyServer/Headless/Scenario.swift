import Foundation

/// A scenario file for `galaxy simulate --scenario FILE`: named ships placed on orbital elements about
/// named bodies, optionally with a design and an initial steering command.
///
/// ```json
/// {"ships": [{"name": "Probe", "body": "Earth",
///             "elements": {"a_km": 7000, "e": 0.001, "i_deg": 28.5, "raan_deg": 0, "argp_deg": 0, "true_anomaly_deg": 0},
///             "steering": {"attitude_mode": "prograde", "throttle": 1}}]}
/// ```
public struct Scenario: Decodable, Sendable {
    public struct Elements: Decodable, Sendable {
        public var aKm: Double
        public var e: Double
        public var iDeg: Double
        public var raanDeg: Double?
        public var argpDeg: Double?
        public var trueAnomalyDeg: Double?

        enum CodingKeys: String, CodingKey {
            case aKm = "a_km", e, iDeg = "i_deg", raanDeg = "raan_deg", argpDeg = "argp_deg"
            case trueAnomalyDeg = "true_anomaly_deg"
        }

        var orbitalElements: OrbitalElements {
            OrbitalElements(
                semiMajorAxisMeters: aKm * 1000, eccentricity: e, inclination: iDeg * .pi / 180,
                rightAscensionOfAscendingNode: (raanDeg ?? 0) * .pi / 180, argumentOfPeriapsis: (argpDeg ?? 0) * .pi / 180,
                trueAnomaly: (trueAnomalyDeg ?? 0) * .pi / 180)
        }
    }

    public struct Design: Decodable, Sendable {
        public var dryMassKg: Double?
        public var fuelKg: Double?
        public var maxThrustN: Double?
        public var ispS: Double?

        enum CodingKeys: String, CodingKey {
            case dryMassKg = "dry_mass_kg", fuelKg = "fuel_kg", maxThrustN = "max_thrust_n", ispS = "isp_s"
        }

        func applied(to base: ShipDesign) -> ShipDesign {
            var design = base
            if let dryMassKg { design.dryMassKg = dryMassKg }
            if let fuelKg { design.fuelKg = fuelKg }
            if let maxThrustN { design.maxThrustNewtons = maxThrustN }
            if let ispS { design.ispSeconds = ispS }
            return design
        }
    }

    public struct Steering: Decodable, Sendable {
        public var attitudeMode: AttitudeMode?
        public var throttle: Double?

        enum CodingKeys: String, CodingKey { case attitudeMode = "attitude_mode", throttle }
    }

    /// A maneuver started at the epoch: `{"kind": "transfer", "body": "Earth", "target": {elements}}`,
    /// `{"kind": "match_orbit", "target": "Station name"}` or
    /// `{"kind": "rendezvous", "target": "Station name", "standoff_m": 100, "relative_speed_m_s": 0.1}`.
    public struct ManeuverEntry: Decodable, Sendable {
        public var kind: String
        public var body: String?
        public var target: Target?
        public var standoffM: Double?
        public var relativeSpeedMS: Double?

        /// Either target elements (transfer) or the name of a ship or station (match, rendezvous).
        public enum Target: Decodable, Sendable {
            case elements(Elements)
            case ship(String)

            public init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let name = try? container.decode(String.self) {
                    self = .ship(name)
                } else {
                    self = .elements(try container.decode(Elements.self))
                }
            }
        }

        enum CodingKeys: String, CodingKey {
            case kind, body, target
            case standoffM = "standoff_m"
            case relativeSpeedMS = "relative_speed_m_s"
        }

        func goal(ship: String, ids: [String: ShipID]) throws -> ManeuverGoal {
            switch (kind, target) {
            case ("transfer", .elements(let e)?):
                guard let body else { throw ScenarioError("ship \(ship): a transfer maneuver needs a body") }
                let el = e.orbitalElements
                return .transfer(
                    body: body,
                    target: QLawTarget(
                        semiMajorAxisMeters: el.semiMajorAxisMeters, eccentricity: el.eccentricity, inclination: el.inclination,
                        rightAscensionOfAscendingNode: el.rightAscensionOfAscendingNode,
                        argumentOfPeriapsis: el.argumentOfPeriapsis))
            case ("match_orbit", .ship(let name)?), ("rendezvous", .ship(let name)?):
                guard let target = ids[name] else { throw ScenarioError("ship \(ship): maneuver target '\(name)' not found") }
                return kind == "match_orbit"
                    ? .matchOrbit(target: target)
                    : .rendezvous(target: target, standoffMeters: standoffM ?? 100, relativeSpeedMetersPerSecond: relativeSpeedMS ?? 0.1)
            default:
                throw ScenarioError(
                    "ship \(ship): maneuver kind must be transfer (with body and target elements) or match_orbit/rendezvous (with a target name), got '\(kind)'")
            }
        }
    }

    public struct ShipEntry: Decodable, Sendable {
        public var name: String
        public var body: String
        public var kind: ShipKind?
        public var elements: Elements
        public var design: Design?
        public var steering: Steering?
        public var maneuver: ManeuverEntry?
    }

    public var ships: [ShipEntry]

    public static func load(path: String) throws -> Scenario {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ScenarioError("cannot read scenario file \(path): \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(Scenario.self, from: data)
        } catch let error as DecodingError {
            throw ScenarioError("invalid scenario file \(path): \(error.readableDescription)")
        }
    }

    /// Places every ship of the scenario in `world` and applies its initial steering. Returns the
    /// maneuvers to start, by ship id.
    @discardableResult
    public func place(in world: World) throws -> [(ShipID, ManeuverGoal)] {
        var ids: [String: ShipID] = Dictionary(world.allShips().map { ($0.name, $0.id) }, uniquingKeysWith: { a, _ in a })
        for entry in ships {
            let kind = entry.kind ?? .ship
            let base = kind == .station ? ShipDesign.station : ShipDesign()
            let design = entry.design?.applied(to: base) ?? base
            let id = try world.addShip(
                name: entry.name, kind: kind, design: design, about: entry.body, elements: entry.elements.orbitalElements)
            ids[entry.name] = id
            if let steering = entry.steering {
                try world.apply(SteeringCommand(shipID: id, attitudeMode: steering.attitudeMode, throttle: steering.throttle))
            }
        }
        return try ships.compactMap { entry in
            guard let maneuver = entry.maneuver, let id = ids[entry.name] else { return nil }
            return (id, try maneuver.goal(ship: entry.name, ids: ids))
        }
    }
}

public struct ScenarioError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension DecodingError {
    /// The failing JSON path and reason in one line.
    public var readableDescription: String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch self {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): missing \(type) value"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing required field"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }
}
