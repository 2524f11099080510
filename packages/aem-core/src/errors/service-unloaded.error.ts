import { AemError } from './aem.error';

/**
 * Raised by a call on a binding whose service version is unloaded, or is draining towards
 * unload (`unload(…, { drain: true })`): it accepts no new events. Bind again to reach the
 * version now loaded.
 */
export class ServiceUnloadedError extends AemError {
  /** @inheritDoc */
  readonly code = 'AEM_SERVICE_UNLOADED';

  /**
   * @param service - `name@version`.
   * @param state - `'draining'` or `'unloaded'`.
   */
  constructor(
    readonly service: string,
    readonly state: 'draining' | 'unloaded',
  ) {
    super(
      state === 'draining'
        ? `${service} is draining towards unload and accepts no new events; bind again`
        : `${service} is unloaded; bind again`,
    );
  }
}
