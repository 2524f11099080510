import { existsSync } from 'node:fs';
import { BackendUnavailableError } from '../errors/backend-unavailable.error';
import { InvalidArgumentError } from '../errors/invalid-argument.error';
import type { Backend, BackendRequest, BackendSelection } from './backend';
import { KmodBackend, type KmodDeviceLike } from './kmod-backend';
import { UserspaceBackend } from './userspace-backend';

/** Path of the AEM kernel module's device. */
export const AEM_DEVICE_PATH = '/dev/aem';

/** The binding module's exports this file uses (`@aem/kmod/binding`). */
interface KmodBindingModule {
  KmodDevice: new (options?: { path?: string }) => KmodDeviceLike;
  FIELDS: number;
  RECORD_FIELD: {
    eventId: number;
    type: number;
    priority: number;
    userData: number;
    word0: number;
    word1: number;
    dataOffset?: number;
    dataLength?: number;
  };
  /** Native helpers next to the device (the kernel TCP service's socket calls). */
  sock?: unknown;
}

/**
 * Opens the kmod backend, or says why it cannot: not Linux, no `/dev/aem` (module not loaded),
 * the `@aem/kmod` package not installed, its native binding not loadable here (it ships prebuilt
 * for linux-x64 only; `aem-kmod build --binding` builds it for another platform), or the device
 * refusing to open (permissions, ABI mismatch, no `aem_timers` module).
 */
function openKmod(): { backend: KmodBackend } | { reason: string } {
  if (process.platform !== 'linux') {
    return {
      reason: `the kmod backend needs the AEM Linux kernel modules; this is ${process.platform}`,
    };
  }
  if (!existsSync(AEM_DEVICE_PATH)) {
    return {
      reason: `${AEM_DEVICE_PATH} does not exist (the aem_core kernel module is not loaded; see @aem/kmod)`,
    };
  }
  let binding: KmodBindingModule;
  try {
    // Optional peer: the binding ships with @aem/kmod, next to the kernel sources it matches.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require('@aem/kmod/binding') as KmodBindingModule;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'MODULE_NOT_FOUND' && message.includes("'@aem/kmod/binding'")) {
      return { reason: 'the @aem/kmod package is not installed (npm install @aem/kmod)' };
    }
    return { reason: `the @aem/kmod native binding cannot be loaded: ${message}` };
  }
  try {
    const device = new binding.KmodDevice({ path: AEM_DEVICE_PATH });
    const field = binding.RECORD_FIELD;
    const layout = {
      fields: binding.FIELDS,
      eventId: field.eventId,
      type: field.type,
      priority: field.priority,
      userData: field.userData,
      word0: field.word0,
      word1: field.word1,
      dataOffset: field.dataOffset ?? -1,
      dataLength: field.dataLength ?? -1,
    };
    // A binding without the data fields predates the TCP service: no socket helpers then.
    const natives =
      field.dataOffset === undefined || binding.sock === undefined ? {} : { sock: binding.sock };
    return { backend: new KmodBackend(device, layout, natives) };
  } catch (error) {
    return { reason: `${AEM_DEVICE_PATH} cannot be used: ${(error as Error).message}` };
  }
}

/**
 * Creates the backend a runtime asked for.
 *
 * @throws {@link BackendUnavailableError} for `'kmod'` when it cannot be used, saying why.
 * @throws {@link InvalidArgumentError} for an unknown backend name.
 * @internal
 */
export function selectBackend(requested: BackendRequest): {
  backend: Backend;
  selection: BackendSelection;
} {
  switch (requested) {
    case 'userspace':
      return {
        backend: new UserspaceBackend(),
        selection: { requested, kind: 'userspace', reason: 'requested' },
      };
    case 'auto': {
      const kmod = openKmod();
      if ('backend' in kmod) {
        return {
          backend: kmod.backend,
          selection: { requested, kind: 'kmod', reason: `${AEM_DEVICE_PATH} is usable` },
        };
      }
      return {
        backend: new UserspaceBackend(),
        selection: { requested, kind: 'userspace', reason: `kmod not usable: ${kmod.reason}` },
      };
    }
    case 'kmod': {
      const kmod = openKmod();
      if ('backend' in kmod)
        return {
          backend: kmod.backend,
          selection: { requested, kind: 'kmod', reason: 'requested' },
        };
      throw new BackendUnavailableError('kmod', kmod.reason);
    }
    default:
      throw new InvalidArgumentError('options.backend', "'auto', 'userspace' or 'kmod'", requested);
  }
}
