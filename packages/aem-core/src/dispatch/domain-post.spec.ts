import { createAem, type Aem, type AemRuntimeError } from '../aem';
import { InvalidArgumentError } from '../errors/invalid-argument.error';
import { JobFailedError } from '../errors/job-failed.error';
import { QueueFullError } from '../errors/queue-full.error';
import { manualService, settle } from '../testing/manual-service.spec-helper';

describe('Domain.post', () => {
  let runtime: Aem;
  let manual: ReturnType<typeof manualService>;
  let errors: AemRuntimeError[];

  beforeEach(() => {
    runtime = createAem({
      backend: 'userspace',
      limits: { maxQueuePerDomain: 4, maxQueuedActivations: 6 },
    });
    manual = manualService();
    runtime.load(manual.definition);
    errors = [];
    runtime.errors.subscribe((error) => errors.push(error));
  });
  afterEach(() => runtime.close());

  describe('ordering', () => {
    it('runs a job after what the domain already queued, and before what comes after it', async () => {
      const domain = runtime.createDomain('call-1');
      const order: string[] = [];
      runtime
        .bind<typeof manual.definition>('manual')
        .call('listen', { key: 'a' }, (p) => void order.push(`activation ${String(p)}`), {
          domain,
        });
      manual.fire('a', 1);
      expect(domain.post(() => void order.push('job'))).toBe(true);
      manual.fire('a', 2);
      expect(order).toEqual([]); // never run synchronously inside post
      await settle();
      expect(order).toEqual(['activation 1', 'job', 'activation 2']);
    });

    it('waits for an async job before the domain’s next activation, while other domains run', async () => {
      const domain = runtime.createDomain('call-1');
      const other = runtime.createDomain('call-2');
      const order: string[] = [];
      let release!: () => void;
      domain.post(async () => {
        order.push('job start');
        await new Promise<void>((resolve) => (release = resolve));
        order.push('job end');
      });
      runtime
        .bind<typeof manual.definition>('manual')
        .call('listen', { key: 'a' }, () => void order.push('call-1 activation'), { domain });
      manual.fire('a', 1);
      other.post(() => void order.push('call-2 job'));
      await settle();
      expect(order).toEqual(['job start', 'call-2 job']);
      expect(domain.busy).toBe(true);
      release();
      await settle();
      expect(order).toEqual(['job start', 'call-2 job', 'job end', 'call-1 activation']);
    });

    it('runs higher-priority jobs first, as activations', async () => {
      const domain = runtime.createDomain('d');
      const order: number[] = [];
      domain.post(() => void order.push(1), { priority: 1 });
      domain.post(() => void order.push(7), { priority: 7 });
      domain.post(() => void order.push(4));
      await settle();
      expect(order).toEqual([7, 4, 1]);
    });
  });

  describe('limits', () => {
    it('throws QueueFullError at the domain’s limit and queues nothing', async () => {
      const domain = runtime.createDomain('full');
      const ran: number[] = [];
      for (let i = 0; i < 4; i++) domain.post(() => void ran.push(i));
      expect(domain.queued).toBe(4);
      let refused: unknown;
      try {
        domain.post(() => void ran.push(99));
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(QueueFullError);
      expect(refused).toMatchObject({ scope: 'domain', limit: 4, eventId: 0, domain: 'full' });
      expect((refused as Error).message).toMatch(/^job refused: domain "full"/);
      await settle();
      expect(ran).toEqual([0, 1, 2, 3]);
      expect(domain.queued).toBe(0);
    });

    it('counts against the runtime’s limit with activations', () => {
      const a = runtime.createDomain('a');
      const b = runtime.createDomain('b');
      for (let i = 0; i < 3; i++) a.post(() => undefined);
      for (let i = 0; i < 3; i++) b.post(() => undefined);
      expect(runtime.stats().queuedActivations).toBe(6);
      expect(() => runtime.createDomain('c').post(() => undefined)).toThrow(
        expect.objectContaining({ scope: 'runtime', code: 'AEM_QUEUE_FULL' }),
      );
    });

    it('refuses a job that is not a function, and a bad priority', () => {
      const domain = runtime.createDomain('d');
      expect(() => domain.post(42 as never)).toThrow(InvalidArgumentError);
      expect(() => domain.post(() => undefined, { priority: 8 })).toThrow(/0 \(lowest\) to 7/);
      expect(domain.queued).toBe(0);
    });
  });

  describe('errors', () => {
    it('reports a throwing or rejecting job as JobFailedError and runs the domain’s next work', async () => {
      const domain = runtime.createDomain('call-9');
      const ran: string[] = [];
      domain.post(() => {
        throw new Error('boom');
      });
      domain.post(() => Promise.reject(new Error('async boom')));
      domain.post(() => void ran.push('next'));
      await settle();
      expect(ran).toEqual(['next']);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toBeInstanceOf(JobFailedError);
      expect(errors[0]).toMatchObject({ code: 'AEM_JOB_FAILED', domain: 'call-9' });
      expect(errors[1].message).toBe('job posted to domain "call-9" failed: async boom');
      expect(runtime.stats().errors).toBe(2);
    });
  });

  describe('shutdown', () => {
    it('discards the jobs still queued when the runtime closes, and refuses new ones with false', async () => {
      const domain = runtime.createDomain('d');
      const ran: string[] = [];
      domain.post(() => void ran.push('queued'));
      runtime.close();
      await settle();
      expect(ran).toEqual([]);
      expect(runtime.stats()).toMatchObject({ queuedActivations: 0, discarded: 1 });
      expect(domain.post(() => void ran.push('late'))).toBe(false);
      await settle();
      expect(ran).toEqual([]);
    });
  });
});
