/**
 * The ArrayBuffers of `payload` that can be moved to a worker instead of copied: the payload
 * itself when it is an ArrayBuffer, its buffer when it is a view spanning the whole of a
 * non-shared ArrayBuffer, and the same for each own property of a plain object payload (one
 * level). A view over part of a buffer — a `Buffer` from Node's shared pool, a frame sliced out
 * of a socket read — is copied, since moving it would detach bytes its owner still uses.
 *
 * Moving detaches the caller's buffer: after the job is submitted it reads as empty.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(4096);
 * transferListOf(bytes); // [bytes.buffer]
 * transferListOf(Buffer.from('abc')); // [] (a slice of the pool: copied)
 * ```
 * @param payload - a job's payload.
 * @returns the buffers to move (no duplicates).
 */
export function transferListOf(payload: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  addOwned(payload, found);
  if (
    payload !== null &&
    typeof payload === 'object' &&
    Object.getPrototypeOf(payload) === Object.prototype
  ) {
    for (const value of Object.values(payload)) addOwned(value, found);
  }
  return [...found];
}

function addOwned(value: unknown, found: Set<ArrayBuffer>): void {
  if (value instanceof ArrayBuffer) {
    if (!value.detached) found.add(value);
  } else if (
    ArrayBuffer.isView(value) &&
    value.buffer instanceof ArrayBuffer &&
    value.byteOffset === 0 &&
    value.byteLength === value.buffer.byteLength &&
    value.byteLength > 0
  ) {
    found.add(value.buffer);
  }
}
