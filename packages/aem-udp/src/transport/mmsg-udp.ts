import { AF_INET6, UDP_ADDR_SIZE, addressText } from './kernel-udp-address';
import { readKernelDrops } from './proc-net-udp';
import {
  REFUSED_ONE,
  UdpSendEncoder,
  type KernelUdp,
  type KernelUdpAddress,
  type KernelUdpSink,
} from './kernel-udp';

/** One native watch of a socket (`UdpBatch` of `@aem/kmod/binding`). @internal */
interface NativeUdpBatch {
  send(arg: Uint8Array): number;
  close(): void;
}

/**
 * The slice of `@aem/kmod/binding` the `mmsg` transport uses, restated (as `@aem/core` restates
 * the device's): the binding is an optional peer, so its declarations cannot be imported here.
 *
 * @internal
 */
export interface MmsgBinding {
  UdpBatch: new (
    fd: number,
    area: Uint8Array,
    lengths: Int32Array,
    slotSize: number,
    onBatch: (count: number) => void,
    onWritable: () => void,
    onError: (errno: number) => void,
  ) => NativeUdpBatch;
  sock: {
    udpBind: KernelUdp['bind'];
    addresses(fd: number): KernelUdpAddress;
    close(fd: number): number;
    errnoName(errno: number): string;
  };
}

/**
 * Datagrams one wake-up reads with one `recvmmsg` (a busier socket is read again, up to eight
 * times per wake-up, before the loop turns).
 */
export const MMSG_SLOTS = 32;
/** A slot: the peer (`struct aem_udp_addr`), then room for any UDP payload (at most 65,507). */
const SLOT_SIZE = UDP_ADDR_SIZE + 65_536;

/**
 * One socket's reads: the native watch and the area it reads into. Each batch is one call here:
 * every datagram's payload is copied out of the area (the handler may keep it; the area is read
 * into again), its peer's text comes from the address cache, and the batch shares one receive
 * time.
 */
class MmsgReader {
  readonly native: NativeUdpBatch;
  private readonly area: Buffer;
  private readonly lengths: Int32Array;

  constructor(
    binding: MmsgBinding,
    fd: number,
    private readonly sink: KernelUdpSink,
  ) {
    this.area = Buffer.from(new ArrayBuffer(MMSG_SLOTS * SLOT_SIZE));
    this.lengths = new Int32Array(MMSG_SLOTS);
    this.native = new binding.UdpBatch(
      fd,
      this.area,
      this.lengths,
      SLOT_SIZE,
      this.batch,
      () => sink.writable(),
      (errno) => sink.error(errno, binding.sock.errnoName(errno)),
    );
  }

  private readonly batch = (count: number): void => {
    const { area, lengths, sink } = this;
    const receivedAt = performance.timeOrigin + performance.now();
    for (let i = 0, o = 0; i < count; i++, o += SLOT_SIZE) {
      const start = o + UDP_ADDR_SIZE;
      const end = o + lengths[i];
      const payload = Buffer.allocUnsafe(end - start);
      area.copy(payload, 0, start, end);
      sink.datagram(
        payload,
        addressText(area, o),
        area[o + 2] | (area[o + 3] << 8),
        (area[o] | (area[o + 1] << 8)) === AF_INET6 ? 6 : 4,
        receivedAt,
      );
    }
  };
}

/**
 * UDP in userspace with batched system calls, through `@aem/kmod/binding`'s `UdpBatch`: a
 * wake-up reads up to {@link MMSG_SLOTS} datagrams with one `recvmmsg` and hands them over in
 * one call; a send batch leaves with one `sendmmsg`, packed by the kernel service's encoder
 * ({@link UdpSendEncoder}), so the sockets above it are the kernel transport's, with the same
 * ordering, blocking and error rules. The socket's drop count is `/proc/net/udp`'s, read when
 * asked, as on `node:dgram`. `node:dgram` pays a JavaScript entry, an `ArrayBuffer`, a
 * peer object and a `sendmsg` with its callback per datagram.
 *
 * @internal
 */
export function openMmsgUdp(binding: MmsgBinding): KernelUdp {
  const { sock } = binding;
  const encoder = new UdpSendEncoder();
  const readers = new Map<number, MmsgReader>();
  let nextId = 1;
  const reader = (id: number): MmsgReader => {
    const found = readers.get(id);
    if (found === undefined) {
      throw Object.assign(new Error('send EBADF: the socket is detached'), {
        code: 'EBADF',
        errno: -9,
      });
    }
    return found;
  };
  return {
    bind: (host, port, reusePort, recvBufferSize, sendBufferSize) =>
      sock.udpBind(host, port, reusePort, recvBufferSize, sendBufferSize),
    address: (fd) => sock.addresses(fd),
    attach: (fd, sink) => {
      const id = nextId++;
      readers.set(id, new MmsgReader(binding, fd, sink));
      return id;
    },
    send: (id, batch, from) => {
      const native = reader(id).native;
      return encoder.encode(batch, from) === 0
        ? REFUSED_ONE
        : encoder.result(native.send(encoder.view()));
    },
    drops: (local) => readKernelDrops(local.address, local.port, local.family),
    detach: (id) => {
      const found = readers.get(id);
      if (found === undefined) return;
      readers.delete(id);
      found.native.close();
    },
    close: (fd) => void sock.close(fd),
    errnoName: (errno) => sock.errnoName(errno),
    get attached(): number {
      return readers.size;
    },
  };
}
