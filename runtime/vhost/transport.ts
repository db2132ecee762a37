// The vhost request set, independent of how it travels: over the vfio-vhost config region
// (VfioVhostTransport) or, later, as ioctls on /dev/vhost-net.
import type { vhost_vring_addr } from '../../generated/vhost.js';

export interface VhostTransport {
  setOwner(): void;
  resetOwner(): void;
  getFeatures(): bigint;
  setFeatures(features: bigint): void;
  setLogBase(address: bigint): void;
  setVringNum(index: number, num: number): void;
  setVringAddr(addr: vhost_vring_addr): void;
  setVringBase(index: number, base: number): void;
  getVringBase(index: number): number;
  /** VHOST_DEVICE_S_RUNNING starts the datapath, VHOST_DEVICE_S_STOPPED stops it. */
  setState(state: number): void;
}
