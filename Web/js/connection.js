// The game WebSocket: sequence numbers, acks and errors per request, and reconnection with
// exponential backoff and full jitter. State comes as binary messages, about a third of the text's bytes.

import { decodeBinaryState } from "./binary.js";

const maxBackoffMs = 30000;
const baseBackoffMs = 1000;

/**
 * @typedef {object} Pending
 * @property {string} label what the request did, for error messages
 * @property {(() => void) | undefined} onAck
 */

/**
 * @typedef {object} ConnectionHandlers
 * @property {(message: any) => void} onMessage every server message but ack and error
 * @property {(label: string, code: string, message: string) => void} onError a request failed
 * @property {(status: "connecting" | "open" | "closed", detail: string) => void} onStatus
 * @property {() => Promise<boolean>} isTokenValid checked after a failed connect
 */

export class Connection {
  /**
   * @param {string} token
   * @param {ConnectionHandlers} handlers
   */
  constructor(token, handlers) {
    this.token = token;
    this.handlers = handlers;
    /** @type {WebSocket | null} */
    this.socket = null;
    this.seq = 0;
    this.attempt = 0;
    /** @type {Map<number, Pending>} */
    this.pending = new Map();
    /** @type {number | undefined} */
    this.retryTimer = undefined;
    this.stopped = false;
  }

  open() {
    this.stopped = false;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(this.token)}&encoding=binary`);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.handlers.onStatus("connecting", "Connecting…");
    let welcomed = false;
    socket.onmessage = (event) => {
      let message;
      try {
        message = event.data instanceof ArrayBuffer ? decodeBinaryState(event.data) : JSON.parse(String(event.data));
      } catch (error) {
        console.warn("Ignored a server message that could not be read:", error);
        return;
      }
      if (message.type === "welcome") {
        welcomed = true;
        this.attempt = 0;
        this.handlers.onStatus("open", "Connected");
      }
      this.dispatch(message);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.pending.clear();
      if (this.stopped) return;
      this.scheduleReconnect(welcomed, event.code);
    };
  }

  /**
   * @param {boolean} welcomed
   * @param {number} code the WebSocket close code
   */
  async scheduleReconnect(welcomed, code) {
    // The browser hides the handshake's HTTP status, so a refused token shows up only through /me.
    if (!welcomed && !(await this.handlers.isTokenValid())) {
      this.stop();
      return;
    }
    const ceiling = Math.min(maxBackoffMs, baseBackoffMs * 2 ** this.attempt);
    const delay = Math.random() * ceiling;
    this.attempt += 1;
    this.handlers.onStatus("closed", `Connection closed (code ${code}), retry in ${(delay / 1000).toFixed(1)} s`);
    this.retryTimer = window.setTimeout(() => this.open(), delay);
  }

  stop() {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
  }

  /** @param {any} message */
  dispatch(message) {
    if (message.type === "ack") {
      const pending = this.pending.get(message.seq);
      this.pending.delete(message.seq);
      if (pending && pending.onAck) pending.onAck();
      return;
    }
    if (message.type === "error") {
      const pending = message.seq == null ? undefined : this.pending.get(message.seq);
      this.pending.delete(message.seq);
      this.handlers.onError(pending ? pending.label : "Request", message.code, message.message);
      return;
    }
    this.handlers.onMessage(message);
  }

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Sends a message with a fresh seq. Returns false when the socket is not open.
   * @param {Record<string, any>} message
   * @param {string} label what the request does, shown if it fails
   * @param {() => void} [onAck]
   */
  send(message, label, onAck) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
      this.handlers.onError(label, "not_connected", "The connection to the server is down. Wait for it to reconnect, then try again.");
      return false;
    }
    this.seq += 1;
    this.pending.set(this.seq, { label, onAck });
    this.socket.send(JSON.stringify({ ...message, seq: this.seq }));
    return true;
  }
}
