import Foundation
import Testing

@testable import GalaxyServer

/// The binary frame gateways receive over Redis must carry every field the gateway encodes for clients,
/// bit for bit, and refuse anything truncated or foreign instead of reading past its end.
@Suite struct FrameCodecTests {
    /// Builds a frame of the standard world: stations, a player's ship, a crash event, maneuvers and their events.
    func sampleFrame() throws -> WorldFrame {
        let world = World(catalog: try SolarSystemCatalog.standard())
        try world.addStandardStations()
        try world.addGeneratedShips(3)
        let owned = try world.addShip(
            name: "ada-1", about: "Earth", elements: EngineCommands.parkingOrbit(for: 7), owner: 7)
        var progress = ManeuverProgress(
            goal: .transfer(body: "Earth", target: QLawTarget(semiMajorAxisMeters: 7.2e6, eccentricity: 0.01, inclination: 0.9)),
            phase: .transfer)
        progress.elapsedSeconds = 12.5
        progress.elementErrors = ElementErrors(semiMajorAxisMeters: 4e5, eccentricityVector: 0.01, inclinationRadians: 0.02, nodeVector: 0.3)
        progress.estimatedSecondsRemaining = 3600
        var rendezvous = ManeuverProgress(goal: .rendezvous(target: 1, standoffMeters: 50, relativeSpeedMetersPerSecond: 0.2), phase: .approach)
        rendezvous.distanceMeters = 1234.5
        rendezvous.phaseAngleRadians = -0.25
        let events = [ShipEvent(shipID: owned, kind: .crashed, tick: 9, gameTimeSeconds: 9.5, body: "Moon")]
        let maneuverEvents = [
            ManeuverEvent(shipID: owned, kind: .aborted(.steeringFailed("no thrust")), gameTimeSeconds: 9, progress: progress),
            ManeuverEvent(shipID: owned, kind: .cancelled(.manualSteering), gameTimeSeconds: 9, progress: rendezvous),
            ManeuverEvent(shipID: owned, kind: .phaseChanged(.holding), gameTimeSeconds: 9, progress: rendezvous),
        ]
        var status = EngineStatus()
        status.tick = 9
        status.degraded = true
        status.effectiveWarp = 10
        return world.frame(
            events: events, maneuvers: [owned: progress, 1: rendezvous], maneuverEvents: maneuverEvents, status: status)
    }

    @Test func roundTripKeepsEveryField() throws {
        let frame = try sampleFrame()
        let bytes = FrameCodec.encode(frame, tickRateHz: 10, publishedAtMilliseconds: 1_700_000_000_123)
        let decoded = try FrameCodec.decode(bytes)
        #expect(decoded.tickRateHz == 10)
        #expect(decoded.publishedAtMilliseconds == 1_700_000_000_123)
        #expect(decoded.frame.tick == frame.tick)
        #expect(decoded.frame.gameTimeSeconds == frame.gameTimeSeconds)
        #expect(decoded.frame.bodies == frame.bodies)
        #expect(decoded.frame.ships == frame.ships)
        #expect(decoded.frame.events == frame.events)
        #expect(decoded.frame.maneuvers == frame.maneuvers)
        #expect(decoded.frame.maneuverEvents == frame.maneuverEvents)
        #expect(decoded.frame.status == frame.status)
        #expect(decoded.frame.wallClockMilliseconds == frame.wallClockMilliseconds)
        #expect(frame.ships.contains { $0.owner == 7 })
        #expect(frame.ships.contains { $0.kind == .station })
    }

    @Test func truncatedOrForeignFramesAreRefused() throws {
        let bytes = FrameCodec.encode(try sampleFrame(), tickRateHz: 1, publishedAtMilliseconds: 0)
        for cut in [0, 3, 20, bytes.count / 2, bytes.count - 1] {
            #expect(throws: FrameDecodingError.self) { try FrameCodec.decode(Array(bytes.prefix(cut))) }
        }
        #expect(throws: FrameDecodingError.self) { try FrameCodec.decode(bytes + [0]) }
        var foreign = bytes
        foreign[0] ^= 0xFF
        #expect(throws: FrameDecodingError.self) { try FrameCodec.decode(foreign) }
        // A ship count far beyond the bytes present must fail before allocating for it. An empty frame
        // ends with five counts (bodies, ships, events, maneuvers, maneuver events).
        let empty = WorldFrame(
            tick: 0, gameTimeSeconds: 0, bodies: [], ships: [], events: [], maneuvers: [:], maneuverEvents: [], status: EngineStatus())
        var huge = FrameCodec.encode(empty, tickRateHz: 0, publishedAtMilliseconds: 0)
        huge.replaceSubrange((huge.count - 16)..<(huge.count - 12), with: [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: FrameDecodingError.self) { try FrameCodec.decode(huge) }
    }
}

/// Commands and replies as they cross the command stream and the reply channels.
@Suite struct RedisWireTests {
    func parse(_ text: String) throws -> JSONValue {
        try #require(Array(text.utf8).withUnsafeBytes { JSONValue.parse($0) })
    }

    @Test func clientCommandsSurviveTheStreamAndAreParsedAgain() throws {
        let messages = [
            #"{"type":"steer","seq":3,"ship_id":12,"attitude_mode":"prograde","throttle":0.5}"#,
            #"{"type":"maneuver","seq":4,"ship_id":12,"kind":"rendezvous","target_ship":1,"standoff_m":50}"#,
            #"{"type":"cancel_maneuver","seq":5,"ship_id":12}"#,
        ]
        for text in messages {
            let json = try parse(text)
            let message = try ClientMessageParser.parse(json).message
            let decoded = try RedisWire.decodeCommand(RedisWire.encode(.client(message, json: json)))
            #expect(decoded == .client(message, json: json))
        }
        for command in [LinkCommand.provisionShip(player: 42, username: "ada \"x\""), .removeShips(owner: 42)] {
            #expect(try RedisWire.decodeCommand(RedisWire.encode(command)) == command)
        }
    }

    @Test func malformedCommandsNameTheProblem() throws {
        let cases: [(String, String)] = [
            ("not json", "invalid_command"),
            (#"{"op":"launch_missiles"}"#, "invalid_command"),
            (#"{"op":"client","message":{"type":"ping","seq":1}}"#, "invalid_command"),
            (#"{"op":"client","message":{"type":"steer","seq":1,"ship_id":"x"}}"#, "invalid_field"),
            (#"{"op":"provision_ship","player":-1,"username":"a"}"#, "invalid_command"),
        ]
        for (text, code) in cases {
            #expect(throws: ProtocolError.self) { try RedisWire.decodeCommand(Array(text.utf8)) }
            do {
                _ = try RedisWire.decodeCommand(Array(text.utf8))
            } catch {
                #expect(error.code == code, "\(text)")
            }
        }
    }

    @Test func repliesRoundTrip() throws {
        for reply in [LinkReply.ack, .ok(payload: Array(#"{"id":5,"name":"ada-1"}"#.utf8)), .failed(code: "forbidden", message: "ship 3")] {
            let (request, decoded) = try RedisWire.decodeReply(RedisWire.encode(reply: reply, request: 77))
            #expect(request == 77)
            #expect(decoded == reply)
        }
        #expect(throws: FrameDecodingError.self) { try RedisWire.decodeReply([1, 2, 3]) }
    }

    @Test func endpointsParseAndExplainMistakes() throws {
        #expect(try RedisEndpoint(url: "redis://127.0.0.1") == RedisEndpoint(host: "127.0.0.1"))
        #expect(try RedisEndpoint(url: "redis://:s3cret@cache.internal:6380/2") == RedisEndpoint(host: "cache.internal", port: 6380, password: "s3cret", database: 2))
        #expect(try RedisEndpoint(url: "redis://:s3cret@h:6380/2").description == "redis://h:6380/2")
        for bad in ["http://h", "redis://", "redis://h/db", "redis://h:0"] {
            #expect(throws: RedisError.self) { try RedisEndpoint(url: bad) }
        }
    }
}
