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
        w.member("phase", p.phase.rawValue)
        w.member("elapsed_s", p.elapsedSeconds)
        w.member("propellant_kg", p.propellantUsedKg)
        w.member("throttle", p.throttle)
        w.raw(",\"errors\":")
        if let e = p.elementErrors {
            w.raw("{\"a_m\":")
            w.number(e.semiMajorAxisMeters)
            w.member("e_vector", e.eccentricityVector)
            w.member("i_deg", e.inclinationRadians * 180 / .pi)
            w.member("node_vector", e.nodeVector)
            w.raw("}")
        } else {
            w.raw("null")
        }
        w.member("distance_m", p.distanceMeters)
        w.member("closing_speed_m_s", p.closingSpeedMetersPerSecond)
        w.member("relative_speed_m_s", p.relativeSpeedMetersPerSecond)
        w.member("phase_angle_deg", p.phaseAngleRadians.map { $0 * 180 / .pi })
        w.member("eta_s", p.estimatedSecondsRemaining)
        w.raw("}")
    }

    static func event(_ event: ManeuverEvent) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.raw("{\"type\":\"event\",\"event\":")
        switch event.kind {
        case .phaseChanged(let phase):
            w.string("maneuver_phase")
            w.member("phase", phase.rawValue)
        case .completed:
            w.string("maneuver_completed")
        case .aborted(let reason):
            w.string("maneuver_aborted")
            w.member("reason", reason.description)
        case .cancelled(let reason):
            w.string("maneuver_cancelled")
            w.member("reason", reason.rawValue)
        }
        w.member("ship_id", event.shipID)
        w.member("time_s", event.gameTimeSeconds)
        w.raw(",\"maneuver\":")
        progress(event.progress, &w)
        w.raw("}")
        return w.bytes
    }
}
