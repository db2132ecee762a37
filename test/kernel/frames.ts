// Ethernet/IPv4/UDP frames for the vhost-net test, built and parsed with the generated codecs
// (ethhdr, iphdr and udphdr carry their __be16/__be32 fields in network byte order).
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

export function buildUdpFrame(f: UdpFrame): Uint8Array {
  const ipLength = iphdr.size + udphdr.size + f.payload.length;
  const out = new Uint8Array(ethhdr.size + ipLength);
  const view = new DataView(out.buffer);
  ethhdr.encode({ h_dest: f.dstMac, h_source: f.srcMac, h_proto: ETH_P_IP }, view, 0);
  const ip = { ...iphdr.zero(), ihl: iphdr.size / IHL_UNIT, version: IPVERSION, tot_len: ipLength, ttl: IPDEFTTL, protocol: IPPROTO_UDP, saddr: f.src, daddr: f.dst };
  iphdr.encode(ip, view, ethhdr.size);
  iphdr.encode({ ...ip, check: internetChecksum(out.subarray(ethhdr.size, ethhdr.size + iphdr.size)) }, view, ethhdr.size);
  // A zero UDP checksum means "none" over IPv4 (RFC 768).
  udphdr.encode({ source: f.sport, dest: f.dport, len: udphdr.size + f.payload.length, check: 0 }, view, ethhdr.size + iphdr.size);
  out.set(f.payload, ethhdr.size + iphdr.size + udphdr.size);
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
  const udp = udphdr.fromBytes(frame.subarray(ethhdr.size + iphdr.size));
  const start = ethhdr.size + iphdr.size + udphdr.size;
  return { dstMac: eth.h_dest, srcMac: eth.h_source, src: ip.saddr!, dst: ip.daddr!, sport: udp.source, dport: udp.dest, payload: frame.slice(start, ethhdr.size + ip.tot_len) };
}

export const ipv4 = (text: string) => text.split('.').reduce((a, b) => a * 0x100 + Number(b), 0);
export const mac = (text: string) => Uint8Array.from(text.split(':'), (h) => parseInt(h, 16));
