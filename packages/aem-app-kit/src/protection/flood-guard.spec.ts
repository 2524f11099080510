import { InvalidArgumentError, type Aem } from '@aem/core';
import type { Timers } from '@aem/timers';
import type { VirtualClock } from '@aem/timers/testing';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { virtualTimers } from '../statem/virtual-timers.spec-helper';
import { AddressList } from './address-list';
import { FloodGuard, type BanReason } from './flood-guard';
import { registerFloodGuardMetrics } from './flood-guard-metrics';

describe('FloodGuard', () => {
  let clock: VirtualClock;
  let runtime: Aem;
  let timers: Timers;

  beforeEach(() => {
    ({ clock, runtime, timers } = virtualTimers());
  });
  afterEach(() => runtime.close());

  it('bans a source at the 17th request in 2 s, serves others, and lifts the ban after 300 s', () => {
    const bans: [string, BanReason][] = [];
    const guard = new FloodGuard(timers.wheel, { onBan: (s, r) => bans.push([s, r]) });
    for (let i = 0; i < 16; i++) expect(guard.admit('127.0.0.2')).toBe(true);
    expect(guard.admit('127.0.0.2')).toBe(false);
    expect(bans).toEqual([['127.0.0.2', 'rate']]);
    expect(guard.admit('127.0.0.3')).toBe(true);
    clock.advance(299_000);
    expect(guard.admit('127.0.0.2')).toBe(false);
    expect(guard.isBanned('127.0.0.2')).toBe(true);
    clock.advance(1_100);
    expect(guard.isBanned('127.0.0.2')).toBe(false);
    expect(guard.admit('127.0.0.2')).toBe(true);
    expect(guard.stats).toEqual({
      admitted: 18,
      refused: 2,
      bans: 1,
      banned: 0,
      tracked: 1, // 127.0.0.3 was forgotten by the sweep; 127.0.0.2 counts afresh
      untracked: 0,
    });
    guard.close();
  });

  it('never counts nor bans the allow list, IPv4-mapped addresses included', () => {
    const guard = new FloodGuard(timers.wheel, { allow: ['127.0.0.0/24', '::1'] });
    for (let i = 0; i < 100; i++) {
      expect(guard.admit('127.0.0.9')).toBe(true);
      expect(guard.admit('::ffff:127.0.0.9')).toBe(true);
      expect(guard.admit('::1')).toBe(true);
    }
    expect(guard.ban('127.0.0.9')).toBe(false);
    expect(guard.stats.tracked).toBe(0);
    guard.close();
  });

  it('treats an IPv4-mapped address as its IPv4 source', () => {
    const guard = new FloodGuard(timers.wheel, { maxRequests: 2 });
    guard.admit('10.0.0.1');
    guard.admit('::ffff:10.0.0.1');
    expect(guard.admit('10.0.0.1')).toBe(false);
    expect(guard.banned()).toEqual(['10.0.0.1']);
    guard.close();
  });

  it('bounds the sources it tracks and counts the ones it could not', () => {
    const guard = new FloodGuard(timers.wheel, { maxSources: 3, maxRequests: 1 });
    for (const source of ['a1', 'a2', 'a3', 'a4', 'a5']) guard.admit(`10.0.0.${source.slice(1)}`);
    expect(guard.stats.tracked).toBe(3);
    expect(guard.stats.untracked).toBe(2);
    // Two idle windows later the sweep frees the slots.
    clock.advance(6_000);
    expect(guard.stats.tracked).toBe(0);
    guard.close();
  });

  it('extends a ban given again and lifts one on unban', () => {
    const guard = new FloodGuard(timers.wheel);
    expect(guard.ban('192.0.2.1', 'manual', 1_000)).toBe(true);
    clock.advance(900);
    guard.ban('192.0.2.1', 'manual', 1_000);
    clock.advance(900);
    expect(guard.isBanned('192.0.2.1')).toBe(true);
    expect(guard.stats.bans).toBe(1);
    expect(guard.unban('192.0.2.1')).toBe(true);
    expect(guard.unban('192.0.2.1')).toBe(false);
    expect(guard.admit('192.0.2.1')).toBe(true);
    guard.close();
  });

  it('rejects bad thresholds and allow-list entries with typed errors', () => {
    expect(() => new FloodGuard(timers.wheel, { windowMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => new FloodGuard(timers.wheel, { maxRequests: 1.5 })).toThrow(
      'options.maxRequests must be a positive integer, got 1.5',
    );
    expect(() => new FloodGuard(timers.wheel, { allow: ['10.0.0.0/33'] })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new AddressList(['example.org'])).toThrow(InvalidArgumentError);
  });

  it('close() cancels its wheel timers', () => {
    const before = timers.wheel.size;
    const guard = new FloodGuard(timers.wheel);
    guard.ban('192.0.2.7');
    expect(timers.wheel.size).toBe(before + 2);
    guard.close();
    expect(timers.wheel.size).toBe(before);
    expect(guard.admit('192.0.2.7')).toBe(true);
  });

  describe('properties (random request times on a virtual clock)', () => {
    const windowMs = 2_000;
    const maxRequests = 8;
    // Gaps between one source's requests, ms.
    const gaps = fc.array(fc.integer({ min: 0, max: 1_500 }), { minLength: 1, maxLength: 120 });

    /** Replays the requests; returns the time of the first refusal or null. */
    function replay(deltas: number[]): { times: number[]; firstRefused: number | null } {
      const guard = new FloodGuard(timers.wheel, { windowMs, maxRequests, banMs: 10 * 60_000 });
      const times: number[] = [];
      let firstRefused: number | null = null;
      for (const delta of deltas) {
        clock.advance(delta);
        times.push(clock.now());
        if (!guard.admit('198.51.100.1') && firstRefused === null) firstRefused = clock.now();
      }
      guard.close();
      return { times, firstRefused };
    }

    /** Most requests in any interval [t - span, t] ending at a request. */
    function densest(times: number[], span: number): number {
      let most = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i]! - times[j]! >= span) j++;
        most = Math.max(most, i - j + 1);
      }
      return most;
    }

    it('never bans a source with at most maxRequests requests in any two windows', () => {
      fc.assert(
        fc.property(gaps, (deltas) => {
          const { times, firstRefused } = replay(deltas);
          if (densest(times, 2 * windowMs) <= maxRequests) expect(firstRefused).toBeNull();
        }),
      );
    });

    it('always bans a source with more than maxRequests requests in one aligned window', () => {
      fc.assert(
        fc.property(gaps, (deltas) => {
          const { times, firstRefused } = replay(deltas);
          const perWindow = new Map<number, number>();
          let overAt: number | null = null;
          for (const t of times) {
            const w = Math.floor(t / windowMs);
            const n = (perWindow.get(w) ?? 0) + 1;
            perWindow.set(w, n);
            if (n > maxRequests && overAt === null) overAt = t;
          }
          if (overAt !== null) {
            expect(firstRefused).not.toBeNull();
            expect(firstRefused!).toBeLessThanOrEqual(overAt);
          }
        }),
      );
    });
  });
});

describe('registerFloodGuardMetrics', () => {
  it('serves the counters and the banned count in the Prometheus text', async () => {
    const { runtime, timers } = virtualTimers();
    const registry = new Registry();
    const guard = new FloodGuard(timers.wheel, { maxRequests: 1 });
    registerFloodGuardMetrics(registry, guard);
    guard.admit('203.0.113.5');
    guard.admit('203.0.113.5');
    guard.admit('203.0.113.5');
    const text = await registry.metrics();
    expect(text).toContain('aem_flood_admitted_total 1');
    expect(text).toContain('aem_flood_refused_total 2');
    expect(text).toContain('aem_flood_bans_total 1');
    expect(text).toContain('aem_flood_banned_sources 1');
    guard.close();
    runtime.close();
  });
});
