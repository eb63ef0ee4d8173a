// Binary state messages (docs/protocol.md, "Binary state"), turned back into the object that a text
// client receives, so the rest of the client reads one shape.

const recordBytes = 72;
const textDecoder = new TextDecoder();

/**
 * Decodes a binary state message: the JSON head, then one record per other visible ship, with the
 * static fields of ships new to this client merged into their entries.
 * @param {ArrayBuffer} buffer
 * @returns {any} the state message as text clients get it
 */
export function decodeBinaryState(buffer) {
  const view = new DataView(buffer);
  const headBytes = view.getUint32(0, true);
  const head = JSON.parse(textDecoder.decode(new Uint8Array(buffer, 4, headBytes)));
  const count = view.getUint32(4 + headBytes, true);
  const start = 8 + headBytes;
  const expectedBytes = start + count * recordBytes;
  if (buffer.byteLength !== expectedBytes) {
    throw new Error(`invalid binary state message: ${buffer.byteLength} bytes, expected ${expectedBytes} for ${count} records`);
  }
  /** @type {Map<number, any>} */
  const statics = new Map(head.static.map((/** @type {any} */ entry) => [entry.id, entry]));
  for (let k = 0; k < count; k++) {
    const at = start + k * recordBytes;
    const id = Number(view.getBigUint64(at, true));
    const f64 = (/** @type {number} */ i) => view.getFloat64(at + 8 + 8 * i, true);
    const f32 = (/** @type {number} */ i) => view.getFloat32(at + 56 + 4 * i, true);
    const entry = { id, p: [f64(0), f64(1), f64(2)], v: [f64(3), f64(4), f64(5)], q: [f32(0), f32(1), f32(2), f32(3)] };
    const fixed = statics.get(id);
    head.ships.push(fixed ? { ...fixed, ...entry } : entry);
  }
  delete head.static;
  return head;
}
