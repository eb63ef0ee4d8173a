// The client's copy of the world: bodies and ships from the last two state frames, merged delta
// frames, and positions interpolated between the two frames for smooth motion.

import { hermite, norm, sub } from "./orbit.js";

/** @typedef {import("./orbit.js").Vec3} Vec3 */

/**
 * @typedef {object} Body
 * @property {string} name
 * @property {string | null} parent
 * @property {number} gm m^3/s^2
 * @property {number} radius m
 * @property {number} index position in the welcome's body list
 */

/**
 * Two samples of one object's state, the older first.
 * @typedef {object} Track
 * @property {Vec3} p0
 * @property {Vec3} v0
 * @property {Vec3} p1
 * @property {Vec3} v1
 */

/**
 * @typedef {object} Ship
 * @property {number} id
 * @property {string} name
 * @property {string} kind "ship" or "station"
 * @property {number | null} owner
 * @property {boolean} own
 * @property {Track} track
 * @property {number[]} q attitude quaternion [x, y, z, w]
 * @property {any} detail the full entry for the player's own ships, else null
 * @property {number} [maxFuel] the most fuel seen, kg, for the fuel gauge
 */

/**
 * @param {Vec3} p
 * @param {Vec3} v
 * @returns {Track}
 */
function newTrack(p, v) {
  return { p0: p, v0: v, p1: p, v1: v };
}

/**
 * @param {Track} track
 * @param {Vec3} p
 * @param {Vec3} v
 */
function advance(track, p, v) {
  track.p0 = track.p1;
  track.v0 = track.v1;
  track.p1 = p;
  track.v1 = v;
}

export class WorldState {
  constructor() {
    /** @type {Body[]} */
    this.bodies = [];
    /** @type {Map<string, Body>} */
    this.bodyByName = new Map();
    /** @type {Track[]} */
    this.bodyTracks = [];
    /** @type {Map<number, Ship>} */
    this.ships = new Map();
    /** @type {number[]} */
    this.ownShipIds = [];
    this.player = { id: 0, username: "" };
    this.epochIso = "2026-01-01T00:00:00";
    this.tickRateHz = 1;
    this.time0 = 0;
    this.time1 = 0;
    this.tick = 0;
    this.warp = 1;
    this.paused = false;
    this.degraded = false;
    /** Wall-clock ms when the newest frame arrived, and the smoothed interval between frames. */
    this.receivedAt = 0;
    this.frameIntervalMs = 1000;
    this.frames = 0;
  }

  /** @param {any} welcome */
  applyWelcome(welcome) {
    this.player = welcome.player;
    this.ownShipIds = welcome.ships || [];
    this.tickRateHz = welcome.tick_rate_hz || 1;
    this.frameIntervalMs = 1000 / this.tickRateHz;
    this.epochIso = (welcome.epoch && welcome.epoch.iso_tdb) || this.epochIso;
    this.bodies = welcome.bodies.map((/** @type {any} */ b, /** @type {number} */ index) => ({
      name: b.name,
      parent: b.parent,
      gm: b.gm_m3_s2,
      radius: b.radius_m,
      index,
    }));
    this.bodyByName = new Map(this.bodies.map((b) => [b.name, b]));
    this.bodyTracks = [];
    this.ships.clear();
    this.frames = 0;
    this.time0 = this.time1 = welcome.time_s;
  }

  /** @param {any} frame */
  applyState(frame) {
    const now = performance.now();
    if (this.frames > 0) {
      const interval = Math.min(5000, Math.max(50, now - this.receivedAt));
      this.frameIntervalMs += (interval - this.frameIntervalMs) * 0.3;
    }
    this.receivedAt = now;
    this.frames += 1;
    this.time0 = this.frames > 1 ? this.time1 : frame.time_s;
    this.time1 = frame.time_s;
    this.tick = frame.tick;
    this.warp = frame.warp;
    this.paused = frame.paused;
    this.degraded = frame.degraded;
    frame.bodies.forEach((/** @type {number[]} */ row, /** @type {number} */ i) => {
      const p = /** @type {Vec3} */ (row.slice(0, 3));
      const v = /** @type {Vec3} */ (row.slice(3, 6));
      if (this.bodyTracks[i]) advance(this.bodyTracks[i], p, v);
      else this.bodyTracks[i] = newTrack(p, v);
    });
    this.mergeShips(frame);
  }

  /** @param {any} frame */
  mergeShips(frame) {
    const seen = new Set();
    for (const entry of frame.ships) {
      seen.add(entry.id);
      const existing = this.ships.get(entry.id);
      if (existing) {
        advance(existing.track, entry.p, entry.v);
        existing.q = entry.q;
        if (entry.name) existing.name = entry.name;
        if (entry.kind) existing.kind = entry.kind;
        if (existing.own) existing.detail = { ...existing.detail, ...entry };
        continue;
      }
      const owner = entry.owner === undefined ? null : entry.owner;
      const own = owner === this.player.id || this.ownShipIds.includes(entry.id);
      this.ships.set(entry.id, {
        id: entry.id,
        name: entry.name || `#${entry.id}`,
        kind: entry.kind || "ship",
        owner,
        own,
        track: newTrack(entry.p, entry.v),
        q: entry.q,
        detail: own ? entry : null,
      });
      if (own && !this.ownShipIds.includes(entry.id)) this.ownShipIds.push(entry.id);
    }
    for (const id of frame.removed || []) this.ships.delete(id);
    // A full frame lists every visible ship, so anything missing from it has left the view.
    if (frame.full) {
      for (const id of [...this.ships.keys()]) if (!seen.has(id)) this.ships.delete(id);
    }
    // Ships left out of a delta frame did not change, so they stop moving between samples.
    for (const [id, ship] of this.ships) {
      if (!seen.has(id)) advance(ship.track, ship.track.p1, ship.track.v1);
    }
  }

  /** Fraction of the way from the older to the newer frame that the display shows now. */
  blend() {
    if (this.frames < 2) return 1;
    return Math.min(1, Math.max(0, (performance.now() - this.receivedAt) / this.frameIntervalMs));
  }

  /** Game time shown now, interpolated like the positions. */
  displayTime() {
    return this.time0 + (this.time1 - this.time0) * this.blend();
  }

  /**
   * @param {Track} track
   * @param {number} s
   * @returns {{p: Vec3, v: Vec3}}
   */
  sample(track, s) {
    const dt = this.time1 - this.time0;
    if (!(dt > 0) || s >= 1) return { p: track.p1, v: track.v1 };
    const p = hermite(track.p0, track.v0, track.p1, track.v1, dt, s);
    const v = /** @type {Vec3} */ ([0, 1, 2].map((k) => track.v0[k] + (track.v1[k] - track.v0[k]) * s));
    return { p, v };
  }

  /**
   * Interpolated state of every body, in the welcome's order.
   * @param {number} s from blend()
   */
  bodyStates(s) {
    return this.bodyTracks.map((t) => this.sample(t, s));
  }

  /** @returns {Ship | undefined} the first of the player's ships */
  ownShip() {
    for (const id of this.ownShipIds) {
      const ship = this.ships.get(id);
      if (ship) return ship;
    }
    return undefined;
  }

  /**
   * Picks the body whose sphere of influence contains the position most tightly, as the primary for
   * ships whose frames do not name one. Uses the Laplace radius a * (m / M)^0.4.
   * @param {Vec3} p
   * @param {{p: Vec3}[]} bodyStates
   * @returns {Body}
   */
  primaryFor(p, bodyStates) {
    let best = this.bodies[0];
    let bestRadius = Infinity;
    for (const body of this.bodies) {
      const parent = body.parent ? this.bodyByName.get(body.parent) : undefined;
      if (!parent || !bodyStates[body.index]) continue;
      const separation = norm(sub(bodyStates[body.index].p, bodyStates[parent.index].p));
      const soi = separation * (body.gm / parent.gm) ** 0.4;
      const distance = norm(sub(p, bodyStates[body.index].p));
      if (distance < soi && soi < bestRadius) {
        best = body;
        bestRadius = soi;
      }
    }
    return best;
  }
}
