import { existsSync } from 'node:fs';
import { BackendUnavailableError } from '../errors/backend-unavailable.error';
import { InvalidArgumentError } from '../errors/invalid-argument.error';
import type { Backend, BackendRequest, BackendSelection } from './backend';
import { UserspaceBackend } from './userspace-backend';

/** Path of the AEM kernel module's device. */
export const AEM_DEVICE_PATH = '/dev/aem';

/** Why the kmod backend cannot be used in this build, given what the machine offers. */
function kmodUnavailableReason(): string {
  const device = existsSync(AEM_DEVICE_PATH)
    ? `${AEM_DEVICE_PATH} exists, but`
    : `${AEM_DEVICE_PATH} does not exist (the aem_core kernel module is not loaded) and`;
  return `${device} this version of @aem/core does not include the native binding to it yet; use backend 'userspace' or 'auto'`;
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
    case 'auto':
      return {
        backend: new UserspaceBackend(),
        selection: {
          requested,
          kind: 'userspace',
          reason: `kmod not usable: ${kmodUnavailableReason()}`,
        },
      };
    case 'kmod':
      throw new BackendUnavailableError('kmod', kmodUnavailableReason());
    default:
      throw new InvalidArgumentError('options.backend', "'auto', 'userspace' or 'kmod'", requested);
  }
}
