// Ethernet/IPv4/UDP frames for the tests that send through real devices and the simulated one,
// built and parsed with the generated codecs (ethhdr, iphdr and udphdr carry their __be16/__be32
// fields in network byte order). Each datagram carries its UDP checksum, so the kernel that
// receives one drops it unless every byte the checksum covers arrived as built.
import { ETH_P_IP, IPDEFTTL, IPPROTO_UDP, IPVERSION, ethhdr, iphdr, udphdr } from '../../generated/inet.js';

export interface UdpFrame {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  /** IPv4 addresses as numbers (10.0.0.1 is 0x0a000001). */
  src: number;
  dst: number;
  sport: number;
  dport: number;
  payload: Uint8Array;
}

const IHL_UNIT = 4; // the IPv4 header length field counts 32-bit words (RFC 791)
/** RFC 768's pseudo-header: source and destination address, a zero byte, the protocol, the UDP length. */
const PSEUDO_HEADER = 12;
/** A checksum that comes to 0 is sent as all ones: 0 means "none" over IPv4 (RFC 768). */
const NO_CHECKSUM = 0;
const CHECKSUM_ZERO = 0xffff;

/**
 * RFC 1071's ones' complement sum of 16-bit words, folded and inverted. iphdr.check is a
 * __sum16, not a __be16: it holds the bytes the sum came from. The sum is byte-order
 * independent (RFC 1071, 2(B)), so summing little-endian words gives the value the host-order
 * codec stores as the right bytes.
 */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += bytes[i] | ((bytes[i + 1] ?? 0) << 8);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The sum over RFC 768's pseudo-header and the UDP segment (its checksum field as it stands):
 * 0 for a segment whose checksum holds; with the field 0, the value to store, as iphdr's is.
 */
function udpSum(src: number, dst: number, segment: Uint8Array): number {
  const bytes = new Uint8Array(PSEUDO_HEADER + segment.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, src);
  view.setUint32(4, dst);
  view.setUint8(9, IPPROTO_UDP);
  view.setUint16(10, segment.length);
  bytes.set(segment, PSEUDO_HEADER);
  return internetChecksum(bytes);
}

export function buildUdpFrame(f: UdpFrame): Uint8Array {
  const ipLength = iphdr.size + udphdr.size + f.payload.length;
  const out = new Uint8Array(ethhdr.size + ipLength);
  const view = new DataView(out.buffer);
  ethhdr.encode({ h_dest: f.dstMac, h_source: f.srcMac, h_proto: ETH_P_IP }, view, 0);
  const ip = { ...iphdr.zero(), ihl: iphdr.size / IHL_UNIT, version: IPVERSION, tot_len: ipLength, ttl: IPDEFTTL, protocol: IPPROTO_UDP, saddr: f.src, daddr: f.dst };
  iphdr.encode(ip, view, ethhdr.size);
  iphdr.encode({ ...ip, check: internetChecksum(out.subarray(ethhdr.size, ethhdr.size + iphdr.size)) }, view, ethhdr.size);
  const udp = { source: f.sport, dest: f.dport, len: udphdr.size + f.payload.length, check: NO_CHECKSUM };
  udphdr.encode(udp, view, ethhdr.size + iphdr.size);
  out.set(f.payload, ethhdr.size + iphdr.size + udphdr.size);
  const sum = udpSum(f.src, f.dst, out.subarray(ethhdr.size + iphdr.size));
  udphdr.encode({ ...udp, check: sum === NO_CHECKSUM ? CHECKSUM_ZERO : sum }, view, ethhdr.size + iphdr.size);
  return out;
}

/** The UDP datagram in an Ethernet frame, or undefined for anything else (ARP, IPv6, options...). */
export function parseUdpFrame(frame: Uint8Array): UdpFrame | undefined {
  if (frame.length < ethhdr.size + iphdr.size + udphdr.size) return undefined;
  const eth = ethhdr.fromBytes(frame);
  if (eth.h_proto !== ETH_P_IP) return undefined;
  const ip = iphdr.fromBytes(frame.subarray(ethhdr.size));
  if (ip.version !== IPVERSION || ip.ihl * IHL_UNIT !== iphdr.size || ip.protocol !== IPPROTO_UDP) return undefined;
  if (internetChecksum(frame.subarray(ethhdr.size, ethhdr.size + iphdr.size)) !== 0) return undefined;
  const segment = frame.subarray(ethhdr.size + iphdr.size, ethhdr.size + ip.tot_len);
  const udp = udphdr.fromBytes(segment);
  if (udp.check !== NO_CHECKSUM && udpSum(ip.saddr!, ip.daddr!, segment) !== 0) return undefined;
  const start = ethhdr.size + iphdr.size + udphdr.size;
  return { dstMac: eth.h_dest, srcMac: eth.h_source, src: ip.saddr!, dst: ip.daddr!, sport: udp.source, dport: udp.dest, payload: frame.slice(start, ethhdr.size + ip.tot_len) };
}

export const ipv4 = (text: string) => text.split('.').reduce((a, b) => a * 0x100 + Number(b), 0);
export const mac = (text: string) => Uint8Array.from(text.split(':'), (h) => parseInt(h, 16));
