// Admin HTTP calls under /api/v1/admin, the /metrics scrape and the admin token kept in sessionStorage.

const tokenKey = "galaxy.adminToken";

/** An admin API failure carrying the HTTP status and the server's error code and message. */
export class AdminError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {number} status
   */
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/**
 * @typedef {object} Status
 * @property {number} tick
 * @property {number} game_time_s
 * @property {boolean} paused
 * @property {number} requested_warp
 * @property {number} effective_warp
 * @property {boolean} degraded
 * @property {number} ticks_behind
 * @property {number} overruns
 * @property {number} skipped_ticks
 * @property {number} last_tick_ms
 * @property {number} actual_rate_hz
 * @property {number} connections
 * @property {number} ships
 * @property {number} broadcast_ms
 * @property {number} broadcast_bytes
 */

/** @typedef {{id: number, username: string, connections: number, ships: number[]}} OnlinePlayer */

/**
 * Sends one request and returns the parsed JSON body (null for an empty one), or throws AdminError.
 * @param {string} method
 * @param {string} url
 * @param {string} token
 * @param {object | null} body
 * @returns {Promise<any>}
 */
async function send(method, url, token, body) {
  /** @type {Record<string, string>} */
  const headers = { Authorization: `Bearer ${token}` };
  if (body) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined, cache: "no-store" });
  } catch (err) {
    throw new AdminError("network", `The server could not be reached (${String(err)}). Check that it is running.`, 0);
  }
  const text = await response.text();
  if (response.ok) {
    if (!text || !(response.headers.get("Content-Type") || "").includes("json")) return text || null;
    return JSON.parse(text);
  }
  let error = null;
  try {
    error = JSON.parse(text).error;
  } catch {
    error = null;
  }
  const message = error && error.message ? error.message : `HTTP ${response.status} ${response.statusText}`;
  throw new AdminError(error && error.code ? error.code : "http_error", message, response.status);
}

/**
 * @param {string} token
 * @returns {Promise<Status>}
 */
export function fetchStatus(token) {
  return send("GET", "/api/v1/admin/status", token, null);
}

/** @param {string} token */
export function pause(token) {
  return send("POST", "/api/v1/admin/pause", token, null);
}

/** @param {string} token */
export function resume(token) {
  return send("POST", "/api/v1/admin/resume", token, null);
}

/**
 * @param {string} token
 * @param {number} warp game seconds per wall second
 */
export function setWarp(token, warp) {
  return send("POST", "/api/v1/admin/warp", token, { warp });
}

/**
 * @param {string} token
 * @param {string} search username substring; empty lists every connected player
 * @returns {Promise<OnlinePlayer[]>}
 */
export async function fetchPlayers(token, search) {
  const query = search ? `?search=${encodeURIComponent(search)}` : "";
  const body = await send("GET", `/api/v1/admin/players${query}`, token, null);
  return body && Array.isArray(body.players) ? body.players : [];
}

/**
 * @param {string} token
 * @param {number} shipId
 * @returns {Promise<any>}
 */
export function fetchShip(token, shipId) {
  return send("GET", `/api/v1/admin/ships/${shipId}`, token, null);
}

/**
 * @param {string} token
 * @param {number} playerId
 * @returns {Promise<{player_id: number, closed_connections: number}>}
 */
export function kick(token, playerId) {
  return send("POST", "/api/v1/admin/kick", token, { player_id: playerId });
}

/**
 * Fetches /metrics and returns its samples keyed as parseMetrics describes.
 * @returns {Promise<Map<string, number>>}
 */
export async function fetchMetrics() {
  let response;
  try {
    response = await fetch("/metrics", { cache: "no-store" });
  } catch (err) {
    throw new AdminError("network", `GET /metrics failed (${String(err)}).`, 0);
  }
  if (!response.ok) throw new AdminError("http_error", `GET /metrics failed with HTTP ${response.status}.`, response.status);
  return parseMetrics(await response.text());
}

/**
 * Parses Prometheus text exposition lines of the form `name value` or `name{labels} value`.
 * Labelled samples are stored under their full `name{labels}` key, and comments are skipped.
 * @param {string} text
 * @returns {Map<string, number>}
 */
export function parseMetrics(text) {
  /** @type {Map<string, number>} */
  const samples = new Map();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const split = line.lastIndexOf("}") >= 0 ? line.lastIndexOf("}") + 1 : line.indexOf(" ");
    if (split <= 0) continue;
    const name = line.slice(0, split).trim();
    const value = Number(line.slice(split).trim().split(/\s+/)[0]);
    if (Number.isFinite(value)) samples.set(name, value);
  }
  return samples;
}

/** @returns {string | null} */
export function loadToken() {
  return sessionStorage.getItem(tokenKey);
}

/** @param {string | null} token */
export function storeToken(token) {
  if (token) sessionStorage.setItem(tokenKey, token);
  else sessionStorage.removeItem(tokenKey);
}
