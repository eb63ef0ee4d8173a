extension AutomationSystem {
    /// Progress of every active maneuver, for state frames.
    public var activeProgress: [ShipID: ManeuverProgress] { maneuvers.mapValues(\.progress) }
}
