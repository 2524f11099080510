import { randomBytes } from 'node:crypto';
import { FloodGuard, type BanReason } from '@aem/app-kit';
import type { Timers } from '@aem/timers';
import { CredentialsFile } from '../auth/credentials-file';
import { DigestAuthenticator } from '../auth/digest-authenticator';
import type { SecurityConfig } from '../config';
import type { SipSecurity } from '../state/sip-state';

/**
 * The flood guard and, with `authFile`, the digest authenticator of a SIP server, as its
 * configuration says: the guard on the timers' wheel with the configured thresholds and allow
 * list; the authenticator reading the credentials file now (a bad file fails the start with its
 * path and line) and keying its nonces with `authSecret` (random when unset).
 *
 * @param onBan - told of every ban (for the log).
 */
export function openSipSecurity(
  config: SecurityConfig,
  timers: Timers,
  onBan: (source: string, reason: BanReason) => void = () => undefined,
): SipSecurity {
  const guard = new FloodGuard(timers.wheel, {
    windowMs: config.floodWindowMs,
    maxRequests: config.floodMaxRequests,
    banMs: config.floodBanMs,
    allow: config.floodAllow,
    onBan,
  });
  const auth =
    config.authFile === undefined
      ? undefined
      : new DigestAuthenticator({
          realm: config.realm,
          credentials: CredentialsFile.read(config.authFile),
          secret: config.authSecret ?? randomBytes(32),
          maxFailures: config.authMaxFailures,
          algorithms: config.authAlgorithms,
          nonceLifetimeMs: config.nonceLifetimeMs,
          guard,
          // Wall time, not the wheel's clock: another node checks these nonces with its own.
        });
  return { guard, auth, authInvite: config.authInvite };
}
