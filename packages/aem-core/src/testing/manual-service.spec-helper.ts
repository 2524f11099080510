// A service whose activations the test fires by hand: the smallest real source, so the core's
// specs exercise the real registry, events and dispatcher with nothing mocked.
import type { Domain } from '../dispatch/domain';
import type { CallContext } from '../event/call-context';
import { defineService } from '../service/define-service';
import { defineCall } from '../service/service-definition';

export interface ManualArgs {
  readonly key: string;
}

export function manualService(name = 'manual', version = '1.0.0') {
  const sources = new Map<string, CallContext<unknown>>();
  const log: string[] = [];
  const definition = defineService({
    name,
    version,
    setup: () => {
      log.push('setup');
      return { version };
    },
    teardown: () => log.push('teardown'),
    calls: {
      listen: defineCall<ManualArgs, unknown, { version: string }>((ctx, args) => {
        if (typeof args?.key !== 'string') throw new TypeError('args.key must be a string');
        sources.set(args.key, ctx);
        return {
          start: () => log.push(`start ${args.key}`),
          stop: () => log.push(`stop ${args.key}`),
          close: () => {
            log.push(`close ${args.key}`);
            sources.delete(args.key);
          },
        };
      }),
      tick: defineCall<ManualArgs, number>(
        (ctx, args) => {
          sources.set(args.key, ctx as CallContext<unknown>);
          return { close: () => sources.delete(args.key) };
        },
        { defaults: { keepAlive: true } },
      ),
    },
  });
  const source = (key: string): CallContext<unknown> => {
    const ctx = sources.get(key);
    if (ctx === undefined) throw new Error(`no live source ${key}`);
    return ctx;
  };
  return {
    definition,
    log,
    has: (key: string) => sources.has(key),
    source,
    fire: (key: string, payload: unknown, domain?: Domain) => source(key).activate(payload, domain),
    end: (key: string) => source(key).end(),
    fail: (key: string, error: unknown) => source(key).fail(error),
  };
}

/** Resolves after the dispatcher's microtasks and `setImmediate` continuations have run. */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
