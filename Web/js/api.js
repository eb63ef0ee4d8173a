// HTTP calls to /api/v1 and the stored session token.

const tokenKey = "galaxy.token";

/** An HTTP API failure carrying the server's error code and message. */
export class ApiError extends Error {
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
 * Sends one JSON request and returns the parsed body, or throws ApiError with the server's message.
 * @param {string} method
 * @param {string} path under /api/v1
 * @param {object | null} body
 * @param {string | null} token
 * @returns {Promise<any>}
 */
async function request(method, path, body, token) {
  /** @type {Record<string, string>} */
  const headers = {};
  if (body) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  } catch (err) {
    throw new ApiError("network", `The server could not be reached (${String(err)}). Check that it is running.`, 0);
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = parsed && parsed.error;
    const message = error && error.message ? error.message : `HTTP ${response.status} ${response.statusText}`;
    throw new ApiError(error && error.code ? error.code : "http_error", message, response.status);
  }
  return parsed;
}

/**
 * @param {string} username
 * @param {string} password
 * @returns {Promise<{token: string, player: {id: number, username: string}}>}
 */
export function register(username, password) {
  return request("POST", "/register", { username, password }, null);
}

/**
 * @param {string} username
 * @param {string} password
 * @returns {Promise<{token: string, player: {id: number, username: string}}>}
 */
export function login(username, password) {
  return request("POST", "/login", { username, password }, null);
}

/** @param {string} token */
export function logout(token) {
  return request("POST", "/logout", null, token);
}

/**
 * @param {string} token
 * @returns {Promise<any>}
 */
export function me(token) {
  return request("GET", "/me", null, token);
}

/** @returns {string | null} */
export function loadToken() {
  return localStorage.getItem(tokenKey);
}

/** @param {string | null} token */
export function storeToken(token) {
  if (token) localStorage.setItem(tokenKey, token);
  else localStorage.removeItem(tokenKey);
}
