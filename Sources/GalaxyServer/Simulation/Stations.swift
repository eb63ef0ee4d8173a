import Foundation

/// A station placed in every standard world: a name, the body it orbits and its orbit.
public struct StationPlacement: Sendable {
    public var name: String
    public var body: String
    public var altitudeMeters: Double
    public var inclinationDegrees: Double
    public var raanDegrees: Double
    public var trueAnomalyDegrees: Double
}

extension World {
    /// The standard stations: rendezvous targets about Earth, the Moon and Mars on circular orbits whose
    /// angles are measured in ICRF (Earth's equator is tilted 23.4° from that plane).
    public static let standardStations: [StationPlacement] = [
        StationPlacement(
            name: "Meridian Station", body: "Earth", altitudeMeters: 420_000, inclinationDegrees: 51.6,
            raanDegrees: 0, trueAnomalyDegrees: 0),
        StationPlacement(
            name: "Highport", body: "Earth", altitudeMeters: 35_786_000, inclinationDegrees: 23.44,
            raanDegrees: 0, trueAnomalyDegrees: 90),
        StationPlacement(
            name: "Selene Outpost", body: "Moon", altitudeMeters: 100_000, inclinationDegrees: 90,
            raanDegrees: 30, trueAnomalyDegrees: 0),
        StationPlacement(
            name: "Ares Relay", body: "Mars", altitudeMeters: 400_000, inclinationDegrees: 25,
            raanDegrees: 60, trueAnomalyDegrees: 0),
    ]

    /// Adds every standard station whose body is in this world and returns their ids.
    @discardableResult
    public func addStandardStations() throws -> [ShipID] {
        try World.standardStations.compactMap { station in
            guard let body = bodyIndex(named: station.body) else { return nil }
            let elements = OrbitalElements(
                semiMajorAxisMeters: bodyRadius(body) + station.altitudeMeters, eccentricity: 0,
                inclination: station.inclinationDegrees * .pi / 180,
                rightAscensionOfAscendingNode: station.raanDegrees * .pi / 180, argumentOfPeriapsis: 0,
                trueAnomaly: station.trueAnomalyDegrees * .pi / 180)
            return try addShip(name: station.name, kind: .station, design: .station, about: station.body, elements: elements)
        }
    }
}
