import Foundation

/// One authenticated WebSocket client, as the gateway tracks it. Guarded by the gateway's session lock.
struct ClientSession: Sendable {
    static let fullFrameInterval = 30
    static let messagesPerSecond = 50.0
    static let messageBurst = 100.0

    let connectionID: UInt64
    let player: PlayerRecord
    var view: ViewRequest?
    /// The encoding of this client's state messages, chosen when it connects.
    var encoding = StateEncoding.json
    /// Hash of the token the client connected with, checked again while it stays connected.
    var tokenHash = Data()
    /// Ids of the ships this client has been sent, ascending (for deltas and `removed`).
    var knownShips: [ShipID] = []
    var framesSinceFull = Int.max
    var rateTokens = ClientSession.messageBurst
    var rateUpdated = Date()

    init(connectionID: UInt64, player: PlayerRecord) {
        self.connectionID = connectionID
        self.player = player
    }

    /// Token bucket for incoming messages; false when the client is over its rate.
    mutating func admitMessage(now: Date = Date()) -> Bool {
        rateTokens = min(ClientSession.messageBurst, rateTokens + now.timeIntervalSince(rateUpdated) * ClientSession.messagesPerSecond)
        rateUpdated = now
        guard rateTokens >= 1 else { return false }
        rateTokens -= 1
        return true
    }
}
