import { firstValueFrom } from 'rxjs';
import { createAem, type Aem } from './aem';
import { BackendUnavailableError } from './errors/backend-unavailable.error';
import { InvalidArgumentError } from './errors/invalid-argument.error';
import { RuntimeClosedError } from './errors/runtime-closed.error';
import { ServiceAlreadyLoadedError } from './errors/service-already-loaded.error';
import { ServiceBusyError } from './errors/service-busy.error';
import { ServiceNotFoundError } from './errors/service-not-found.error';
import { ServiceUnloadedError } from './errors/service-unloaded.error';
import { defineService } from './service/define-service';
import { defineCall } from './service/service-definition';
import { manualService, settle } from './testing/manual-service.spec-helper';

describe('Aem', () => {
  let runtime: Aem;
  beforeEach(() => {
    runtime = createAem({ backend: 'userspace' });
  });
  afterEach(() => runtime.close());

  describe('backend selection', () => {
    it('picks userspace for auto and says why kmod was not used', () => {
      const auto = createAem();
      expect(auto.backendSelection).toEqual(
        expect.objectContaining({
          requested: 'auto',
          kind: 'userspace',
          reason: expect.stringContaining('/dev/aem'),
        }),
      );
      expect(auto.backend.kind).toBe('userspace');
      auto.close();
    });

    it('refuses kmod with a typed error that says why', () => {
      expect(() => createAem({ backend: 'kmod' })).toThrow(BackendUnavailableError);
      try {
        createAem({ backend: 'kmod' });
      } catch (error) {
        expect((error as BackendUnavailableError).code).toBe('AEM_BACKEND_UNAVAILABLE');
        expect((error as Error).message).toMatch(
          /\/dev\/aem does not exist \(the aem_core kernel module is not loaded/,
        );
      }
    });

    it('says kmod needs Linux before looking for the device elsewhere', () => {
      const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
      Object.defineProperty(process, 'platform', { value: 'darwin' });
      try {
        expect(() => createAem({ backend: 'kmod' })).toThrow(
          /needs the AEM Linux kernel modules; this is darwin/,
        );
      } finally {
        Object.defineProperty(process, 'platform', platform);
      }
    });

    it('rejects an unknown backend name', () => {
      expect(() => createAem({ backend: 'bogus' as never })).toThrow(InvalidArgumentError);
    });
  });

  describe('limits', () => {
    it('validates overrides', () => {
      expect(() => createAem({ limits: { maxEvents: 0 } })).toThrow(/positive integer/);
      expect(() => createAem({ limits: { maxEvents: 1.5 } })).toThrow(InvalidArgumentError);
      expect(() => createAem({ limits: { nope: 1 } as never })).toThrow(/options.limits.nope/);
      const custom = createAem({ limits: { maxEvents: 7 } });
      expect(custom.limits.maxEvents).toBe(7);
      expect(custom.limits.maxQueuePerDomain).toBe(10_000);
      custom.close();
    });
  });

  describe('service registry', () => {
    it('loads two versions side by side and binds the newest that satisfies a range', () => {
      const v1 = manualService('chan', '1.4.0');
      const v2 = manualService('chan', '2.1.0');
      runtime.load(v1.definition);
      runtime.load(v2.definition);
      expect(runtime.bind('chan', '^1').version).toBe('1.4.0');
      expect(runtime.bind('chan', '>=1').version).toBe('2.1.0');
      expect(runtime.bind('chan').version).toBe('2.1.0');
      expect(runtime.bind(v1.definition).version).toBe('1.4.0');
      expect(runtime.services().map((s) => `${s.name}@${s.version}`)).toEqual([
        'chan@2.1.0',
        'chan@1.4.0',
      ]);
      expect(v1.log).toEqual(['setup']);
    });

    it('keeps a binding on its version when a newer one is loaded', async () => {
      const v1 = manualService('chan', '1.0.0');
      const v2 = manualService('chan', '1.1.0');
      runtime.load(v1.definition);
      const old = runtime.bind<typeof v1.definition>('chan', '^1');
      runtime.load(v2.definition);
      const seen: string[] = [];
      old.call('listen', { key: 'a' }, (p) => void seen.push(`old:${String(p)}`));
      runtime
        .bind<typeof v2.definition>('chan', '^1')
        .call('listen', { key: 'b' }, (p) => void seen.push(`new:${String(p)}`));
      expect(v1.has('a') && !v1.has('b') && v2.has('b') && !v2.has('a')).toBe(true);
      v1.fire('a', 1);
      v2.fire('b', 2);
      await settle();
      expect(seen).toEqual(['old:1', 'new:2']);
    });

    it('reports what is loaded when a range matches nothing', () => {
      runtime.load(manualService('chan', '1.0.0').definition);
      expect(() => runtime.bind('chan', '^3')).toThrow(ServiceNotFoundError);
      expect(() => runtime.bind('chan', '^3')).toThrow(
        'no loaded version of service "chan" satisfies "^3" (loaded: 1.0.0)',
      );
      expect(() => runtime.bind('other')).toThrow('service "other" is not loaded');
      expect(() => runtime.bind('chan', 'not a range!')).toThrow(InvalidArgumentError);
    });

    it('refuses to load the same version twice', () => {
      runtime.load(manualService('chan', '1.0.0').definition);
      expect(() => runtime.load(manualService('chan', '1.0.0').definition)).toThrow(
        ServiceAlreadyLoadedError,
      );
    });

    it('refuses to unload a version with live events, and says how many', async () => {
      const v1 = manualService('chan', '1.0.0');
      runtime.load(v1.definition);
      const event = runtime.bind('chan').call('listen', { key: 'a' }, () => undefined);
      await expect(runtime.unload('chan', '1.0.0')).rejects.toThrow(ServiceBusyError);
      await expect(runtime.unload('chan', '1.0.0')).rejects.toMatchObject({
        code: 'AEM_SERVICE_BUSY',
        liveEvents: 1,
      });
      expect(runtime.services()).toHaveLength(1);
      event.shutdown();
      await runtime.unload('chan', '1.0.0');
      expect(runtime.services()).toHaveLength(0);
      expect(v1.log).toEqual(['setup', 'start a', 'close a', 'teardown']);
    });

    it('drains: waits for live events, refuses new ones meanwhile, then unloads', async () => {
      const v1 = manualService('chan', '1.0.0');
      runtime.load(v1.definition);
      const binding = runtime.bind<typeof v1.definition>('chan');
      const event = binding.call('listen', { key: 'a' }, () => undefined);
      let unloaded = false;
      const done = runtime.unload('chan', '1.0.0', { drain: true }).then(() => (unloaded = true));
      await settle();
      expect(unloaded).toBe(false);
      expect(runtime.services()[0].status).toBe('draining');
      expect(() => runtime.bind('chan')).toThrow(ServiceNotFoundError);
      expect(() => binding.call('listen', { key: 'b' }, () => undefined)).toThrow(
        ServiceUnloadedError,
      );
      event.shutdown();
      await done;
      expect(unloaded).toBe(true);
      expect(v1.log.at(-1)).toBe('teardown');
    });

    it('force-unloads by closing live events with reason "unloaded"', async () => {
      const v1 = manualService('chan', '1.0.0');
      runtime.load(v1.definition);
      const event = runtime.bind('chan').call('listen', { key: 'a' }, () => undefined);
      await runtime.unload('chan', '1.0.0', { force: true });
      expect(event.state).toBe('closed');
      expect(event.closeReason).toBe('unloaded');
    });

    it('validates definitions', () => {
      const calls = { c: defineCall<void, void>(() => undefined) };
      expect(() => defineService({ name: 'Bad Name', version: '1.0.0', calls })).toThrow(
        InvalidArgumentError,
      );
      expect(() => defineService({ name: 'ok', version: '1.0', calls })).toThrow(/exact semver/);
      expect(() => defineService({ name: 'ok', version: '1.0.0', calls: {} })).toThrow(
        /at least one call/,
      );
      expect(() =>
        defineService({ name: 'ok', version: '1.0.0', calls: { c: {} as never } }),
      ).toThrow(/defineCall/);
    });

    it('rejects unknown calls and non-function handlers', () => {
      runtime.load(manualService().definition);
      const binding = runtime.bind('manual');
      expect(() => binding.call('nope' as never, {} as never, () => undefined)).toThrow(
        /one of listen, tick/,
      );
      expect(() => binding.call('listen', { key: 'a' }, 42 as never)).toThrow(
        /handler must be a function/,
      );
      expect(runtime.stats().liveEvents).toBe(0);
    });

    it('propagates an implementation error for bad arguments and keeps no event', () => {
      runtime.load(manualService().definition);
      expect(() => runtime.bind('manual').call('listen', {} as never, () => undefined)).toThrow(
        TypeError,
      );
      expect(runtime.stats().liveEvents).toBe(0);
    });
  });

  describe('close', () => {
    it('shuts everything down, tears services down, completes the error stream', async () => {
      const v1 = manualService();
      runtime.load(v1.definition);
      const event = runtime.bind('manual').call('listen', { key: 'a' }, () => undefined);
      const errorsDone = firstValueFrom(runtime.errors, { defaultValue: 'completed' });
      runtime.close();
      expect(event.closeReason).toBe('unloaded');
      expect(v1.log).toEqual(['setup', 'start a', 'close a', 'teardown']);
      await expect(errorsDone).resolves.toBe('completed');
      expect(() => runtime.bind('manual')).toThrow(RuntimeClosedError);
      expect(runtime.closed).toBe(true);
    });

    it('refuses a registration through a binding kept from before with RuntimeClosedError', () => {
      // Regression: it said "manual@1.0.0 is unloaded; bind again", which cannot help.
      const v1 = manualService();
      runtime.load(v1.definition);
      const binding = runtime.bind('manual');
      runtime.close();
      expect(() => binding.call('listen', { key: 'a' }, () => undefined)).toThrow(
        new RuntimeClosedError('register an event of manual@1.0.0'),
      );
    });
  });
});
