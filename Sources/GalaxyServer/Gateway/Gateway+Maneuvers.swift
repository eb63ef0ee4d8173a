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
            let message = JSONValue.object(["type": .string("cancel_maneuver"), "seq": .number(0), "ship_id": .number(Double(ship))])
            _ = try awaitLink(.client(.cancelManeuver(ship), json: message))
            return .empty(204)
        }
        guard case .object(var fields)? = request.body.withUnsafeBytes({ JSONValue.parse($0) }) else {
            throw APIError(status: 400, code: "invalid_json", message: "request body must be a JSON object")
        }
        let goal: ManeuverGoal
        do {
            goal = try ManeuverRequestParser.parse(fields, shipID: ship).1
        } catch {
            throw APIError(status: 400, code: error.code, message: error.message)
        }
        // The same message a WebSocket client would send, which is the form that crosses Redis.
        fields["type"] = .string("maneuver")
        fields["seq"] = .number(0)
        fields["ship_id"] = .number(Double(ship))
        let progress = try awaitLink(.client(.maneuver(ship, goal), json: .object(fields)))
        return HTTPResponse(status: 202, contentType: "application/json", body: progress)
    }
}
