/// JSON for maneuver progress (inside an own ship's state) and maneuver events.
enum ManeuverEncoder {
    static func kindName(_ goal: ManeuverGoal) -> String {
        switch goal {
        case .transfer: "transfer"
        case .matchOrbit: "match_orbit"
        case .rendezvous: "rendezvous"
        }
    }

    static func progress(_ p: ManeuverProgress, _ w: inout JSONWriter) {
        w.raw("{\"kind\":")
        w.string(kindName(p.goal))
        w.raw(",\"phase\":")
        w.string(p.phase.rawValue)
        w.raw(",\"elapsed_s\":")
        w.number(p.elapsedSeconds)
        w.raw(",\"propellant_kg\":")
        w.number(p.propellantUsedKg)
        w.raw(",\"throttle\":")
        w.number(p.throttle)
        w.raw(",\"errors\":")
        if let e = p.elementErrors {
            w.raw("{\"a_m\":")
            w.number(e.semiMajorAxisMeters)
            w.raw(",\"e_vector\":")
            w.number(e.eccentricityVector)
            w.raw(",\"i_deg\":")
            w.number(e.inclinationRadians * 180 / .pi)
            w.raw(",\"node_vector\":")
            w.number(e.nodeVector)
            w.raw("}")
        } else {
            w.raw("null")
        }
        optional("distance_m", p.distanceMeters, &w)
        optional("closing_speed_m_s", p.closingSpeedMetersPerSecond, &w)
        optional("relative_speed_m_s", p.relativeSpeedMetersPerSecond, &w)
        optional("phase_angle_deg", p.phaseAngleRadians.map { $0 * 180 / .pi }, &w)
        optional("eta_s", p.estimatedSecondsRemaining, &w)
        w.raw("}")
    }

    private static func optional(_ key: String, _ value: Double?, _ w: inout JSONWriter) {
        w.raw(",")
        w.key(key)
        if let value { w.number(value) } else { w.raw("null") }
    }

    static func event(_ event: ManeuverEvent) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.raw("{\"type\":\"event\",\"event\":")
        switch event.kind {
        case .phaseChanged(let phase):
            w.string("maneuver_phase")
            w.raw(",\"phase\":")
            w.string(phase.rawValue)
        case .completed:
            w.string("maneuver_completed")
        case .aborted(let reason):
            w.string("maneuver_aborted")
            w.raw(",\"reason\":")
            w.string(reason.description)
        case .cancelled(let reason):
            w.string("maneuver_cancelled")
            w.raw(",\"reason\":")
            w.string(reason.rawValue)
        }
        w.raw(",\"ship_id\":")
        w.number(event.shipID)
        w.raw(",\"time_s\":")
        w.number(event.gameTimeSeconds)
        w.raw(",\"maneuver\":")
        progress(event.progress, &w)
        w.raw("}")
        return w.bytes
    }
}
