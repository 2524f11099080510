import { createAem, type Aem } from '../aem';
import { EventClosedError } from '../errors/event-closed.error';
import { InvalidArgumentError } from '../errors/invalid-argument.error';
import { defineService } from '../service/define-service';
import { defineCall } from '../service/service-definition';
import { manualService, settle } from '../testing/manual-service.spec-helper';
import type { CallContext } from './call-context';

describe('AemEvent', () => {
  let runtime: Aem;
  let manual: ReturnType<typeof manualService>;
  const bind = () => runtime.bind<typeof manual.definition>('manual');

  beforeEach(() => {
    runtime = createAem({ backend: 'userspace' });
    manual = manualService();
    runtime.load(manual.definition);
  });
  afterEach(() => runtime.close());

  describe('lifecycle', () => {
    it('starts at once by default and delivers payload and event to the handler', async () => {
      const seen: unknown[] = [];
      const event = bind().call(
        'listen',
        { key: 'a' },
        (payload, ev) => void seen.push([payload, ev.id, ev.context]),
        {
          context: { user: 'alice' },
        },
      );
      expect(event.state).toBe('active');
      expect(event.service).toBe('manual@1.0.0');
      expect(event.call).toBe('listen');
      manual.fire('a', 'x');
      expect(seen).toEqual([]); // never synchronous
      await settle();
      expect(seen).toEqual([['x', event.id, { user: 'alice' }]]);
      expect(event.activations).toBe(1);
    });

    it('waits idle with start: false and holds activations until started', async () => {
      const seen: unknown[] = [];
      const event = bind().call('listen', { key: 'a' }, (p) => void seen.push(p), { start: false });
      expect(event.state).toBe('idle');
      expect(manual.log).toEqual(['setup']);
      manual.fire('a', 1);
      manual.fire('a', 2);
      await settle();
      expect(seen).toEqual([]);
      expect(runtime.stats().queuedActivations).toBe(2);
      event.start();
      await settle();
      expect(seen).toEqual([1, 2]);
      expect(manual.log).toEqual(['setup', 'start a']);
    });

    it('stop holds activations (never loses them) and start delivers them in order', async () => {
      const seen: unknown[] = [];
      const event = bind().call('listen', { key: 'a' }, (p) => void seen.push(p));
      manual.fire('a', 1);
      await settle();
      event.stop();
      expect(event.state).toBe('stopped');
      manual.fire('a', 2);
      manual.fire('a', 3);
      await settle();
      expect(seen).toEqual([1]);
      event.start();
      manual.fire('a', 4);
      await settle();
      expect(seen).toEqual([1, 2, 3, 4]);
      expect(manual.log).toEqual(['setup', 'start a', 'stop a', 'start a']);
    });

    it('shutdown releases the source, discards pending activations and is idempotent', async () => {
      const seen: unknown[] = [];
      const event = bind().call('listen', { key: 'a' }, (p) => void seen.push(p));
      manual.fire('a', 1);
      event.shutdown();
      event.shutdown();
      await settle();
      expect(seen).toEqual([]);
      expect(event.state).toBe('closed');
      expect(event.closeReason).toBe('shutdown');
      await expect(event.closed).resolves.toBe('shutdown');
      expect(manual.has('a')).toBe(false);
      expect(runtime.stats()).toEqual(
        expect.objectContaining({ liveEvents: 0, queuedActivations: 0, discarded: 1 }),
      );
      expect(() => event.start()).toThrow(EventClosedError);
    });

    it('a held activation of a stopped event that is shut down is uncounted', async () => {
      const event = bind().call('listen', { key: 'a' }, () => undefined);
      event.stop();
      manual.fire('a', 1);
      await settle();
      expect(runtime.stats().queuedActivations).toBe(1);
      event.shutdown();
      expect(runtime.stats().queuedActivations).toBe(0);
    });

    it('oneShot closes after the first delivered activation', async () => {
      const seen: unknown[] = [];
      const event = bind().call('listen', { key: 'a' }, (p) => void seen.push(p), {
        oneShot: true,
      });
      manual.fire('a', 1);
      manual.fire('a', 2);
      await settle();
      expect(seen).toEqual([1]);
      expect(event.closeReason).toBe('one-shot');
      expect(manual.has('a')).toBe(false);
    });

    it('ctx.end() closes with reason "ended" after everything queued before it ran', async () => {
      const seen: unknown[] = [];
      const event = bind().call('listen', { key: 'a' }, (p) => void seen.push(p));
      manual.fire('a', 1);
      manual.fire('a', 2);
      manual.end('a');
      expect(event.state).toBe('active');
      await settle();
      expect(seen).toEqual([1, 2]);
      expect(event.closeReason).toBe('ended');
    });

    it('ctx.end() waits for activations parked in another, busy domain', async () => {
      // Regression: end() used to queue a marker in the event's own domain, which overtook an
      // activation still parked in a busy call domain and discarded it.
      const call = runtime.createDomain('call');
      let release!: () => void;
      const seen: unknown[] = [];
      bind().call('listen', { key: 'blocker' }, () => new Promise<void>((r) => (release = r)), {
        domain: call,
      });
      const event = bind().call('listen', { key: 'a' }, (p) => void seen.push(p));
      manual.fire('blocker', 0);
      await settle();
      manual.fire('a', 'late', call);
      manual.end('a');
      await settle();
      expect(event.state).toBe('active');
      release();
      await settle();
      expect(seen).toEqual(['late']);
      expect(event.closeReason).toBe('ended');
    });

    it('ctx.end() with nothing pending closes at once', () => {
      const event = bind().call('listen', { key: 'a' }, () => undefined);
      manual.end('a');
      expect(event.closeReason).toBe('ended');
    });

    it('activate on a closed event returns false', async () => {
      const event = bind().call('listen', { key: 'a' }, () => undefined, { start: false });
      const source = manual.source('a');
      expect(source.activate(1)).toBe(true);
      event.shutdown();
      expect(source.activate(2)).toBe(false);
      // The activation queued before the shutdown is discarded when the dispatcher reaches it.
      await settle();
      expect(runtime.stats()).toEqual(
        expect.objectContaining({ queuedActivations: 0, discarded: 1, delivered: 0 }),
      );
    });

    it('validates priority', () => {
      expect(() => bind().call('listen', { key: 'a' }, () => undefined, { priority: 8 })).toThrow(
        InvalidArgumentError,
      );
      expect(runtime.stats().liveEvents).toBe(0);
      const event = bind().call('listen', { key: 'a' }, () => undefined, { priority: 0 });
      expect(() => (event.priority = -1)).toThrow(/integer from 0/);
      event.priority = 7;
      expect(event.priority).toBe(7);
    });
  });

  describe('delivered hook', () => {
    it('tells the source each activation once: delivered, or discarded after a shutdown', async () => {
      const credits: unknown[] = [];
      const discards: unknown[] = [];
      const order: string[] = [];
      let ctxRef!: CallContext<number>;
      const credited = defineService({
        name: 'credited',
        version: '1.0.0',
        calls: {
          feed: defineCall<void, number>((ctx) => {
            ctxRef = ctx;
            return {
              delivered: (p) => void (credits.push(p), order.push(`credit ${p}`)),
              discarded: (p) => void discards.push(p),
            };
          }),
        },
      });
      runtime.load(credited);
      const event = runtime
        .bind(credited)
        .call('feed', undefined, (p) => void order.push(`handle ${p}`));
      ctxRef.activate(1);
      ctxRef.activate(2);
      await settle();
      ctxRef.activate(3);
      event.stop();
      await settle();
      ctxRef.activate(4); // held while stopped
      event.shutdown();
      await settle();
      expect(credits).toEqual([1, 2]);
      expect(discards.sort()).toEqual([3, 4]);
      expect(order).toEqual(['credit 1', 'handle 1', 'credit 2', 'handle 2']);
    });
  });

  describe('keep-alive', () => {
    it('holds a backend reference only while a keepAlive event is active', () => {
      const keep = bind().call('listen', { key: 'a' }, () => undefined, { keepAlive: true });
      const plain = bind().call('listen', { key: 'b' }, () => undefined);
      expect(keep.flags).toEqual({ oneShot: false, keepAlive: true });
      expect(plain.flags.keepAlive).toBe(false);
      expect(runtime.backend.refs).toBe(1);
      keep.stop();
      expect(runtime.backend.refs).toBe(0);
      keep.start();
      expect(runtime.backend.refs).toBe(1);
      keep.shutdown();
      expect(runtime.backend.refs).toBe(0);
    });

    it('takes the call default from the service definition', () => {
      const tick = bind().call('tick', { key: 't' }, () => undefined);
      expect(tick.flags.keepAlive).toBe(true);
      expect(runtime.backend.refs).toBe(1);
      tick.shutdown();
      expect(runtime.backend.refs).toBe(0);
    });
  });
});
