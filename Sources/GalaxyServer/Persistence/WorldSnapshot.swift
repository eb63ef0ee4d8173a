import Foundation

/// The whole state of a world at the end of a tick, as stored and restored: the clock, every body's
/// state and every ship and station with its design, commands and condition.
///
/// Positions are ICRF barycentric in metres and velocities in m/s, as in `World`. The stored form is
/// the canonical JSON of this value (see `canonicalJSON()`) with `checksum` set.
public struct WorldSnapshot: Codable, Sendable, Equatable {
    /// Version of this JSON layout; a reader rejects layouts it does not know.
    public static let currentFormatVersion = 1

    /// A massive body's state.
    public struct BodyState: Codable, Sendable, Equatable {
        public var name: String
        public var position: SIMD3<Double>
        public var velocity: SIMD3<Double>

        enum CodingKeys: String, CodingKey {
            case name
            case position = "position_m"
            case velocity = "velocity_m_s"
        }

        public init(name: String, position: SIMD3<Double>, velocity: SIMD3<Double>) {
            self.name = name
            self.position = position
            self.velocity = velocity
        }
    }

    /// A ship's or station's full state: identity, motion, design, commands and condition.
    public struct ShipState: Codable, Sendable, Equatable {
        public var id: ShipID
        public var name: String
        public var kind: ShipKind
        /// The owning player; nil for stations and ships without an owner.
        public var ownerPlayerID: PlayerID?
        public var position: SIMD3<Double>
        public var velocity: SIMD3<Double>
        /// Unit quaternion, scalar first (w, x, y, z), rotating body vectors into ICRF.
        public var attitude: SIMD4<Double>
        /// Body-frame angular rate (rad/s).
        public var angularRate: SIMD3<Double>
        public var dryMassKg: Double
        public var fuelKg: Double
        public var maxThrustNewtons: Double
        public var ispSeconds: Double
        public var rcsThrustNewtons: Double
        public var rcsIspSeconds: Double
        public var maxRotationRateRadPerS: Double
        public var maxAngularAccelerationRadPerS2: Double
        /// Main engine throttle in [0, 1].
        public var throttle: Double
        /// RCS translation command per body axis, each in [-1, 1].
        public var rcs: SIMD3<Double>
        public var mode: AttitudeMode
        /// Body-frame rate (rad/s) kept in hold mode.
        public var commandedRate: SIMD3<Double>
        /// ICRF unit vector in direction mode, or the target's last resolved position (m) in target mode.
        public var aim: SIMD3<Double>
        public var target: AttitudeTarget?
        /// Name of the body the ship last moved about.
        public var primaryBody: String
        public var condition: ShipCondition

        enum CodingKeys: String, CodingKey {
            case id, name, kind
            case ownerPlayerID = "owner_player_id"
            case position = "position_m"
            case velocity = "velocity_m_s"
            case attitude = "attitude_wxyz"
            case angularRate = "angular_rate_rad_s"
            case dryMassKg = "dry_mass_kg"
            case fuelKg = "fuel_kg"
            case maxThrustNewtons = "max_thrust_n"
            case ispSeconds = "isp_s"
            case rcsThrustNewtons = "rcs_thrust_n"
            case rcsIspSeconds = "rcs_isp_s"
            case maxRotationRateRadPerS = "max_rotation_rate_rad_s"
            case maxAngularAccelerationRadPerS2 = "max_angular_acceleration_rad_s2"
            case throttle, rcs, mode
            case commandedRate = "commanded_rate_rad_s"
            case aim, target
            case primaryBody = "primary_body"
            case condition
        }
    }

    public var formatVersion: Int
    public var tick: UInt64
    /// TDB seconds since the catalog epoch.
    public var gameTimeSeconds: Double
    /// Epoch of the catalog the world was built from; restoring needs a catalog with the same epoch.
    public var epoch: SolarSystemCatalog.Epoch
    /// The id the world gives its next new ship.
    public var nextShipID: ShipID
    public var bodies: [BodyState]
    public var ships: [ShipState]
    /// "fnv1a64:" and 16 hex digits of the FNV-1a 64-bit hash of `canonicalJSON()`; nil until sealed.
    public var checksum: String?

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case tick
        case gameTimeSeconds = "game_time_s"
        case epoch
        case nextShipID = "next_ship_id"
        case bodies, ships, checksum
    }

    public init(
        tick: UInt64, gameTimeSeconds: Double, epoch: SolarSystemCatalog.Epoch, nextShipID: ShipID,
        bodies: [BodyState], ships: [ShipState]
    ) {
        self.formatVersion = WorldSnapshot.currentFormatVersion
        self.tick = tick
        self.gameTimeSeconds = gameTimeSeconds
        self.epoch = epoch
        self.nextShipID = nextShipID
        self.bodies = bodies
        self.ships = ships
        self.checksum = nil
    }
}

// MARK: - Canonical form and checksum

/// A reason to reject a snapshot.
public enum SnapshotError: Error, Equatable, CustomStringConvertible {
    case missingChecksum
    case checksumMismatch(stored: String, computed: String)
    case unsupportedFormat(Int)
    case undecodable(String)
    case notEncodable(String)
    /// The snapshot does not fit the catalog or contains an impossible ship.
    case incompatible(String)

    public var description: String {
        switch self {
        case .missingChecksum: return "snapshot has no checksum"
        case .checksumMismatch(let stored, let computed):
            return "snapshot checksum mismatch: stored \(stored), computed \(computed)"
        case .unsupportedFormat(let version):
            return "snapshot format version \(version) is not supported (this server reads \(WorldSnapshot.currentFormatVersion))"
        case .undecodable(let reason): return "snapshot is not valid JSON for a world: \(reason)"
        case .notEncodable(let reason): return "snapshot cannot be encoded as JSON: \(reason)"
        case .incompatible(let reason): return "snapshot does not fit this world: \(reason)"
        }
    }
}

extension WorldSnapshot {
    /// Returns the canonical JSON of this snapshot without its checksum: keys sorted, no whitespace,
    /// numbers in Foundation's shortest round-trip form.
    ///
    /// NOTE: the bytes depend on Foundation's number formatting; a toolchain that formats doubles
    /// differently would compute different checksums for snapshots written by an older one.
    public func canonicalJSON() throws -> Data {
        var unsealed = self
        unsealed.checksum = nil
        return try WorldSnapshot.encode(unsealed)
    }

    /// Computes the checksum of `canonicalJSON()`.
    public func computeChecksum() throws -> String {
        WorldSnapshot.checksumString(of: try canonicalJSON())
    }

    /// Returns a copy with `checksum` set, and its JSON encoding, the form that stores write.
    ///
    /// Negative zeros become positive zeros first, because PostgreSQL's JSONB stores numbers as
    /// `numeric`, which has no negative zero, and the checksum must survive that round trip.
    public func sealed() throws -> (snapshot: WorldSnapshot, json: Data) {
        var result = normalizingNegativeZeros()
        result.formatVersion = WorldSnapshot.currentFormatVersion
        result.checksum = try result.computeChecksum()
        return (result, try WorldSnapshot.encode(result))
    }

    /// Decodes stored JSON and checks its format version and checksum.
    public static func decodeVerified(_ json: Data) throws -> WorldSnapshot {
        let snapshot: WorldSnapshot
        do {
            snapshot = try JSONDecoder().decode(WorldSnapshot.self, from: json)
        } catch {
            throw SnapshotError.undecodable(String(describing: error))
        }
        guard snapshot.formatVersion == currentFormatVersion else {
            throw SnapshotError.unsupportedFormat(snapshot.formatVersion)
        }
        guard let stored = snapshot.checksum else { throw SnapshotError.missingChecksum }
        let computed = try snapshot.computeChecksum()
        guard stored == computed else { throw SnapshotError.checksumMismatch(stored: stored, computed: computed) }
        return snapshot
    }

    /// Formats the FNV-1a 64-bit hash of `bytes` as "fnv1a64:" and 16 lowercase hex digits. FNV-1a
    /// detects accidental damage (truncation, flipped bits), not deliberate tampering.
    public static func checksumString(of bytes: Data) -> String {
        let hex = String(fnv1a64(bytes), radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func fnv1a64(_ bytes: Data) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        bytes.withUnsafeBytes { buffer in
            for byte in buffer {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        return hash
    }

    private static func encode(_ snapshot: WorldSnapshot) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(snapshot)
        } catch {
            throw SnapshotError.notEncodable(String(describing: error))
        }
    }

    /// Returns a copy in which every -0.0 is +0.0 (adding +0.0 does exactly that and changes nothing else).
    func normalizingNegativeZeros() -> WorldSnapshot {
        var copy = self
        copy.gameTimeSeconds += 0
        for i in copy.bodies.indices {
            copy.bodies[i].position = copy.bodies[i].position.withoutNegativeZeros
            copy.bodies[i].velocity = copy.bodies[i].velocity.withoutNegativeZeros
        }
        for i in copy.ships.indices {
            copy.ships[i].normalizeNegativeZeros()
        }
        return copy
    }
}

extension WorldSnapshot.ShipState {
    fileprivate mutating func normalizeNegativeZeros() {
        position = position.withoutNegativeZeros
        velocity = velocity.withoutNegativeZeros
        attitude = attitude.withoutNegativeZeros
        angularRate = angularRate.withoutNegativeZeros
        rcs = rcs.withoutNegativeZeros
        commandedRate = commandedRate.withoutNegativeZeros
        aim = aim.withoutNegativeZeros
        dryMassKg += 0
        fuelKg += 0
        maxThrustNewtons += 0
        ispSeconds += 0
        rcsThrustNewtons += 0
        rcsIspSeconds += 0
        maxRotationRateRadPerS += 0
        maxAngularAccelerationRadPerS2 += 0
        throttle += 0
    }
}

extension SIMD where Scalar == Double {
    /// The vector with each -0.0 lane replaced by +0.0 (`Self()` is all +0.0).
    fileprivate var withoutNegativeZeros: Self { self + Self() }
}
