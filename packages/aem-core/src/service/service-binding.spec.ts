import { firstValueFrom, take, toArray } from 'rxjs';
import { createAem, type Aem } from '../aem';
import { AbortedError } from '../errors/aborted.error';
import { EventClosedError } from '../errors/event-closed.error';
import { SourceFailedError } from '../errors/source-failed.error';
import { manualService, settle } from '../testing/manual-service.spec-helper';

describe('ServiceBinding forms', () => {
  let runtime: Aem;
  let manual: ReturnType<typeof manualService>;
  const bind = () => runtime.bind<typeof manual.definition>('manual');

  beforeEach(() => {
    runtime = createAem({ backend: 'userspace' });
    manual = manualService();
    runtime.load(manual.definition);
  });
  afterEach(() => runtime.close());

  describe('observe', () => {
    it('is cold: subscribing registers and starts, unsubscribing shuts down', async () => {
      const stream = bind().observe('listen', { key: 'a' });
      expect(manual.has('a')).toBe(false);
      const values: unknown[] = [];
      const subscription = stream.subscribe((v) => values.push(v));
      expect(manual.log).toEqual(['setup', 'start a']);
      manual.fire('a', 1);
      manual.fire('a', 2);
      await settle();
      expect(values).toEqual([1, 2]);
      subscription.unsubscribe();
      expect(manual.has('a')).toBe(false);
      expect(runtime.stats().liveEvents).toBe(0);
    });

    it('take(n) shuts the event down after n values', async () => {
      const values = firstValueFrom(
        bind().observe('listen', { key: 'a' }).pipe(take(2), toArray()),
      );
      for (let i = 0; i < 5; i++) manual.fire('a', i);
      await expect(values).resolves.toEqual([0, 1]);
      expect(manual.has('a')).toBe(false);
    });

    it('completes when the source ends, after the queued values', async () => {
      const values = firstValueFrom(bind().observe('listen', { key: 'a' }).pipe(toArray()));
      manual.fire('a', 'x');
      manual.end('a');
      await expect(values).resolves.toEqual(['x']);
    });

    it('errors with SourceFailedError when the source fails', async () => {
      const values = firstValueFrom(bind().observe('listen', { key: 'a' }));
      manual.fail('a', new Error('reset by peer'));
      await expect(values).rejects.toBeInstanceOf(SourceFailedError);
      await expect(values).rejects.toThrow('reset by peer');
    });

    it('errors the subscriber when registration is refused', async () => {
      await expect(firstValueFrom(bind().observe('listen', {} as never))).rejects.toThrow(
        TypeError,
      );
    });

    it('completes when the runtime closes', async () => {
      const done = firstValueFrom(bind().observe('listen', { key: 'a' }).pipe(toArray()));
      runtime.close();
      await expect(done).resolves.toEqual([]);
    });
  });

  describe('once', () => {
    it('resolves with the first activation and closes the event', async () => {
      const first = bind().once('listen', { key: 'a' });
      manual.fire('a', 'hello');
      manual.fire('a', 'ignored');
      await expect(first).resolves.toBe('hello');
      expect(manual.has('a')).toBe(false);
      await settle();
      expect(runtime.stats()).toEqual(
        expect.objectContaining({ liveEvents: 0, queuedActivations: 0 }),
      );
    });

    it('rejects with AbortedError (name AbortError) and shuts the event down when aborted', async () => {
      const controller = new AbortController();
      const pending = bind().once('listen', { key: 'a' }, { signal: controller.signal });
      expect(manual.has('a')).toBe(true);
      controller.abort(new Error('caller gave up'));
      await expect(pending).rejects.toBeInstanceOf(AbortedError);
      await expect(pending).rejects.toMatchObject({
        name: 'AbortError',
        code: 'AEM_ABORTED',
        cause: new Error('caller gave up'),
      });
      expect(manual.has('a')).toBe(false);
    });

    it('rejects at once without registering when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(
        bind().once('listen', { key: 'a' }, { signal: controller.signal }),
      ).rejects.toThrow('aborted before registration');
      expect(manual.log).toEqual(['setup']);
    });

    it('an abort after resolution changes nothing', async () => {
      const controller = new AbortController();
      const first = bind().once('listen', { key: 'a' }, { signal: controller.signal });
      manual.fire('a', 1);
      await expect(first).resolves.toBe(1);
      controller.abort();
      expect(runtime.stats().liveEvents).toBe(0);
    });

    it('rejects with EventClosedError when the source ends without an activation', async () => {
      const first = bind().once('listen', { key: 'a' });
      manual.end('a');
      await expect(first).rejects.toBeInstanceOf(EventClosedError);
    });

    it('rejects with SourceFailedError when the source fails', async () => {
      const first = bind().once('listen', { key: 'a' });
      manual.fail('a', 'ENOENT');
      await expect(first).rejects.toMatchObject({ code: 'AEM_SOURCE_FAILED' });
    });
  });
});
