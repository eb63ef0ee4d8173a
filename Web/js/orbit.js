// Vector helpers and two-body orbit geometry in SI units (metres, seconds, radians).

/** @typedef {[number, number, number]} Vec3 */

/**
 * @param {Vec3} a
 * @param {Vec3} b
 * @returns {Vec3}
 */
export function sub(a, b) {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

/**
 * @param {Vec3} a
 * @param {Vec3} b
 * @returns {Vec3}
 */
export function add(a, b) {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

/**
 * @param {Vec3} a
 * @param {number} s
 * @returns {Vec3}
 */
export function scale(a, s) {
  return [a[0] * s, a[1] * s, a[2] * s];
}

/**
 * @param {Vec3} a
 * @param {Vec3} b
 */
export function dot(a, b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/**
 * @param {Vec3} a
 * @param {Vec3} b
 * @returns {Vec3}
 */
export function cross(a, b) {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** @param {Vec3} a */
export function norm(a) {
  return Math.hypot(a[0], a[1], a[2]);
}

/**
 * @param {Vec3} a
 * @returns {Vec3}
 */
export function unit(a) {
  const n = norm(a);
  return n > 0 ? scale(a, 1 / n) : [0, 0, 0];
}

/**
 * Rotates a body-frame vector into ICRF by the unit quaternion q, given as [x, y, z, w]
 * (the order the server writes in state frames).
 * @param {number[]} q
 * @param {Vec3} v
 * @returns {Vec3}
 */
export function rotate(q, v) {
  const [x, y, z, w] = q;
  const u = /** @type {Vec3} */ ([x, y, z]);
  const t = scale(cross(u, v), 2);
  return add(add(v, scale(t, w)), cross(u, t));
}

/**
 * Cubic Hermite interpolation of a position from two samples with velocities.
 * @param {Vec3} p0
 * @param {Vec3} v0
 * @param {Vec3} p1
 * @param {Vec3} v1
 * @param {number} dt game seconds between the samples
 * @param {number} s fraction of dt, 0 to 1
 * @returns {Vec3}
 */
export function hermite(p0, v0, p1, v1, dt, s) {
  const s2 = s * s;
  const s3 = s2 * s;
  const h00 = 2 * s3 - 3 * s2 + 1;
  const h10 = (s3 - 2 * s2 + s) * dt;
  const h01 = -2 * s3 + 3 * s2;
  const h11 = (s3 - s2) * dt;
  return /** @type {Vec3} */ ([0, 1, 2].map((k) => h00 * p0[k] + h10 * v0[k] + h01 * p1[k] + h11 * v1[k]));
}

/**
 * @typedef {object} Conic
 * @property {number} a semi-major axis, m (negative for a hyperbola)
 * @property {number} e eccentricity
 * @property {number} iDeg inclination to the ICRF equator, degrees
 * @property {number} p semi-latus rectum, m
 * @property {number} periapsis periapsis radius, m
 * @property {number} apoapsis apoapsis radius, m (Infinity when unbound)
 * @property {number} period s (Infinity when unbound)
 * @property {number} raanDeg right ascension of the ascending node, degrees
 * @property {number} argpDeg argument of periapsis, degrees
 * @property {number} nu true anomaly now, radians
 * @property {Vec3} P unit vector toward periapsis
 * @property {Vec3} Q unit vector 90 degrees ahead of P in the orbit plane
 */

/**
 * Computes the osculating conic of a body at relative position r and velocity v about a primary
 * with gravitational parameter gm. Returns null for degenerate (radial or zero) states.
 * @param {Vec3} r
 * @param {Vec3} v
 * @param {number} gm m^3/s^2
 * @returns {Conic | null}
 */
export function conicFromState(r, v, gm) {
  const rn = norm(r);
  const h = cross(r, v);
  const hn = norm(h);
  if (rn === 0 || hn === 0 || !(gm > 0)) return null;

  const energy = dot(v, v) / 2 - gm / rn;
  const eVec = sub(scale(cross(v, h), 1 / gm), scale(r, 1 / rn));
  const e = norm(eVec);
  const p = (hn * hn) / gm;
  const a = Math.abs(energy) > 1e-12 ? -gm / (2 * energy) : Infinity;
  const W = scale(h, 1 / hn);
  // A circular orbit has no periapsis, so the current radius direction is used as its reference.
  const P = e > 1e-9 ? scale(eVec, 1 / e) : scale(r, 1 / rn);
  const Q = cross(W, P);
  const nu = Math.atan2(dot(r, Q), dot(r, P));
  const bound = e < 1;

  const node = [-h[1], h[0], 0];
  const nodeNorm = Math.hypot(node[0], node[1]);
  const raan = nodeNorm > 0 ? Math.atan2(node[1], node[0]) : 0;
  let argp = 0;
  if (nodeNorm > 0 && e > 1e-9) {
    argp = Math.acos(Math.max(-1, Math.min(1, (node[0] * P[0] + node[1] * P[1]) / nodeNorm)));
    if (P[2] < 0) argp = 2 * Math.PI - argp;
  }
  const degrees = 180 / Math.PI;
  return {
    a,
    e,
    iDeg: (Math.acos(Math.max(-1, Math.min(1, W[2]))) * 180) / Math.PI,
    p,
    periapsis: p / (1 + e),
    apoapsis: bound ? p / (1 - e) : Infinity,
    period: bound ? 2 * Math.PI * Math.sqrt((a * a * a) / gm) : Infinity,
    raanDeg: ((raan * degrees) + 360) % 360,
    argpDeg: argp * degrees,
    nu,
    P,
    Q,
  };
}

/**
 * Returns the point of the conic at true anomaly nu, relative to the primary.
 * @param {Conic} c
 * @param {number} nu
 * @returns {Vec3}
 */
export function conicPoint(c, nu) {
  const r = c.p / (1 + c.e * Math.cos(nu));
  return add(scale(c.P, r * Math.cos(nu)), scale(c.Q, r * Math.sin(nu)));
}

/**
 * Returns the range of true anomaly over which the conic is drawn: the whole ellipse, or the
 * hyperbola's branch short of its asymptotes.
 * @param {Conic} c
 * @returns {[number, number]}
 */
export function anomalyRange(c) {
  if (c.e < 1) return [-Math.PI, Math.PI];
  const limit = Math.acos(-1 / c.e) * 0.97;
  return [-limit, limit];
}
