import type { AemApp } from '@aem/app-kit';
import type { Timers } from '@aem/timers';
import type { SipState } from './state/sip-state';

/**
 * Prints one status line every `intervalMs` on stdout: answered calls per second over the last
 * period, live calls (dialogs and INVITE transactions), registrar bindings, open connections and
 * the handler version serving new connections. Runs on the timers service; never keeps the
 * process alive by itself.
 *
 * @param app - the running application.
 * @param timers - the application's timers.
 * @param state - the SIP state.
 * @param intervalMs - the period.
 */
export function startStatusLine(
  app: AemApp,
  timers: Timers,
  state: SipState,
  intervalMs: number,
): void {
  let lastAnswered = state.counters.answered;
  timers.every(
    intervalMs,
    () => {
      const { answered, malformed, closedForMalformed, overloaded } = state.counters;
      const cps = ((answered - lastAnswered) * 1000) / intervalMs;
      lastAnswered = answered;
      const connections = app.tcpServer?.stats().connections ?? 0;
      process.stdout.write(
        `[sip-uas] ${cps.toFixed(0)} calls/s, ${state.calls.size} active dialogs, ` +
          `${state.bindings} registrations, ${connections} connections, handlers ${app.version}` +
          (malformed + closedForMalformed + overloaded > 0
            ? `, refused ${malformed} malformed / ${closedForMalformed} closed / ${overloaded} overloaded`
            : '') +
          '\n',
      );
    },
    { keepAlive: false },
  );
}
