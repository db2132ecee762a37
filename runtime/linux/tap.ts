// A tap device, the backend vhost-net moves frames to and from: /dev/net/tun with TUNSETIFF.
// if_tun.h declares TUNSETIFF as _IOW('T', 202, int), but the kernel reads and writes a whole
// struct ifreq through the pointer (name in, the name it chose out), so that is what is passed.
import { IFF_NO_PI, IFF_TAP, ifreq, tun_ioctls } from '../../generated/tun.js';
import { Backend } from '../backend.js';
import { callIoctl } from '../vfio/ioctl.js';

export interface Tap {
  fd: number;
  /** The interface name the kernel gave it (`name` may hold a `%d` pattern). */
  name: string;
}

const NAME_SIZE = ifreq.fields.ifr_ifrn.codec.size;

/** Creates a tap interface without packet information: frames are bare Ethernet. */
export function openTap(backend: Backend, name: string, path = '/dev/net/tun'): Tap {
  const encoded = new TextEncoder().encode(name);
  // The kernel wants the name NUL-terminated within IFNAMSIZ bytes.
  if (encoded.length >= NAME_SIZE) throw new RangeError(`tap name "${name}" is ${encoded.length} bytes; at most ${NAME_SIZE - 1} fit`);
  const fd = backend.open(path);
  try {
    const arg = ifreq.toBytes({ ifr_ifrn: { ifrn_name: Uint8Array.from({ length: NAME_SIZE }, (_, k) => encoded[k] ?? 0) }, ifr_ifru: { ifru_flags: IFF_TAP | IFF_NO_PI } });
    callIoctl(backend, fd, tun_ioctls.TUNSETIFF, arg);
    const chosen = ifreq.fromBytes(arg).ifr_ifrn.ifrn_name!;
    const end = chosen.indexOf(0);
    return { fd, name: new TextDecoder().decode(chosen.subarray(0, end < 0 ? chosen.length : end)) };
  } catch (e) {
    backend.close(fd);
    throw e;
  }
}
