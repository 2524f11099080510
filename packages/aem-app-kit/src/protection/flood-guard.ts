import { InvalidArgumentError } from '@aem/core';
import type { TimerHandle, TimerWheel } from '@aem/timers';
import { AddressList, unmapIPv4 } from './address-list';

/**
 * Thresholds of a {@link FloodGuard}. The defaults are Kamailio's stock configuration (`pike`
 * sampling 2 s with a density of 16, and an `htable` ban of 300 s).
 */
export interface FloodGuardOptions {
  /** Length of the sliding window in ms. Default 2,000. */
  readonly windowMs?: number;
  /** Most requests one source may make in a window; one more bans it. Default 16. */
  readonly maxRequests?: number;
  /** How long a ban lasts in ms. Default 300,000. */
  readonly banMs?: number;
  /** Addresses and subnets never counted nor banned (`127.0.0.1`, `10.0.0.0/8`, `::1`). */
  readonly allow?: readonly string[];
  /**
   * Most sources tracked at once (each costs one small record until its window passes). A new
   * source beyond it is admitted untracked and counted in {@link FloodGuardStats.untracked}, so
   * a spoofed-address flood cannot grow memory without bound. Default 100,000.
   */
  readonly maxSources?: number;
  /** Told of every ban as it starts (for a log line). */
  readonly onBan?: (source: string, reason: BanReason) => void;
}

/**
 * Why a source was banned: its request rate, failed authentication (`auth`, from an
 * authenticator), or the application's own {@link FloodGuard.ban}.
 */
export type BanReason = 'rate' | 'auth' | 'manual';

/** Counters of a {@link FloodGuard} (totals since it was made, plus the current sizes). */
export interface FloodGuardStats {
  /** Requests admitted (allow-listed ones included). */
  readonly admitted: number;
  /** Requests refused because their source was banned. */
  readonly refused: number;
  /** Bans started. */
  readonly bans: number;
  /** Sources banned now. */
  readonly banned: number;
  /** Sources being counted now. */
  readonly tracked: number;
  /** Requests admitted without counting because `maxSources` sources were tracked. */
  readonly untracked: number;
}

/** Defaults of {@link FloodGuardOptions} (Kamailio's `pike` + `htable` stock values). */
export const DEFAULT_FLOOD_GUARD = {
  /** The sliding window: 2 s (`pike`'s sampling time unit). */
  windowMs: 2_000,
  /** Requests per source and window before a ban: 16 (`pike`'s density). */
  maxRequests: 16,
  /** A ban's length: 300 s (the stock `htable` ban). */
  banMs: 300_000,
  /** Sources counted at once: 100,000. */
  maxSources: 100_000,
} as const;

/** Requests of one source in the current and the previous aligned window. */
interface SourceRate {
  window: number;
  current: number;
  previous: number;
}

/**
 * Per-source flood protection on the timer wheel: counts each source's requests over a sliding
 * window, bans a source that exceeds the limit for a fixed time, and never counts nor bans the
 * allow list. Banned sources should get no answer over UDP and a closed connection over TCP.
 *
 * The window is a sliding-window counter: the request count of the current aligned window plus
 * the previous one's, weighted by how much of it still overlaps the last `windowMs` — O(1) per
 * request, two numbers per source, within one window's worth of error of an exact sliding log.
 * A sweep on the wheel once per window forgets sources idle for two windows; each ban is one
 * wheel timer that lifts it.
 *
 * @example
 * ```ts
 * const guard = new FloodGuard(timers.wheel, { allow: ['127.0.0.1'] });
 * udp.onDatagram(({ peer, data }) => {
 *   if (!guard.admit(peer.address)) return; // banned: no answer
 *   handle(data);
 * });
 * ```
 */
export class FloodGuard {
  private readonly windowMs: number;
  private readonly maxRequests: number;
  private readonly banMs: number;
  private readonly maxSources: number;
  private readonly allow: AddressList;
  private readonly onBan: ((source: string, reason: BanReason) => void) | undefined;
  private readonly rates = new Map<string, SourceRate>();
  private readonly bansBySource = new Map<string, TimerHandle>();
  private sweepHandle: TimerHandle | null;
  private counts = { admitted: 0, refused: 0, bans: 0, untracked: 0 };

  /**
   * @param wheel - the timing wheel the sweep and the ban expiries run on (`timers.wheel`).
   * @param options - thresholds; Kamailio's by default.
   * @throws {@link @aem/core!InvalidArgumentError} for a bad threshold or allow-list entry.
   */
  constructor(
    private readonly wheel: TimerWheel,
    options: FloodGuardOptions = {},
  ) {
    this.windowMs = positive('options.windowMs', options.windowMs ?? DEFAULT_FLOOD_GUARD.windowMs);
    this.maxRequests = positive(
      'options.maxRequests',
      options.maxRequests ?? DEFAULT_FLOOD_GUARD.maxRequests,
    );
    this.banMs = positive('options.banMs', options.banMs ?? DEFAULT_FLOOD_GUARD.banMs);
    this.maxSources = positive(
      'options.maxSources',
      options.maxSources ?? DEFAULT_FLOOD_GUARD.maxSources,
    );
    this.allow = new AddressList(options.allow);
    this.onBan = options.onBan;
    this.sweepHandle = wheel.start(this.windowMs, sweep, this);
  }

  /**
   * Counts one request of `source` and says whether to serve it: `false` when the source is
   * banned, including by this very request.
   */
  admit(source: string): boolean {
    const address = unmapIPv4(source);
    // Most of the time nobody is banned: then no lookup (a string-keyed probe per datagram).
    if (this.bansBySource.size !== 0 && this.bansBySource.has(address)) {
      this.counts.refused++;
      return false;
    }
    if (this.allow.has(address)) {
      this.counts.admitted++;
      return true;
    }
    const now = this.wheel.now();
    const window = Math.floor(now / this.windowMs);
    let rate = this.rates.get(address);
    if (rate === undefined) {
      if (this.rates.size >= this.maxSources) {
        this.counts.untracked++;
        this.counts.admitted++;
        return true;
      }
      rate = { window, current: 0, previous: 0 };
      this.rates.set(address, rate);
    } else if (rate.window !== window) {
      rate.previous = rate.window === window - 1 ? rate.current : 0;
      rate.current = 0;
      rate.window = window;
    }
    rate.current++;
    const overlap = 1 - (now - window * this.windowMs) / this.windowMs;
    if (rate.current + rate.previous * overlap > this.maxRequests) {
      this.ban(address, 'rate');
      this.counts.refused++;
      return false;
    }
    this.counts.admitted++;
    return true;
  }

  /** Whether `source` is banned now. */
  isBanned(source: string): boolean {
    return this.bansBySource.has(unmapIPv4(source));
  }

  /**
   * Bans `source` for `banMs` (the configured ban time by default), or extends a ban in force to
   * end `banMs` from now. Allow-listed sources are never banned.
   *
   * @returns `false` for an allow-listed source.
   */
  ban(source: string, reason: BanReason = 'manual', banMs = this.banMs): boolean {
    const address = unmapIPv4(source);
    if (this.allow.has(address)) return false;
    positive('banMs', banMs);
    const running = this.bansBySource.get(address);
    if (running !== undefined) this.wheel.cancel(running);
    else this.counts.bans++;
    this.rates.delete(address);
    this.bansBySource.set(address, this.wheel.start(banMs, liftBan, { guard: this, address }));
    if (running === undefined) this.onBan?.(address, reason);
    return true;
  }

  /** Lifts a ban now. @returns whether `source` was banned. */
  unban(source: string): boolean {
    const address = unmapIPv4(source);
    const handle = this.bansBySource.get(address);
    if (handle === undefined) return false;
    this.wheel.cancel(handle);
    this.bansBySource.delete(address);
    return true;
  }

  /** The sources banned now. */
  banned(): string[] {
    return [...this.bansBySource.keys()];
  }

  /** The counters. */
  get stats(): FloodGuardStats {
    return {
      ...this.counts,
      banned: this.bansBySource.size,
      tracked: this.rates.size,
    };
  }

  /** Stops the sweep and lifts every ban (the guard admits everything after). */
  close(): void {
    if (this.sweepHandle !== null) this.wheel.cancel(this.sweepHandle);
    this.sweepHandle = null;
    for (const handle of this.bansBySource.values()) this.wheel.cancel(handle);
    this.bansBySource.clear();
    this.rates.clear();
  }

  /** @internal Forgets sources with no request in the current or the previous window. */
  _sweep(): void {
    const window = Math.floor(this.wheel.now() / this.windowMs);
    for (const [address, rate] of this.rates)
      if (rate.window < window - 1) this.rates.delete(address);
    this.sweepHandle = this.wheel.start(this.windowMs, sweep, this);
  }

  /** @internal */
  _lift(address: string): void {
    this.bansBySource.delete(address);
  }
}

function sweep(guard: FloodGuard): void {
  guard._sweep();
}

function liftBan(ban: { guard: FloodGuard; address: string }): void {
  ban.guard._lift(ban.address);
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new InvalidArgumentError(name, 'a positive integer', value);
  return value;
}
