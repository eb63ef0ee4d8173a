import Foundation
import Synchronization

extension GatewayServer {
    /// `POST /api/v1/ships/{id}/maneuver` starts a maneuver (body as the WebSocket `maneuver` message
    /// without type, seq and ship_id); `DELETE` cancels it. Waits up to 10 s for the engine's reply.
    func maneuverRequest(_ request: HTTPRequest, shipText: String) throws -> HTTPResponse {
        let (player, _) = try accounts.authenticate(header: request.authorization)
        guard let ship = ShipID(shipText) else {
            throw APIError.invalid("ship id: expected a positive integer, got '\(shipText.prefix(40))'")
        }
        do {
            try requireOwnership(ship, player: player.id)
        } catch {
            throw APIError(status: error.code == "forbidden" ? 403 : 404, code: error.code, message: error.message)
        }
        if request.method == "DELETE" {
            let cancelled: Bool = try awaitEngine { reply in .cancelManeuver(ship, reply: { reply(.success($0)) }) }
            guard cancelled else { throw APIError.notFound("ship \(ship) has no active maneuver") }
            return .empty(204)
        }
        guard case .object(let fields)? = request.body.withUnsafeBytes({ JSONValue.parse($0) }) else {
            throw APIError(status: 400, code: "invalid_json", message: "request body must be a JSON object")
        }
        let goal: ManeuverGoal
        do {
            goal = try ManeuverRequestParser.parse(fields, shipID: ship).1
        } catch {
            throw APIError(status: 400, code: error.code, message: error.message)
        }
        let progress: ManeuverProgress = try awaitEngine { reply in .maneuver(ship, goal, reply: reply) }
        var json = JSONWriter()
        ManeuverEncoder.progress(progress, &json)
        return HTTPResponse(status: 202, contentType: "application/json", body: json.bytes)
    }

    /// Queues an engine command built around a reply closure and waits up to 10 s for the reply.
    private func awaitEngine<T: Sendable>(
        _ make: (@escaping @Sendable (Result<T, any Error>) -> Void) -> EngineCommand
    ) throws -> T {
        let outcome = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        do {
            try engine.enqueue(make { result in
                outcome.withLock { $0 = result }
                done.signal()
            })
        } catch {
            throw APIError.unavailable("\(error)")
        }
        guard done.wait(timeout: .now() + 10) == .success, let result = outcome.withLock({ $0 }) else {
            throw APIError.unavailable("the engine did not reply within 10 s; retry")
        }
        do {
            return try result.get()
        } catch let error as ManeuverError {
            throw APIError(status: 422, code: "rejected", message: error.reason)
        }
    }
}
