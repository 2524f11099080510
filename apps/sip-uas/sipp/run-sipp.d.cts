/** What one sipp run ended with. */
export interface SippRun {
  /** sipp's exit status: 0 when every call succeeded, 1 when some failed, 255 on errors. */
  readonly code: number | null;
  readonly successful: number;
  readonly failed: number;
  /** Wall time of the run, in seconds. */
  readonly elapsedS: number;
  /** CPU sipp used, in % of one core over the run (`null` if unknown). */
  readonly sippCpu: number | null;
  /** Most calls in progress in any one-second row of the statistics. */
  readonly maxCurrentCalls: number;
  /** The end of sipp's own output (its final screen), for failure messages. */
  readonly output: string;
}

/** Runs sipp against 127.0.0.1:`port`, bounded by `timeoutS` seconds (TLS transports: {@link tlsSipp}). */
export function runSipp(port: number, args: readonly string[], timeoutS?: number): Promise<SippRun>;

/** The first executable `tool` on PATH (then /usr/sbin, /usr/bin), or `undefined`. */
export function which(tool: string): string | undefined;

/** Where scripts/build-sipp-tls.sh installs a sipp built with TLS. */
export const SIPP_TLS_DEFAULT: string;

/** The sipp for TLS transports: `$SIPP_TLS`, else {@link SIPP_TLS_DEFAULT} if executable. */
export function tlsSipp(): string | undefined;

/**
 * sipp 3.6's TLS options from a folder of tools/make-test-certs.mjs: the client certificate and
 * key, TLS 1.2, and with `ca` the CA and the CRL that make it verify the server.
 */
export function tlsArgs(dir: string, ca?: string): string[];
