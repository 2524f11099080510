import { createAem, type Aem } from '../aem';
import { HandlerFailedError } from '../errors/handler-failed.error';
import { QueueFullError } from '../errors/queue-full.error';
import type { AemRuntimeError } from '../aem';
import { manualService, settle } from '../testing/manual-service.spec-helper';

/** A promise the test resolves by hand, to hold an async handler open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('Dispatcher', () => {
  let runtime: Aem;
  let manual: ReturnType<typeof manualService>;
  let errors: AemRuntimeError[];
  const bind = () => runtime.bind<typeof manual.definition>('manual');

  beforeEach(() => {
    runtime = createAem({
      backend: 'userspace',
      limits: { maxQueuePerDomain: 50, maxQueuedActivations: 80 },
    });
    manual = manualService();
    runtime.load(manual.definition);
    errors = [];
    runtime.errors.subscribe((error) => errors.push(error));
  });
  afterEach(() => runtime.close());

  describe('ordering', () => {
    it('runs higher priority first, then arrival order', async () => {
      const order: string[] = [];
      bind().call('listen', { key: 'low' }, (p) => void order.push(`low${p}`), { priority: 1 });
      bind().call('listen', { key: 'high' }, (p) => void order.push(`high${p}`), { priority: 6 });
      bind().call('listen', { key: 'mid' }, (p) => void order.push(`mid${p}`));
      manual.fire('low', 1);
      manual.fire('mid', 1);
      manual.fire('high', 1);
      manual.fire('low', 2);
      manual.fire('high', 2);
      await settle();
      expect(order).toEqual(['high1', 'high2', 'mid1', 'low1', 'low2']);
    });

    it('picks up a higher-priority activation queued by a running handler before older lower ones', async () => {
      const order: string[] = [];
      bind().call('listen', { key: 'urgent' }, () => void order.push('urgent'), { priority: 7 });
      bind().call(
        'listen',
        { key: 'bulk' },
        (p) => {
          order.push(`bulk${p}`);
          if (p === 1) manual.fire('urgent', 0);
        },
        { priority: 2 },
      );
      for (let i = 1; i <= 3; i++) manual.fire('bulk', i);
      await settle();
      expect(order).toEqual(['bulk1', 'urgent', 'bulk2', 'bulk3']);
    });

    it('yields to I/O after batchSize activations and still runs everything', async () => {
      const small = createAem({ limits: { batchSize: 4 } });
      const source = manualService();
      small.load(source.definition);
      let count = 0;
      small.bind('manual').call('listen', { key: 'a' }, () => void count++);
      for (let i = 0; i < 10; i++) source.fire('a', i);
      await Promise.resolve();
      await Promise.resolve();
      expect(count).toBe(4);
      await settle(5);
      expect(count).toBe(10);
      small.close();
    });
  });

  describe('domains', () => {
    it('serializes async handlers of one domain and interleaves other domains', async () => {
      const trace: string[] = [];
      const call = runtime.createDomain('call-1');
      const gates = [gate(), gate()];
      let n = 0;
      const handler = async (p: unknown) => {
        const mine = n++;
        trace.push(`start ${String(p)}`);
        if (mine < 2) await gates[mine].promise;
        trace.push(`end ${String(p)}`);
      };
      bind().call('listen', { key: 'a' }, handler, { domain: call });
      bind().call('listen', { key: 'b' }, handler, { domain: call });
      bind().call('listen', { key: 'other' }, (p) => void trace.push(`other ${String(p)}`));
      manual.fire('a', 'a1');
      manual.fire('b', 'b1');
      manual.fire('other', 'o1');
      manual.fire('a', 'a2');
      await settle();
      expect(trace).toEqual(['start a1', 'other o1']);
      expect(call.busy).toBe(true);
      expect(call.queued).toBe(2);
      gates[0].open();
      await settle();
      expect(trace).toEqual(['start a1', 'other o1', 'end a1', 'start b1']);
      gates[1].open();
      await settle();
      expect(trace).toEqual([
        'start a1',
        'other o1',
        'end a1',
        'start b1',
        'end b1',
        'start a2',
        'end a2',
      ]);
      expect(call.busy).toBe(false);
      expect(call.queued).toBe(0);
    });

    it('an event is its own domain: its async activations never overlap', async () => {
      let inFlight = 0;
      let maxInFlight = 0;
      bind().call('listen', { key: 'a' }, async () => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await settle(1);
        inFlight--;
      });
      for (let i = 0; i < 5; i++) manual.fire('a', i);
      await settle(20);
      expect(maxInFlight).toBe(1);
    });

    it('an activation can run in a domain other than its event’s', async () => {
      const trace: string[] = [];
      const conn = runtime.createDomain('conn-7');
      const g = gate();
      bind().call(
        'listen',
        { key: 'data' },
        async () => {
          trace.push('data start');
          await g.promise;
          trace.push('data end');
        },
        { domain: conn },
      );
      bind().call('listen', { key: 'accept' }, (p) => void trace.push(`accept ${String(p)}`));
      manual.fire('data', 1);
      manual.fire('accept', 'in-conn', conn);
      manual.fire('accept', 'free');
      await settle();
      expect(trace).toEqual(['data start', 'accept free']);
      g.open();
      await settle();
      expect(trace).toEqual(['data start', 'accept free', 'data end', 'accept in-conn']);
    });
  });

  describe('errors', () => {
    it('reports a throwing handler with event, service and domain, and keeps the event alive', async () => {
      const seen: unknown[] = [];
      const event = bind().call('listen', { key: 'a' }, (p) => {
        if (p === 'bad') throw new Error('boom');
        seen.push(p);
      });
      manual.fire('a', 'bad');
      manual.fire('a', 'good');
      await settle();
      expect(seen).toEqual(['good']);
      expect(errors).toHaveLength(1);
      const error = errors[0] as HandlerFailedError;
      expect(error).toBeInstanceOf(HandlerFailedError);
      expect(error).toMatchObject({
        code: 'AEM_HANDLER_FAILED',
        eventId: event.id,
        service: 'manual@1.0.0',
        call: 'listen',
        domain: `event:${event.id}`,
      });
      expect((error.cause as Error).message).toBe('boom');
      expect(event.state).toBe('active');
    });

    it('reports a rejected async handler and frees its domain', async () => {
      const d = runtime.createDomain('d');
      const seen: unknown[] = [];
      bind().call(
        'listen',
        { key: 'a' },
        async (p) => {
          await Promise.resolve();
          if (p === 1) throw new Error('async boom');
          seen.push(p);
        },
        { domain: d },
      );
      manual.fire('a', 1);
      manual.fire('a', 2);
      await settle();
      expect(seen).toEqual([2]);
      expect(errors.map((e) => e.message)).toEqual([
        expect.stringContaining('domain "d") failed: async boom'),
      ]);
    });

    it('shuts the event down when its policy says so', async () => {
      const event = bind().call(
        'listen',
        { key: 'a' },
        () => {
          throw new Error('fatal');
        },
        { onError: 'shutdown' },
      );
      manual.fire('a', 1);
      manual.fire('a', 2);
      await settle();
      expect(event.closeReason).toBe('handler-failed');
      expect(errors).toHaveLength(1);
    });

    it('reports callback-form source failures', async () => {
      const event = bind().call('listen', { key: 'a' }, () => undefined);
      manual.fail('a', new Error('socket reset'));
      expect(event.closeReason).toBe('source-failed');
      expect(errors[0]).toMatchObject({ code: 'AEM_SOURCE_FAILED', eventId: event.id });
    });

    it('without error subscribers emits a process warning instead of throwing', async () => {
      const quiet = createAem();
      const source = manualService();
      quiet.load(source.definition);
      const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      quiet.bind('manual').call('listen', { key: 'a' }, () => {
        throw new Error('unobserved');
      });
      source.fire('a', 1);
      await settle();
      expect(emitWarning).toHaveBeenCalledWith(expect.stringContaining('unobserved'), {
        type: 'AemWarning',
        code: 'AEM_HANDLER_FAILED',
      });
      emitWarning.mockRestore();
      expect(quiet.stats().errors).toBe(1);
      quiet.close();
    });
  });

  describe('limits', () => {
    it('refuses an activation over the domain limit with a typed error, losing nothing queued', async () => {
      let count = 0;
      bind().call('listen', { key: 'a' }, () => void count++);
      for (let i = 0; i < 50; i++) manual.fire('a', i);
      expect(() => manual.fire('a', 50)).toThrow(QueueFullError);
      try {
        manual.fire('a', 51);
      } catch (error) {
        expect(error).toMatchObject({ code: 'AEM_QUEUE_FULL', scope: 'domain', limit: 50 });
      }
      await settle();
      expect(count).toBe(50);
      expect(() => manual.fire('a', 52)).not.toThrow();
    });

    it('refuses an activation over the runtime limit', () => {
      bind().call('listen', { key: 'a' }, () => undefined);
      bind().call('listen', { key: 'b' }, () => undefined);
      for (let i = 0; i < 40; i++) manual.fire('a', i);
      for (let i = 0; i < 40; i++) manual.fire('b', i);
      expect(() => manual.fire('b', 'x')).toThrow(
        expect.objectContaining({ scope: 'runtime', limit: 80 }),
      );
    });

    it('a domain can have its own limit', () => {
      const d = runtime.createDomain('tiny', { maxQueue: 2 });
      bind().call('listen', { key: 'a' }, () => undefined, { domain: d });
      manual.fire('a', 1);
      manual.fire('a', 2);
      expect(() => manual.fire('a', 3)).toThrow('domain "tiny" already has 2 queued activation(s)');
      expect(() => runtime.createDomain('x', { maxQueue: 0 })).toThrow(/positive integer/);
    });

    it('refuses events over maxEvents', () => {
      const small = createAem({ limits: { maxEvents: 2 } });
      small.load(manualService().definition);
      const b = small.bind('manual');
      b.call('listen', { key: 'a' }, () => undefined);
      const second = b.call('listen', { key: 'b' }, () => undefined);
      expect(() => b.call('listen', { key: 'c' }, () => undefined)).toThrow(
        expect.objectContaining({ code: 'AEM_EVENT_LIMIT' }),
      );
      second.shutdown();
      expect(() => b.call('listen', { key: 'c' }, () => undefined)).not.toThrow();
      small.close();
    });
  });
});
