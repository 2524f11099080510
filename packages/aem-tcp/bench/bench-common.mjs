// What every part of `npm run bench:tcp` shares: the message, the address and the statistics.

/** Loopback only. */
export const HOST = '127.0.0.1';
/** Every message: a 2-byte big-endian length and 62 bytes of payload. */
export const MESSAGE_BYTES = 64;
/** Messages in flight per connection in the pipelined run. */
export const PIPELINE = 64;

/** One message (see MESSAGE_BYTES). */
export function makeMessage() {
  const message = Buffer.alloc(MESSAGE_BYTES, 0x61);
  message.writeUInt16BE(MESSAGE_BYTES - 2, 0);
  return message;
}

/** The median of `values` (the upper one of an even count). */
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The p-th percentile of `values`, nearest rank. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
