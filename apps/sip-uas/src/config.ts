import { availableParallelism } from 'node:os';
import { InvalidConfigError } from '@aem/app-kit';

/** The realm the registrar challenges with when `SIP_REALM` is not set. */
export const DEFAULT_REALM = 'sip-uas';

/**
 * Default SO_RCVBUF of the SIP UDP socket, bytes. The kernel's default (208 KiB) holds about 150
 * small datagrams — each is charged its buffer's true size, over 1 KiB — a few milliseconds of
 * input at 30,000 datagrams/s, so a garbage-collector pause overflows it; 4 MiB holds a few
 * thousand, a pause of about 100–200 ms at that rate.
 */
export const DEFAULT_UDP_RECV_BUFFER_BYTES = 4 * 1024 * 1024;

/** The SIP server's configuration (injectable with `@Inject(CONFIG)`). */
export interface SipUasConfig {
  /** Address to listen on. Env `SIP_HOST`, default `127.0.0.1`. */
  readonly host: string;
  /** UDP and TCP port, the same for both (0: any port free on both). Env `SIP_PORT`, default 5060. */
  readonly port: number;
  /** Port of `/metrics` and `/health`; not served when undefined. Env `HTTP_PORT`. */
  readonly httpPort?: number;
  /** How long an INVITE rings (180 sent) before the 200 OK. Env `SIP_RING_DELAY_MS`, default 0. */
  readonly ringDelayMs: number;
  /** T1, the RTT estimate every RFC 3261 timer derives from. Env `SIP_T1_MS`, default 500. */
  readonly t1Ms: number;
  /**
   * T2, the cap of the doubling retransmission intervals (timer G, the 2xx). Env `SIP_T2_MS`,
   * default 4000 (raised to T1 when T1 is larger).
   */
  readonly t2Ms: number;
  /** T4, how long a message may live in the network: timer I over UDP. Env `SIP_T4_MS`, default 5000. */
  readonly t4Ms: number;
  /** Period of the status line on stdout; 0 turns it off. Env `SIP_STATUS_MS`, default 5000. */
  readonly statusIntervalMs: number;
  /** Registrar: shortest binding accepted (423 below). Env `SIP_MIN_EXPIRES`, default 60. */
  readonly minExpires: number;
  /** Registrar: longest binding granted (longer requests are cut). Default 3600. */
  readonly maxExpires: number;
  /** Registrar: expiry when the REGISTER names none (RFC 3261 §10.2.1.1). Default 3600. */
  readonly defaultExpires: number;
  /** Most bindings per address of record (503 beyond). Default 16. */
  readonly maxContactsPerAor: number;
  /** Most calls (INVITE transactions and dialogs) alive at once (503 beyond). Default 200,000. */
  readonly maxCalls: number;
  /** Most bindings in the registrar (503 beyond). Default 100,000. */
  readonly maxBindings: number;
  /**
   * Most non-INVITE server transactions kept over UDP at once (each for timer J, 64·T1, to
   * answer retransmissions; about 0.5 KiB each). A request beyond gets 503. Default 1,000,000.
   */
  readonly maxTransactions: number;
  /**
   * Largest SIP message accepted, headers and body: over TCP a larger one closes the
   * connection, over UDP a larger datagram is dropped and counted. Env `SIP_MAX_MESSAGE_BYTES`,
   * default 64 KiB.
   */
  readonly maxMessageBytes: number;
  /**
   * SO_RCVBUF of the UDP socket (of each worker's), bytes: how much the kernel queues for it
   * while the process is busy. A datagram arriving at a full buffer is dropped by the kernel,
   * counted in `/proc/net/udp` and shown as `kernel` drops in the status line; the caller's
   * retransmission recovers it, late. The kernel doubles the figure for its bookkeeping and caps
   * the request at `net.core.rmem_max` without an error (the process warns at start when it
   * does). Env `SIP_UDP_RECV_BUFFER_BYTES`, default 4 MiB (the kernel's own default is 208 KiB,
   * `net.core.rmem_default`).
   */
  readonly udpRecvBufferBytes: number;
  /** Most TCP connections at once (more are refused and counted). Default 10,000. */
  readonly maxConnections: number;
  /**
   * Processes serving the port (a cluster primary and this many workers when above 1). Env
   * `SIP_WORKERS`, default the number of CPUs (`os.availableParallelism()`); 1 on the `kmod`
   * backend, where more are refused (see {@link SipUasConfig.backend}).
   */
  readonly workers: number;
  /**
   * The AEM backend, env `SIP_BACKEND`: `userspace` (the default: `node:dgram` and `node:net`) or
   * `kmod` (the kernel modules: UDP through `aem_udp.ko`, TCP through `aem_tcp.ko`, TLS over
   * `node:tls` as on userspace). Never `auto`: a server that must be measured or debugged runs
   * where it was told to. On `kmod` the start fails, saying what is missing, without `/dev/aem`
   * or without either socket module (the kmod backend alone would serve those sockets from Node),
   * and only one process serves: the kernel TCP path binds one socket per port, with no
   * SO_REUSEPORT to share it between workers.
   */
  readonly backend: SipBackend;
  /**
   * Where registrations are kept: a journal file path (the embedded store), `redis://…` (a
   * shared Redis or Valkey), or `memory` (none: a restart forgets them). Env `SIP_STORE`,
   * default {@link DEFAULT_JOURNAL} in the working directory.
   */
  readonly store: string;
  /** fsync the journal after each batch of writes (survives a power cut). Env `SIP_STORE_FSYNC=1`. */
  readonly storeFsync: boolean;
  /** Address of `/metrics` and `/health`. Env `HTTP_HOST`, default `127.0.0.1` (never public by default). */
  readonly httpHost: string;
  /** Security: digest authentication, TLS, flood protection. */
  readonly security: SecurityConfig;
}

/** The security settings of {@link SipUasConfig}. */
export interface SecurityConfig {
  /**
   * The credentials file (`user:realm:md5-ha1[:sha256-ha1]` lines, written by
   * `npm run sip-uas:passwd`). Env `SIP_AUTH_FILE`; unset → no authentication.
   */
  readonly authFile?: string;
  /** The realm challenged with. Env `SIP_REALM`, default `sip-uas`. */
  readonly realm: string;
  /**
   * The nonce key (hex, ≥ 32 digits), the same on every node that should accept another's
   * nonces. Env `SIP_AUTH_SECRET`; unset → random at start (nonces valid on this process only).
   */
  readonly authSecret?: Buffer;
  /**
   * Algorithms offered, in the challenge's order. Env `SIP_AUTH_ALGORITHMS`, default
   * `SHA-256,MD5` (RFC 8760: the preferred first). Clients answer the first they support — but
   * Debian's sipp 3.6 takes the first challenge whatever it is and stops on SHA-256, so for such
   * MD5-only clients list `MD5,SHA-256`.
   */
  readonly authAlgorithms: readonly ('SHA-256' | 'MD5')[];
  /** A nonce's lifetime, ms; older ones get `stale=true`. Env `SIP_AUTH_NONCE_LIFETIME_MS`, default 300,000. */
  readonly nonceLifetimeMs: number;
  /** Challenge INVITEs too (407). Env `SIP_AUTH_INVITE=1`, default off. */
  readonly authInvite: boolean;
  /** Wrong answers from one address before 403 and a ban. Env `SIP_AUTH_MAX_FAILURES`, default 5. */
  readonly authMaxFailures: number;
  /** TLS key and certificate (PEM files). Env `SIP_TLS_KEY`, `SIP_TLS_CERT`; both or neither. */
  readonly tls?: { readonly keyFile: string; readonly certFile: string };
  /** The TLS port. Env `SIP_TLS_PORT`, default 5061 (0: any free port). */
  readonly tlsPort: number;
  /** Flood protection window, ms. Env `SIP_FLOOD_WINDOW_MS`, default 2,000. */
  readonly floodWindowMs: number;
  /** Most requests per source and window; more bans. Env `SIP_FLOOD_MAX_REQUESTS`, default 16. */
  readonly floodMaxRequests: number;
  /** Ban time, ms. Env `SIP_FLOOD_BAN_MS`, default 300,000. */
  readonly floodBanMs: number;
  /**
   * Sources never counted nor banned (addresses and subnets). Env `SIP_FLOOD_ALLOW`
   * (comma-separated), default `127.0.0.1,::1`: the machine's own tools. `SIP_FLOOD_ALLOW=none`
   * allows nothing.
   */
  readonly floodAllow: readonly string[];
}

/** The AEM backends sip-uas runs on ({@link SipUasConfig.backend}). */
export type SipBackend = 'userspace' | 'kmod';

/** The embedded store's journal when `SIP_STORE` is not set, relative to the working directory. */
export const DEFAULT_JOURNAL = 'sip-registrations.journal';

/**
 * The configuration from the environment, on top of the defaults above.
 *
 * @param env - the environment (default `process.env`).
 * @throws `Error` naming the variable when a number is not one; {@link InvalidConfigError} for a
 *   `SIP_BACKEND` other than `userspace` or `kmod`, or `SIP_WORKERS` above 1 with `kmod`.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): SipUasConfig {
  const t1Ms = positive(env, 'SIP_T1_MS', 500);
  const backend = backendFromEnv(env);
  return {
    host: env.SIP_HOST ?? '127.0.0.1',
    port: number(env, 'SIP_PORT', 5060),
    httpPort: env.HTTP_PORT === undefined ? undefined : number(env, 'HTTP_PORT', 0),
    ringDelayMs: number(env, 'SIP_RING_DELAY_MS', 0),
    t1Ms,
    t2Ms: Math.max(t1Ms, positive(env, 'SIP_T2_MS', 4000)),
    t4Ms: positive(env, 'SIP_T4_MS', 5000),
    statusIntervalMs: number(env, 'SIP_STATUS_MS', 5000),
    minExpires: number(env, 'SIP_MIN_EXPIRES', 60),
    maxExpires: 3600,
    defaultExpires: 3600,
    maxContactsPerAor: 16,
    maxCalls: 200_000,
    maxBindings: 100_000,
    maxTransactions: 1_000_000,
    maxMessageBytes: positive(env, 'SIP_MAX_MESSAGE_BYTES', 65_536),
    udpRecvBufferBytes: positive(env, 'SIP_UDP_RECV_BUFFER_BYTES', DEFAULT_UDP_RECV_BUFFER_BYTES),
    maxConnections: 10_000,
    workers: workersFor(backend, env),
    backend,
    store: env.SIP_STORE === undefined || env.SIP_STORE === '' ? DEFAULT_JOURNAL : env.SIP_STORE,
    storeFsync: env.SIP_STORE_FSYNC === '1',
    httpHost: env.HTTP_HOST ?? '127.0.0.1',
    security: securityFromEnv(env),
  };
}

function backendFromEnv(env: NodeJS.ProcessEnv): SipBackend {
  const text = env.SIP_BACKEND;
  if (text === undefined || text === '') return 'userspace';
  if (text !== 'userspace' && text !== 'kmod')
    throw new InvalidConfigError('SIP_BACKEND', "'userspace' or 'kmod'", text);
  return text;
}

function workersFor(backend: SipBackend, env: NodeJS.ProcessEnv): number {
  if (backend === 'userspace') return positive(env, 'SIP_WORKERS', availableParallelism());
  const workers = positive(env, 'SIP_WORKERS', 1);
  if (workers > 1)
    throw new InvalidConfigError(
      'SIP_WORKERS',
      '1 with SIP_BACKEND=kmod (the kernel TCP path binds one socket per port: no SO_REUSEPORT to share it between workers)',
      env.SIP_WORKERS,
    );
  return workers;
}

function algorithms(text: string): ('SHA-256' | 'MD5')[] {
  const list = text.split(',').map((name) => name.trim().toUpperCase());
  if (list.length === 0 || list.some((name) => name !== 'SHA-256' && name !== 'MD5'))
    throw new Error(
      `SIP_AUTH_ALGORITHMS must list SHA-256 and/or MD5, got ${JSON.stringify(text)}`,
    );
  return [...new Set(list)] as ('SHA-256' | 'MD5')[];
}

function securityFromEnv(env: NodeJS.ProcessEnv): SecurityConfig {
  const secret = env.SIP_AUTH_SECRET;
  if (secret !== undefined && !/^(?:[0-9a-fA-F]{2}){16,}$/.test(secret))
    throw new Error('SIP_AUTH_SECRET must be at least 32 hex digits (16 bytes)');
  const key = env.SIP_TLS_KEY;
  const cert = env.SIP_TLS_CERT;
  if ((key === undefined) !== (cert === undefined))
    throw new Error('set both SIP_TLS_KEY and SIP_TLS_CERT, or neither');
  const allow = env.SIP_FLOOD_ALLOW ?? '127.0.0.1,::1';
  return {
    ...(env.SIP_AUTH_FILE ? { authFile: env.SIP_AUTH_FILE } : {}),
    realm: env.SIP_REALM ?? DEFAULT_REALM,
    ...(secret === undefined ? {} : { authSecret: Buffer.from(secret, 'hex') }),
    authAlgorithms: algorithms(env.SIP_AUTH_ALGORITHMS ?? 'SHA-256,MD5'),
    nonceLifetimeMs: positive(env, 'SIP_AUTH_NONCE_LIFETIME_MS', 300_000),
    authInvite: env.SIP_AUTH_INVITE === '1',
    authMaxFailures: positive(env, 'SIP_AUTH_MAX_FAILURES', 5),
    ...(key !== undefined && cert !== undefined ? { tls: { keyFile: key, certFile: cert } } : {}),
    tlsPort: number(env, 'SIP_TLS_PORT', 5061),
    floodWindowMs: positive(env, 'SIP_FLOOD_WINDOW_MS', 2_000),
    floodMaxRequests: positive(env, 'SIP_FLOOD_MAX_REQUESTS', 16),
    floodBanMs: positive(env, 'SIP_FLOOD_BAN_MS', 300_000),
    floodAllow: allow === 'none' ? [] : allow.split(',').map((entry) => entry.trim()),
  };
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = number(env, name, fallback);
  if (value === 0) throw new Error(`${name} must be > 0`);
  return value;
}
