const EMPTY = Buffer.alloc(0);

/**
 * The received bytes a framer has not consumed yet: a list of chunks, coalesced only as far as
 * a frame needs to be contiguous. A frame that arrives in many chunks is copied once, when it
 * is complete, never once per chunk.
 *
 * The first chunk has a field of its own (`head`), the others wait in `tail`: the common case
 * of one frame per read then pushes and takes a chunk with no array operation at all.
 *
 * @internal
 */
export class ByteQueue {
  /** The oldest chunk, null when the queue is empty; `offset` is its first unconsumed byte. */
  private head: Buffer | null = null;
  /** The chunks after `head`, oldest first (never non-empty while `head` is null). */
  private tail: Buffer[] = [];
  /** Offset of the first unconsumed byte in `head`. */
  private offset = 0;
  /** Unconsumed bytes in all chunks. */
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.head === null) this.head = chunk;
    else this.tail.push(chunk);
    this.length += chunk.length;
  }

  /**
   * A contiguous view of the first `n` bytes (`n <= length`), coalescing chunks if needed.
   * The view stays valid until the next `take`/`skip`.
   */
  peek(n: number): Buffer {
    const head = this.head;
    if (head === null) return EMPTY;
    if (head.length - this.offset >= n) return head.subarray(this.offset, this.offset + n);
    return this.coalesce(n).subarray(0, n);
  }

  /**
   * The unsigned integer of `width` bytes (1–6) at byte `at` (`at + width <= length`): read in
   * place when those bytes are in the first chunk, so a frame header costs no view.
   */
  readUInt(at: number, width: number, bigEndian: boolean): number {
    let head = this.head as Buffer;
    let start = this.offset + at;
    if (head.length < start + width) {
      head = this.coalesce(at + width);
      start = at;
    }
    return bigEndian ? head.readUIntBE(start, width) : head.readUIntLE(start, width);
  }

  /** Removes and returns the first `n` bytes (`n <= length`) as one buffer. */
  take(n: number): Buffer {
    const head = this.head;
    if (this.offset === 0 && head !== null && head.length === n) {
      // The frame is the whole first chunk (one message per read, the common case): it is
      // handed over as it is, without a view.
      this.dropHead();
      this.length -= n;
      return head;
    }
    const view = this.peek(n);
    this.skip(n);
    return view;
  }

  /** Drops the first `n` bytes (`n <= length`). */
  skip(n: number): void {
    this.length -= n;
    while (n > 0) {
      const available = (this.head as Buffer).length - this.offset;
      if (n < available) {
        this.offset += n;
        return;
      }
      n -= available;
      this.dropHead();
    }
  }

  /** The next chunk becomes the head. */
  private dropHead(): void {
    this.offset = 0;
    this.head = this.tail.length === 0 ? null : (this.tail.shift() as Buffer);
  }

  /**
   * Merges the leading chunks so that `head` holds at least `n` unconsumed bytes, from offset
   * 0; returns the new head.
   */
  private coalesce(n: number): Buffer {
    const head = this.head as Buffer;
    const tail = this.tail;
    const parts = [head.subarray(this.offset)];
    let gathered = parts[0].length;
    let count = 0;
    while (gathered < n) {
      const chunk = tail[count++];
      parts.push(chunk);
      gathered += chunk.length;
    }
    tail.splice(0, count);
    this.offset = 0;
    return (this.head = Buffer.concat(parts, gathered));
  }
}
