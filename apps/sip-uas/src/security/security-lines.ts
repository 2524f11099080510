import type { SipUasConfig } from '../config';

/**
 * The security part of the listening line — TLS, digest authentication, flood protection — as
 * `config` says, one indented line each. The single process and the cluster primary print the
 * same lines (the primary never opens the security itself: each worker does, from the same
 * configuration), so an operator reads the same start-up whatever `SIP_WORKERS` is.
 *
 * @param config - the configuration the server (or each worker) runs with.
 * @param tlsPort - the TLS port actually served (the one picked when `SIP_TLS_PORT=0`).
 * @returns the lines, each ending in `\n`.
 *
 * @example
 * ```ts
 * import { configFromEnv } from '../config';
 * const lines = securityLines(configFromEnv({}), 5061);
 * // "  tls: set SIP_TLS_KEY and SIP_TLS_CERT to serve sips: on 5061\n  authentication: off …"
 * ```
 */
export function securityLines(config: SipUasConfig, tlsPort: number): string {
  const { security } = config;
  const tls =
    security.tls === undefined
      ? `  tls: set SIP_TLS_KEY and SIP_TLS_CERT to serve sips: on ${security.tlsPort}\n`
      : `  tls: sips:${config.host}:${tlsPort}\n`;
  const auth =
    security.authFile === undefined
      ? `  authentication: off (set SIP_AUTH_FILE; add users with npm run sip-uas:passwd -- <user>)\n`
      : `  authentication: digest (${security.authAlgorithms.join(', ')}) for REGISTER${security.authInvite ? ' and INVITE' : ''}, realm ${security.realm}\n`;
  const flood =
    `  flood protection: more than ${security.floodMaxRequests} requests in ${security.floodWindowMs} ms bans a source for ${security.floodBanMs / 1000} s` +
    ` (allowed: ${security.floodAllow.join(', ') || 'none'})\n`;
  return tls + auth + flood;
}
