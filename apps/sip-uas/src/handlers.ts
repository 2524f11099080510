import { defineHandlerModule } from '@aem/app-kit';
import { SipUasHandler } from './sip-uas.handler';
// aem:handler-imports — `nx g @aem/app-kit:handler` adds imports above this line.

/** The application's handler module: what a hot upgrade replaces. */
export default defineHandlerModule({
  version: '0.0.0',
  handlers: [
    SipUasHandler,
    // aem:handlers — `nx g @aem/app-kit:handler` adds classes above this line.
  ],
  initialState: () => ({ lines: 0 }),
});
