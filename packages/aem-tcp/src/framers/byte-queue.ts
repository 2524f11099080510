const EMPTY = Buffer.alloc(0);

/**
 * The received bytes a framer has not consumed yet: a list of chunks, coalesced only as far as
 * a frame needs to be contiguous. A frame that arrives in many chunks is copied once, when it
 * is complete, never once per chunk.
 *
 * @internal
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Offset of the first unconsumed byte in `chunks[0]`. */
  private offset = 0;
  /** Unconsumed bytes in all chunks. */
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /**
   * A contiguous view of the first `n` bytes (`n <= length`), coalescing chunks if needed.
   * The view stays valid until the next `take`/`skip`.
   */
  peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first === undefined) return EMPTY;
    if (first.length - this.offset >= n) return first.subarray(this.offset, this.offset + n);
    this.coalesce(n);
    return this.chunks[0].subarray(0, n);
  }

  /**
   * The unsigned integer of `width` bytes (1–6) at byte `at` (`at + width <= length`): read in
   * place when those bytes are in the first chunk, so a frame header costs no view.
   */
  readUInt(at: number, width: number, bigEndian: boolean): number {
    let first = this.chunks[0];
    let start = this.offset + at;
    if (first.length < start + width) {
      this.coalesce(at + width);
      first = this.chunks[0];
      start = at;
    }
    return bigEndian ? first.readUIntBE(start, width) : first.readUIntLE(start, width);
  }

  /** Removes and returns the first `n` bytes (`n <= length`) as one buffer. */
  take(n: number): Buffer {
    const first = this.chunks[0];
    if (this.offset === 0 && first !== undefined && first.length === n) {
      // The frame is the whole first chunk (one message per read, the common case): it is
      // handed over as it is, without a view.
      this.chunks.shift();
      this.length -= n;
      return first;
    }
    const view = this.peek(n);
    this.skip(n);
    return view;
  }

  /** Drops the first `n` bytes (`n <= length`). */
  skip(n: number): void {
    this.length -= n;
    while (n > 0) {
      const first = this.chunks[0];
      const available = first.length - this.offset;
      if (n < available) {
        this.offset += n;
        return;
      }
      n -= available;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  /** Merges the leading chunks so that `chunks[0]` holds at least `n` unconsumed bytes. */
  private coalesce(n: number): void {
    const parts: Buffer[] = [];
    let gathered = 0;
    let count = 0;
    while (gathered < n) {
      const chunk = this.chunks[count];
      const part = count === 0 ? chunk.subarray(this.offset) : chunk;
      parts.push(part);
      gathered += part.length;
      count++;
    }
    this.chunks.splice(0, count, Buffer.concat(parts, gathered));
    this.offset = 0;
  }
}
