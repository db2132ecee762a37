// Feature bits by name, from the generated virtio and vhost units: the constants named
// *_F_* are bit numbers there, not masks.
import * as virtioConfig from '../../generated/virtio_config.js';
import * as virtioRing from '../../generated/virtio_ring.js';
import * as virtioNet from '../../generated/virtio_net.js';
import * as vhost from '../../generated/vhost.js';

const BIT_NAMES = new Map<number, string[]>();
for (const mod of [virtioConfig, virtioRing, virtioNet, vhost]) {
  for (const [name, value] of Object.entries(mod)) {
    if (typeof value !== 'number' || !/^(VIRTIO(_NET|_RING)?|VHOST(_NET)?)_F_[A-Z0-9_]+$/.test(name)) continue;
    const list = BIT_NAMES.get(value) ?? [];
    list.push(name);
    BIT_NAMES.set(value, list);
  }
}

export function featureBit(bit: number): bigint {
  return 1n << BigInt(bit);
}

/** The names of the set bits (several where headers alias a bit), and the bits no header names. */
export function decodeFeatures(features: bigint): { names: string[]; unknownBits: number[] } {
  const names: string[] = [];
  const unknownBits: number[] = [];
  for (let bit = 0; features >> BigInt(bit) !== 0n; bit++) {
    if (((features >> BigInt(bit)) & 1n) === 0n) continue;
    const n = BIT_NAMES.get(bit);
    if (n) names.push(n.join('|'));
    else unknownBits.push(bit);
  }
  return { names, unknownBits };
}
