import { defineHandlerModule } from '@aem/app-kit';
import { SipHandler } from './handlers/sip.handler';
import type { SipSession } from './handlers/sip-session';

/**
 * The handler version. A hot upgrade (SIGHUP) reloads this file from disk and starts the new
 * version beside the running one; it must differ from every version already loaded.
 */
export const HANDLERS_VERSION = '1.0.0';

/**
 * The SIP server's handler module: what a hot upgrade replaces. Datagrams go to the new
 * version from the next one on; live TCP connections move to it between two of their messages
 * (`migrateState`): the session state is only the connection's calls and its channel, which
 * both versions read the same way.
 */
export default defineHandlerModule<SipSession>({
  version: HANDLERS_VERSION,
  handlers: [SipHandler],
  initialState: () => ({ calls: new Set() }),
  migrateState: (state) => state as SipSession,
});
