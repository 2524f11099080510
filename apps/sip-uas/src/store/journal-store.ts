import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  write,
  writeSync,
} from 'node:fs';
import { crc32 } from 'node:zlib';
import type { RegistrarStore, StoredBinding } from './registrar-store';
import { StoreUnavailableError } from './registrar-store';

/** Options of a {@link JournalStore}. */
export interface JournalStoreOptions {
  /** `fsync` after every batch of appends (survives power loss, not only `kill -9`). Default false. */
  readonly fsync?: boolean;
  /** Compact when the journal holds more than this many records and twice the live ones. Default 10,000. */
  readonly compactAfter?: number;
  /** Told of records skipped at restore (a torn last write, a corrupted line). */
  readonly warn?: (message: string) => void;
  /** The clock, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

type JournalRecord =
  | { readonly op: 'put'; readonly b: StoredBinding }
  | { readonly op: 'del'; readonly aor: string; readonly contact: string };

/**
 * The embedded registrar store: memory plus an append-only journal on disk. Each change is one
 * line, `<crc32 hex> <json>\n`; the writes of one event-loop turn go out in one `write()`, and a
 * change is acknowledged once its bytes are in the kernel (so `kill -9` loses nothing
 * acknowledged; with `fsync`, neither does a power cut). At start the journal is replayed:
 * expired bindings are dropped, and a line whose checksum fails — the torn last write of a
 * killed process, typically — is skipped with a warning. When the journal has grown past
 * `compactAfter` records and twice the live bindings, it is rewritten as a snapshot of the live
 * ones (written to a temporary file, fsynced, renamed over the journal: a crash in between
 * leaves the old journal whole).
 */
export class JournalStore implements RegistrarStore {
  readonly kind = 'journal';
  /** Lines skipped at restore. */
  skipped = 0;
  private fd: number;
  private readonly live = new Map<string, StoredBinding>();
  private records = 0;
  private pending: string[] = [];
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private writing = false;
  private scheduled = false;
  private failed: Error | null = null;
  private readonly fsync: boolean;
  private readonly compactAfter: number;
  private readonly warn: (message: string) => void;
  private readonly now: () => number;

  /** Opens (creating) the journal at `path` and replays it. */
  constructor(
    readonly path: string,
    options: JournalStoreOptions = {},
  ) {
    this.fsync = options.fsync ?? false;
    this.compactAfter = options.compactAfter ?? 10_000;
    this.warn = options.warn ?? ((message) => process.emitWarning(message, { type: 'SipStore' }));
    this.now = options.now ?? Date.now;
    this.replay();
    this.fd = openSync(path, 'a', 0o600);
  }

  get available(): boolean {
    return this.failed === null;
  }

  async restore(): Promise<StoredBinding[]> {
    const now = this.now();
    return [...this.live.values()].filter((binding) => binding.expiresAt > now);
  }

  save(binding: StoredBinding): Promise<void> {
    this.live.set(key(binding.aor, binding.contact), binding);
    return this.append({ op: 'put', b: binding });
  }

  remove(aor: string, contact: string): Promise<void> {
    if (!this.live.delete(key(aor, contact))) return Promise.resolve();
    return this.append({ op: 'del', aor, contact });
  }

  async lookup(): Promise<null> {
    return null;
  }

  onRemoteChange(): void {
    // One node: nothing changes behind its back.
  }

  async close(): Promise<void> {
    if (this.writing || this.pending.length > 0) await this.flushed().catch(() => undefined);
    closeSync(this.fd);
  }

  private append(record: JournalRecord): Promise<void> {
    if (this.failed !== null)
      return Promise.reject(new StoreUnavailableError('journal', this.failed.message));
    const json = JSON.stringify(record);
    this.pending.push(`${crc32(json).toString(16).padStart(8, '0')} ${json}\n`);
    this.records++;
    const done = this.flushed();
    if (!this.scheduled && !this.writing) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.writeBatch();
      });
    }
    return done;
  }

  private flushed(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Writes everything queued in one `write()`; the next batch starts when it is done. */
  private writeBatch(): void {
    if (this.writing || this.pending.length === 0) return;
    this.writing = true;
    const bytes = Buffer.from(this.pending.join(''));
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    write(this.fd, bytes, 0, bytes.length, null, (error, written) => {
      try {
        if (error === null && written !== bytes.length)
          throw new Error('short write to the journal');
        if (error !== null) throw error;
        if (this.fsync) fsyncSync(this.fd);
        if (this.records > this.compactAfter && this.records > 2 * this.live.size) this.compact();
        for (const waiter of waiters) waiter.resolve();
      } catch (failure) {
        this.failed = failure instanceof Error ? failure : new Error(String(failure));
        const unavailable = new StoreUnavailableError('journal', this.failed.message);
        for (const waiter of [...waiters, ...this.waiters]) waiter.reject(unavailable);
        this.waiters = [];
        this.pending = [];
      } finally {
        this.writing = false;
      }
      if (this.pending.length > 0) return this.writeBatch();
      // Nothing left to write: release whoever waits for quiet (close()).
      const idle = this.waiters;
      this.waiters = [];
      for (const waiter of idle) waiter.resolve();
    });
  }

  /** Rewrites the journal as the live bindings (temporary file, fsync, rename). */
  private compact(): void {
    const now = this.now();
    const temporary = `${this.path}.compact`;
    const fd = openSync(temporary, 'w', 0o600);
    let records = 0;
    try {
      let chunk = '';
      for (const [k, binding] of this.live) {
        if (binding.expiresAt <= now) {
          this.live.delete(k);
          continue;
        }
        const json = JSON.stringify({ op: 'put', b: binding });
        chunk += `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
        records++;
        if (chunk.length > 1 << 20) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
      writeSync(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a', 0o600);
    this.records = records;
  }

  private replay(): void {
    if (!existsSync(this.path)) return;
    const bytes = readFileSync(this.path);
    const end = bytes.lastIndexOf(0x0a) + 1;
    const lines = bytes.toString('utf8', 0, end).split('\n');
    lines.pop(); // '' after the last newline
    if (end < bytes.length) {
      // A write cut short: drop its bytes so the next append starts on a line of its own.
      this.skip(lines.length + 1, 'incomplete last record (a write cut short)');
      truncateSync(this.path, end);
    }
    lines.forEach((line, index) => {
      const match = /^([0-9a-f]{8}) (.*)$/.exec(line);
      if (match === null || crc32(match[2]!).toString(16).padStart(8, '0') !== match[1]) {
        return this.skip(index + 1, 'checksum mismatch');
      }
      let record: JournalRecord;
      try {
        record = JSON.parse(match[2]!) as JournalRecord;
      } catch {
        return this.skip(index + 1, 'unparsable record');
      }
      this.records++;
      if (record.op === 'put') this.live.set(key(record.b.aor, record.b.contact), record.b);
      else this.live.delete(key(record.aor, record.contact));
    });
    const now = this.now();
    for (const [k, binding] of this.live) if (binding.expiresAt <= now) this.live.delete(k);
  }

  private skip(line: number, reason: string): void {
    this.skipped++;
    this.warn(`${this.path}:${line}: skipped a journal record: ${reason}`);
  }
}

function key(aor: string, contact: string): string {
  return `${aor}\n${contact}`;
}
