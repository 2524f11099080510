/**
 * TLS for a server ({@link ListenOptions.tls}): the same connections, framers and limits, over
 * `node:tls`. PEM strings or buffers, as `tls.createSecureContext` takes them.
 *
 * @example
 * ```ts
 * const server = await tcp.listen({ port: 5061, framer, tls: { key, cert } });
 * ```
 */
export interface TlsServerOptions {
  /** The server's private key (PEM). */
  readonly key: string | Buffer;
  /** The server's certificate chain (PEM). */
  readonly cert: string | Buffer;
  /** CAs that client certificates must chain to (with `requestCert`). Default: Node's bundle. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Ask clients for a certificate and refuse those without a valid one. Default `false`. */
  readonly requestCert?: boolean;
  /** Most time a client may take to finish the handshake, ms. Default 10,000. */
  readonly handshakeTimeoutMs?: number;
}

/**
 * TLS for a client connection ({@link ConnectOptions.tls}). The server's certificate is always
 * verified against `ca` (or Node's bundle) and `servername`.
 *
 * @example
 * ```ts
 * const connection = await tcp.connect({ port: 5061, tls: { ca, servername: 'sip.example.org' } });
 * ```
 */
export interface TlsClientOptions {
  /** CAs the server's certificate must chain to. Default: Node's bundle. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Name the server's certificate must carry (SNI too). Default: the host connected to. */
  readonly servername?: string;
  /** A client certificate (PEM), for servers that request one. */
  readonly cert?: string | Buffer;
  /** The client certificate's key (PEM). */
  readonly key?: string | Buffer;
}
