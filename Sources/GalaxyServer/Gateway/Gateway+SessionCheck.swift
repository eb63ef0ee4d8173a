import Dispatch
import Foundation

extension GatewayServer {
    /// Seconds between checks of the open WebSockets' tokens. With the accounts cache's own
    /// `Accounts.revalidateAfterSeconds`, a log-out or account deletion on any replica closes the
    /// player's WebSockets everywhere within about 20 s.
    static let sessionCheckSeconds = 5.0

    /// Starts the periodic check of `closeEndedSessions` on a queue of its own.
    func startSessionCheck() -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "galaxy.session-check"))
        timer.schedule(deadline: .now() + GatewayServer.sessionCheckSeconds, repeating: GatewayServer.sessionCheckSeconds)
        timer.setEventHandler { [weak self] in self?.closeEndedSessions() }
        timer.resume()
        return timer
    }

    /// Closes with 1008 every WebSocket whose token no longer opens a session: logged out, expired, or
    /// its account deleted, here or on another replica. Tokens are looked up through the accounts cache,
    /// so the store gets at most one query per token per `Accounts.revalidateAfterSeconds`. While the
    /// store is unreachable, nothing is closed.
    func closeEndedSessions() {
        let open = sessions.withLock { all in all.values.map { (connection: $0.connectionID, player: $0.player.id, token: $0.tokenHash) } }
        var ended: Set<Data> = []
        var storeErrors = 0
        var lastError: (any Error)?
        for token in Set(open.map(\.token)) {
            do {
                if try accounts.authenticate(tokenHash: token, quiet: true) == nil { ended.insert(token) }
            } catch {
                storeErrors += 1
                lastError = error
            }
        }
        for session in open where ended.contains(session.token) {
            logger.info("closing a WebSocket whose session ended", [("connection", session.connection), ("player", session.player)])
            close(session.connection, code: 1008, reason: "session ended")
        }
        if let lastError {
            logger.warning(
                "store unreachable; open WebSockets kept without a token check",
                [("tokens", storeErrors), ("error", "\(lastError)")])
        }
    }
}
