import type { AemApp } from '@aem/app-kit';
import type { Timers } from '@aem/timers';
import type { SipState } from './state/sip-state';

/**
 * Prints one status line every `intervalMs` on stdout: answered calls per second over the last
 * period (split by transport), live calls (dialogs and INVITE transactions), registrar
 * bindings, open TCP connections, the handler version serving new work; then, when there were
 * any, the retransmissions over UDP (sent, absorbed), what was refused, and the datagrams the
 * UDP socket itself dropped (its queues full, sends failed, the kernel's receive buffer full).
 * Runs on the timers service; never keeps the process alive by itself.
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
  let lastUdp = state.counters.answeredUdp;
  timers.every(
    intervalMs,
    () => {
      const c = state.counters;
      const perSecond = (count: number): string => ((count * 1000) / intervalMs).toFixed(0);
      const answeredUdp = c.answeredUdp - lastUdp;
      const all = c.answered - lastAnswered;
      lastAnswered = c.answered;
      lastUdp = c.answeredUdp;
      const connections = app.tcpServer?.stats().connections ?? 0;
      const refused = c.malformed + c.closedForMalformed + c.datagramsDropped + c.overloaded;
      const udp = app.udpSocket?.stats;
      const socketDrops =
        udp === undefined
          ? 0
          : udp.droppedQueueFull + udp.droppedSendQueueFull + udp.sendErrors + udp.kernelDrops;
      process.stdout.write(
        `[sip-uas] ${perSecond(all)} calls/s (udp ${perSecond(answeredUdp)}, tcp ${perSecond(all - answeredUdp)}), ` +
          `${state.calls.size} active dialogs, ${state.bindings} registrations, ` +
          `${connections} connections, handlers ${app.version}` +
          (c.retransmissionsSent + c.retransmissionsAbsorbed > 0
            ? `, retransmissions ${c.retransmissionsSent} sent / ${c.retransmissionsAbsorbed} absorbed`
            : '') +
          (refused > 0
            ? `, refused ${c.malformed} malformed / ${c.closedForMalformed} closed / ` +
              `${c.datagramsDropped} dropped / ${c.overloaded} overloaded`
            : '') +
          (c.storeUnavailable > 0 ? `, store unavailable ${c.storeUnavailable}` : '') +
          (udp !== undefined && socketDrops > 0
            ? `, udp socket lost ${udp.droppedQueueFull} queue full / ` +
              `${udp.droppedSendQueueFull + udp.sendErrors} send / ${udp.kernelDrops} kernel`
            : '') +
          '\n',
      );
    },
    { keepAlive: false },
  );
}
