/// The binary form of maneuver progress and events inside a published frame (see `FrameCodec`).
enum ManeuverCodec {
    static func progress(_ p: ManeuverProgress, _ w: inout ByteWriter) {
        goal(p.goal, &w)
        w.string(p.phase.rawValue)
        w.f64(p.elapsedSeconds)
        w.f64(p.propellantUsedKg)
        w.f64(p.throttle)
        w.u8(p.elementErrors == nil ? 0 : 1)
        if let e = p.elementErrors {
            w.f64(e.semiMajorAxisMeters)
            w.f64(e.eccentricityVector)
            w.f64(e.inclinationRadians)
            w.f64(e.nodeVector)
        }
        w.optionalF64(p.distanceMeters)
        w.optionalF64(p.closingSpeedMetersPerSecond)
        w.optionalF64(p.relativeSpeedMetersPerSecond)
        w.optionalF64(p.phaseAngleRadians)
        w.optionalF64(p.estimatedSecondsRemaining)
    }

    static func progress(_ r: inout ByteReader) throws(FrameDecodingError) -> ManeuverProgress {
        var p = ManeuverProgress(goal: try goal(&r), phase: try phase(&r))
        p.elapsedSeconds = try r.f64()
        p.propellantUsedKg = try r.f64()
        p.throttle = try r.f64()
        if try r.u8() == 1 {
            p.elementErrors = ElementErrors(
                semiMajorAxisMeters: try r.f64(), eccentricityVector: try r.f64(), inclinationRadians: try r.f64(),
                nodeVector: try r.f64())
        }
        p.distanceMeters = try r.optionalF64()
        p.closingSpeedMetersPerSecond = try r.optionalF64()
        p.relativeSpeedMetersPerSecond = try r.optionalF64()
        p.phaseAngleRadians = try r.optionalF64()
        p.estimatedSecondsRemaining = try r.optionalF64()
        return p
    }

    static func event(_ e: ManeuverEvent, _ w: inout ByteWriter) {
        w.u64(e.shipID)
        switch e.kind {
        case .phaseChanged(let phase):
            w.u8(0)
            w.string(phase.rawValue)
        case .completed: w.u8(1)
        case .aborted(let reason):
            w.u8(2)
            abortReason(reason, &w)
        case .cancelled(let reason):
            w.u8(3)
            w.string(reason.rawValue)
        }
        w.f64(e.gameTimeSeconds)
        progress(e.progress, &w)
    }

    static func event(_ r: inout ByteReader) throws(FrameDecodingError) -> ManeuverEvent {
        let ship = try r.u64()
        let kind: ManeuverEvent.Kind
        switch try r.u8() {
        case 0: kind = .phaseChanged(try phase(&r))
        case 1: kind = .completed
        case 2: kind = .aborted(try abortReason(&r))
        case 3:
            let name = try r.string()
            guard let reason = ManeuverCancelReason(rawValue: name) else { throw FrameDecodingError("cancel reason '\(name)' unknown") }
            kind = .cancelled(reason)
        case let tag: throw FrameDecodingError("maneuver event tag \(tag) unknown")
        }
        return ManeuverEvent(shipID: ship, kind: kind, gameTimeSeconds: try r.f64(), progress: try progress(&r))
    }

    private static func goal(_ g: ManeuverGoal, _ w: inout ByteWriter) {
        switch g {
        case .transfer(let body, let t):
            w.u8(0)
            w.string(body)
            for v in [t.semiMajorAxisMeters, t.eccentricity, t.inclination, t.rightAscensionOfAscendingNode, t.argumentOfPeriapsis] {
                w.f64(v)
            }
        case .matchOrbit(let target):
            w.u8(1)
            w.u64(target)
        case .rendezvous(let target, let standoff, let speed):
            w.u8(2)
            w.u64(target)
            w.f64(standoff)
            w.f64(speed)
        }
    }

    private static func goal(_ r: inout ByteReader) throws(FrameDecodingError) -> ManeuverGoal {
        switch try r.u8() {
        case 0:
            let body = try r.string()
            let target = QLawTarget(
                semiMajorAxisMeters: try r.f64(), eccentricity: try r.f64(), inclination: try r.f64(),
                rightAscensionOfAscendingNode: try r.f64(), argumentOfPeriapsis: try r.f64())
            return .transfer(body: body, target: target)
        case 1: return .matchOrbit(target: try r.u64())
        case 2:
            return .rendezvous(target: try r.u64(), standoffMeters: try r.f64(), relativeSpeedMetersPerSecond: try r.f64())
        case let tag: throw FrameDecodingError("maneuver goal tag \(tag) unknown")
        }
    }

    private static func phase(_ r: inout ByteReader) throws(FrameDecodingError) -> ManeuverPhase {
        let name = try r.string()
        guard let phase = ManeuverPhase(rawValue: name) else { throw FrameDecodingError("maneuver phase '\(name)' unknown") }
        return phase
    }

    private static func abortReason(_ reason: ManeuverAbortReason, _ w: inout ByteWriter) {
        switch reason {
        case .outOfFuel: w.u8(0)
        case .timedOut(let seconds):
            w.u8(1)
            w.f64(seconds)
        case .targetGone(let id):
            w.u8(2)
            w.u64(id)
        case .crashed: w.u8(3)
        case .frozen: w.u8(4)
        case .shipGone: w.u8(5)
        case .steeringFailed(let why):
            w.u8(6)
            w.string(why)
        }
    }

    private static func abortReason(_ r: inout ByteReader) throws(FrameDecodingError) -> ManeuverAbortReason {
        switch try r.u8() {
        case 0: return .outOfFuel
        case 1: return .timedOut(seconds: try r.f64())
        case 2: return .targetGone(try r.u64())
        case 3: return .crashed
        case 4: return .frozen
        case 5: return .shipGone
        case 6: return .steeringFailed(try r.string())
        case let tag: throw FrameDecodingError("abort reason tag \(tag) unknown")
        }
    }
}
