/// The gateway's view of the engine: frames, a way to send commands with replies, and the tick
/// rate. The engine's own gateway calls the engine in process (`LocalEngineLink`); a gateway replica
/// reaches it over Redis (`RedisEngineLink`). Both carry the same commands and replies, so the
/// gateway code is the same either way.
protocol EngineLink: AnyObject, Sendable {
    /// Ticks per wall-clock second, for the welcome message (0 until a remote engine has been heard).
    var tickRateHz: Double { get }
    /// The engine itself when it runs in this process; the admin API needs it and is not offered elsewhere.
    var localEngine: TickEngine? { get }
    /// Calls `handler` with every frame, on whatever thread delivers it; keep it short.
    func onFrame(_ handler: @escaping @Sendable (WorldFrame) -> Void)
    /// Calls `handler` after frames may have been lost (a Redis reconnect), so clients get full frames next.
    func onResync(_ handler: @escaping @Sendable () -> Void)
    /// Sends a command. `reply` is called at most once, possibly before this returns, so callers wait
    /// for it with a timeout (a stopped engine never replies).
    func send(_ command: LinkCommand, reply: @escaping @Sendable (LinkReply) -> Void)
    /// Returns whether commands and frames can flow, with a reason an operator can act on.
    func readiness() -> (ready: Bool, reason: String)
    func start()
    func stop()
}

/// A command from a gateway to the engine.
enum LinkCommand: Sendable, Equatable {
    /// A steer, maneuver or cancel_maneuver message whose ship the gateway has checked belongs to the
    /// player. `json` is the message as the protocol writes it, which is how it crosses Redis.
    case client(ClientMessage, json: JSONValue)
    /// Returns the player's first ship, creating one in a parking orbit if they have none.
    case provisionShip(player: PlayerID, username: String)
    case removeShips(owner: PlayerID)
}

/// The engine's reply to a command: success with a JSON payload (empty for a plain ack), or a protocol
/// error code and message for the client.
enum LinkReply: Sendable, Equatable {
    case ok(payload: [UInt8])
    case failed(code: String, message: String)

    static let ack = LinkReply.ok(payload: [])
}
