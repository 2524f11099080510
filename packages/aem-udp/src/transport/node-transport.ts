import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { readKernelDrops } from './proc-net-udp';
import type {
  DatagramReceiver,
  OutgoingDatagram,
  TransportBindOptions,
  TransportSocket,
  UdpTransport,
} from './transport';

type LookupCallback = (error: Error | null, address: string, family: number) => void;

/**
 * dgram's address lookup for `send`: an IP literal answers at once (the default, `dns.lookup`,
 * answers a literal only on the next tick — one `process.nextTick` per datagram); anything else
 * goes to `dns.lookup`. The UDP service only sends to IP literals.
 */
function literalLookup(
  hostname: string,
  options: number | LookupOneOptions,
  callback: LookupCallback,
): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, options as LookupOneOptions, callback);
}

/** The receiver until the socket sets one: counts nothing, so it is replaced at once. */
const NO_RECEIVER: DatagramReceiver = () => undefined;

/** A `node:dgram` socket behind the transport seam. @internal */
class NodeSocket implements TransportSocket {
  readonly address: { address: string; port: number; family: 4 | 6 };
  private receiver: DatagramReceiver = NO_RECEIVER;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly family: 4 | 6,
  ) {
    const bound = socket.address();
    this.address = { address: bound.address, port: bound.port, family };
    const origin = performance.timeOrigin;
    socket.on('message', (data, rinfo) =>
      this.receiver(data, rinfo.address, rinfo.port, family, origin + performance.now()),
    );
    // After bind, dgram reports only receive errors here (sends report to their callback).
    socket.on('error', (error) =>
      process.emitWarning(`@aem/udp socket ${bound.address}:${bound.port}: ${error.message}`, {
        type: 'AemWarning',
      }),
    );
  }

  setReceiver(receiver: DatagramReceiver): void {
    this.receiver = receiver;
  }

  sendBatch(
    batch: readonly OutgoingDatagram[],
    done: (sent: number, errors: number, firstError?: Error) => void,
  ): void {
    // node:dgram has no sendmmsg: one send per datagram, each reporting to one shared callback
    // (a send without a callback fails silently in dgram).
    let pending = batch.length;
    let errors = 0;
    let firstError: Error | undefined;
    const sent = (error: Error | null): void => {
      if (error) {
        errors++;
        firstError ??= error;
      }
      if (--pending === 0) done(batch.length - errors, errors, firstError);
    };
    const socket = this.socket;
    for (const datagram of batch) {
      try {
        socket.send(datagram.data, datagram.port, datagram.address, sent);
      } catch (error) {
        sent(error as Error); // the socket is closed, or an argument dgram refuses
      }
    }
  }

  kernelDrops(): number {
    return readKernelDrops(this.address.address, this.address.port, this.family);
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
    return this.closing;
  }
}

/** `node:dgram`: the userspace backend's sockets. @internal */
export const nodeTransport: UdpTransport = {
  name: 'node',
  async bind(options: TransportBindOptions): Promise<TransportSocket> {
    const socket = createSocket({
      type: options.family === 6 ? 'udp6' : 'udp4',
      reusePort: options.reusePort,
      ...(options.recvBufferSize === undefined ? {} : { recvBufferSize: options.recvBufferSize }),
      ...(options.sendBufferSize === undefined ? {} : { sendBufferSize: options.sendBufferSize }),
      lookup: literalLookup,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ port: options.port, address: options.host, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      try {
        socket.close();
      } catch {
        // a socket whose bind failed may already be closed
      }
      throw error;
    }
    return new NodeSocket(socket, options.family);
  },
};
