import { EventEmitter } from 'node:events';
import { isIP, type AddressInfo } from 'node:net';
import { lookup } from 'node:dns/promises';
import type { KernelTcp, KernelTcpEvent } from './kernel-tcp';
import type { TcpTransport, TransportServer, TransportSocket } from './transport';

const EAGAIN = -11;
/** Above this many unsent bytes `write` returns false, as a `net.Socket` (its default mark). */
const HIGH_WATER_MARK = 16_384;
/** Pieces per `writev` (the binding's limit). */
const WRITEV_MAX = 64;

function socketError(code: string, errno: number, syscall: string): Error {
  const error = new Error(`${syscall} ${code}`) as Error & { code: string; errno: number };
  error.code = code;
  error.errno = -Math.abs(errno);
  return error;
}

/**
 * A connection on the kernel TCP service, shaped like the `net.Socket` slice a
 * `TcpConnection` uses. Bytes arrive as ring records (no `read` system call); writes are
 * `write`/`writev` on the fd, queued on `EAGAIN` until the kernel reports `writable`.
 *
 * Pausing is lazy: `pause()` only sets a flag; if bytes arrive while paused they are held and
 * reading pauses in the kernel (one ioctl), so TCP's window closes; `resume()` delivers what was
 * held and resumes the kernel side. Most pauses (a connection paused until its first consumer
 * registers in the same tick) therefore cost no system call.
 *
 * @internal
 */
export class KmodSocket extends EventEmitter implements TransportSocket {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  readonly allowHalfOpen = false;
  bytesRead = 0;
  bytesWritten = 0;
  destroyed = false;
  writableEnded = false;

  private readonly id: number;
  private paused = false;
  private kernelPaused = false;
  private held: Buffer[] = [];
  private peerEnded = false;
  private endEmitted = false;
  private finSent = false;
  private queue: Buffer[] = [];
  private queued = 0;
  private waitingWritable = false;
  private corked = 0;
  private deliverScheduled = false;
  private readonly deliverHeld = (): void => this.deliver();

  constructor(
    private readonly tcp: KernelTcp,
    private readonly fd: number,
    kind: 'connection' | 'connecting',
    peer?: { remoteAddress: string; remotePort: number },
  ) {
    super();
    const addresses = tcp.addresses(fd);
    this.localAddress = addresses.localAddress;
    this.localPort = addresses.localPort;
    this.remoteAddress = peer?.remoteAddress ?? addresses.remoteAddress;
    this.remotePort = peer?.remotePort ?? addresses.remotePort;
    this.id = tcp.attach(fd, kind, (event) => this.onEvent(event));
  }

  get writableLength(): number {
    return this.queued;
  }

  setNoDelay(): this {
    // The binding sets TCP_NODELAY on every socket it makes (accepted ones inherit it).
    return this;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    if (!this.paused) return this;
    this.paused = false;
    if (this.kernelPaused && !this.destroyed) {
      this.kernelPaused = false;
      this.tcp.resume(this.id);
    }
    // Held bytes go out on the next tick, never inside the caller (it may be a data handler).
    if ((this.held.length > 0 || this.peerEnded) && !this.deliverScheduled) {
      this.deliverScheduled = true;
      process.nextTick(this.deliverHeld);
    }
    return this;
  }

  isPaused(): boolean {
    return this.paused;
  }

  write(chunk: Buffer | string): boolean {
    if (this.destroyed || this.writableEnded) return false;
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (data.length === 0) return true;
    if (this.queued === 0 && this.corked === 0 && !this.waitingWritable) {
      const n = this.tcp.write(this.fd, data);
      if (n === data.length) {
        this.bytesWritten += n;
        return true;
      }
      if (n < 0 && n !== EAGAIN) {
        this.fail(n, 'write');
        return false;
      }
      const written = Math.max(n, 0);
      this.bytesWritten += written;
      this.enqueue(written === 0 ? data : data.subarray(written));
      this.awaitWritable();
    } else {
      this.enqueue(data);
    }
    return this.queued < HIGH_WATER_MARK;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked > 0 && --this.corked === 0 && !this.waitingWritable) this.flush();
  }

  end(): this {
    if (this.writableEnded || this.destroyed) return this;
    this.writableEnded = true;
    if (this.queued === 0) this.sendFin();
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.queue = [];
    this.queued = 0;
    this.held = [];
    // The event holds the socket: detach first, then close the fd.
    this.tcp.detach(this.id);
    this.tcp.close(this.fd);
    process.nextTick(() => this.emit('close', false));
    return this;
  }

  private onEvent(event: KernelTcpEvent): void {
    if (this.destroyed) return;
    switch (event.type) {
      case 'data':
        this.bytesRead += event.data.length;
        if (this.paused || this.held.length > 0) {
          this.held.push(event.data);
          if (!this.kernelPaused) {
            this.kernelPaused = true;
            this.tcp.pause(this.id);
          }
        } else {
          this.emit('data', event.data);
        }
        break;
      case 'peer-closed':
        this.peerEnded = true;
        if (!this.paused && this.held.length === 0) this.emitEnd();
        break;
      case 'writable':
        this.waitingWritable = false;
        this.flush();
        break;
      case 'connected':
        this.emit('connect');
        break;
      case 'error':
        this.emit('error', socketError(event.code, event.errno, 'read'));
        this.destroy();
        break;
      default:
        break;
    }
  }

  private deliver(): void {
    this.deliverScheduled = false;
    while (!this.paused && !this.destroyed && this.held.length > 0)
      this.emit('data', this.held.shift() as Buffer);
    if (!this.paused && this.held.length === 0 && this.peerEnded) this.emitEnd();
  }

  private emitEnd(): void {
    if (this.endEmitted || this.destroyed) return;
    this.endEmitted = true;
    this.emit('end');
    // Not half-open: our side ends after what is queued, then the socket closes.
    this.end();
    this.maybeClose();
  }

  private enqueue(data: Buffer): void {
    this.queue.push(data);
    this.queued += data.length;
  }

  private awaitWritable(): void {
    if (this.waitingWritable) return;
    this.waitingWritable = true;
    // Re-arms the kernel's report and checks once (the race with the peer's ACKs).
    this.tcp.resume(this.id);
    this.kernelPaused = false;
  }

  private flush(): void {
    while (this.queued > 0 && !this.destroyed) {
      const pieces = this.queue.length > WRITEV_MAX ? this.queue.slice(0, WRITEV_MAX) : this.queue;
      const n =
        pieces.length === 1 ? this.tcp.write(this.fd, pieces[0]) : this.tcp.writev(this.fd, pieces);
      if (n === EAGAIN) {
        this.awaitWritable();
        return;
      }
      if (n < 0) {
        this.fail(n, 'writev');
        return;
      }
      this.bytesWritten += n;
      this.queued -= n;
      let left = n;
      while (left > 0) {
        const head = this.queue[0];
        if (head.length <= left) {
          left -= head.length;
          this.queue.shift();
        } else {
          this.queue[0] = head.subarray(left);
          left = 0;
        }
      }
    }
    if (this.queued === 0 && !this.destroyed) {
      this.emit('drain');
      if (this.writableEnded) this.sendFin();
    }
  }

  private sendFin(): void {
    if (this.finSent || this.destroyed) return;
    this.finSent = true;
    this.tcp.shutdown(this.fd);
    this.maybeClose();
  }

  private maybeClose(): void {
    if (this.finSent && this.endEmitted) this.destroy();
  }

  private fail(errno: number, syscall: string): void {
    const error = socketError(this.tcp.errnoName(errno), errno, syscall);
    process.nextTick(() => {
      if (this.destroyed) return;
      this.emit('error', error);
      this.destroy();
    });
  }
}

/** A listening socket on the kernel TCP service, shaped like the `net.Server` slice. @internal */
export class KmodServer extends EventEmitter implements TransportServer {
  listening = true;
  private readonly id: number;
  private readonly bound: AddressInfo;

  constructor(
    private readonly tcp: KernelTcp,
    private readonly fd: number,
  ) {
    super();
    const addresses = tcp.addresses(fd);
    this.bound = {
      address: addresses.localAddress,
      family: addresses.family,
      port: addresses.localPort,
    };
    this.id = tcp.attach(fd, 'listener', (event) => this.onEvent(event));
  }

  address(): AddressInfo {
    return this.bound;
  }

  close(callback?: (error?: Error) => void): this {
    if (this.listening) {
      this.listening = false;
      this.tcp.detach(this.id);
      this.tcp.close(this.fd);
    }
    if (callback) process.nextTick(callback);
    return this;
  }

  private onEvent(event: KernelTcpEvent): void {
    if (!this.listening) {
      if (event.type === 'accept') this.tcp.close(event.fd);
      return;
    }
    if (event.type === 'accept') {
      let socket: KmodSocket;
      try {
        socket = new KmodSocket(this.tcp, event.fd, 'connection', event);
      } catch (error) {
        // The connection went before it could be attached (a reset in between).
        this.tcp.close(event.fd);
        this.emit('error', error);
        return;
      }
      socket.pause();
      this.emit('connection', socket);
    } else if (event.type === 'error') {
      // EMFILE/ENFILE: the connection waits in the kernel; resume retries once fds free up.
      this.emit('error', socketError(event.code, event.errno, 'accept'));
    }
  }
}

async function numericHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  return (await lookup(host)).address;
}

/** The kmod backend's sockets: `aem_tcp.ko` through the backend's {@link KernelTcp}. @internal */
export function kmodTransport(tcp: KernelTcp): TcpTransport {
  return {
    kind: 'kmod',
    async listen({ port, host, backlog }) {
      const fd = tcp.listen(host === undefined ? '' : await numericHost(host), port, backlog);
      return new KmodServer(tcp, fd);
    },
    async connect({ port, host }) {
      const fd = tcp.connect(await numericHost(host), port);
      let socket: KmodSocket;
      try {
        socket = new KmodSocket(tcp, fd, 'connecting');
      } catch (error) {
        tcp.close(fd);
        throw error;
      }
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        socket.once('error', onError);
        socket.once('connect', () => {
          socket.off('error', onError);
          resolve();
        });
      });
      // The peer address is known once connected.
      const addresses = tcp.addresses(fd);
      socket.localAddress = addresses.localAddress;
      socket.localPort = addresses.localPort;
      socket.remoteAddress = addresses.remoteAddress;
      socket.remotePort = addresses.remotePort;
      return socket;
    },
  };
}
