import { defineHandlerModule } from '@aem/app-kit';
import { SipHandler, type SipSession } from './handlers/sip.handler';

/**
 * The handler version. A hot upgrade (SIGHUP) reloads this file from disk and starts the new
 * version beside the running one; it must differ from every version already loaded.
 */
export const HANDLERS_VERSION = '1.0.0';

/**
 * The SIP server's handler module: what a hot upgrade replaces. Live connections move to the
 * new version between two of their messages (`migrateState`): the session state is only the
 * set of the connection's calls, which both versions share through the SIP state.
 */
export default defineHandlerModule<SipSession>({
  version: HANDLERS_VERSION,
  handlers: [SipHandler],
  initialState: () => ({ calls: new Set() }),
  migrateState: (state) => state as SipSession,
});
