// Finding the config and notify regions of a vfio-vhost device the way the review of the RFC
// asks: by the VFIO_REGION_INFO_CAP_TYPE capability (type VFIO_REGION_TYPE_VHOST, subtype
// CONFIG or NOTIFY), whatever their index. Only a device that reports the vfio-vhost API and
// has no typed regions is read by the RFC's fixed indexes.
import { VFIO_REGION_INFO_CAP_SPARSE_MMAP, VFIO_REGION_INFO_CAP_TYPE, VFIO_REGION_INFO_FLAG, VFIO_REGION_INFO_FLAG_MMAP } from '../../generated/vfio.js';
import {
  VFIO_DEVICE_API_VHOST_STRING, VFIO_REGION_SUBTYPE_VHOST_CONFIG, VFIO_REGION_SUBTYPE_VHOST_NOTIFY, VFIO_REGION_TYPE_VHOST,
  VFIO_VHOST_CONFIG_REGION_INDEX, VFIO_VHOST_NOTIFY_REGION_INDEX,
} from '../../generated/vfio_vhost.js';
import { Device, DeviceInfo, RegionInfo } from '../vfio/device.js';

export interface MmapArea {
  offset: bigint;
  size: bigint;
}

export interface VhostRegions {
  config: RegionInfo;
  notify: RegionInfo;
  /** The parts of the notify region that may be mmapped (sparse mmap), else all of it if mappable. */
  notifyAreas: MmapArea[];
  how: 'typed' | 'fixed';
  all: RegionInfo[];
}

export class NotVfioVhostError extends Error {
  override name = 'NotVfioVhostError';
}

export function discoverVhostRegions(device: Device, info: DeviceInfo, api: string): VhostRegions {
  const all: RegionInfo[] = [];
  let config: RegionInfo | undefined;
  let notify: RegionInfo | undefined;
  for (let index = 0; index < info.numRegions; index++) {
    const r = device.regionInfo(index);
    all.push(r);
    const type = r.caps.find((c) => c.id === VFIO_REGION_INFO_CAP_TYPE)?.value as { type: number; subtype: number } | undefined;
    if (type?.type !== VFIO_REGION_TYPE_VHOST) continue;
    if (type.subtype === VFIO_REGION_SUBTYPE_VHOST_CONFIG) config = r;
    if (type.subtype === VFIO_REGION_SUBTYPE_VHOST_NOTIFY) notify = r;
  }
  let how: VhostRegions['how'] = 'typed';
  if (!config || !notify) {
    if (api !== VFIO_DEVICE_API_VHOST_STRING || config || notify) {
      throw new NotVfioVhostError(`device API "${api}" with ${config ? '' : 'no '}typed config and ${notify ? '' : 'no '}typed notify region: not a vfio-vhost device`);
    }
    how = 'fixed';
    config = all[VFIO_VHOST_CONFIG_REGION_INDEX];
    notify = all[VFIO_VHOST_NOTIFY_REGION_INDEX];
    if (!config || !notify) throw new NotVfioVhostError(`a vfio-vhost device with ${info.numRegions} regions has no fixed config and notify regions`);
  }
  const sparse = notify.caps.find((c) => c.id === VFIO_REGION_INFO_CAP_SPARSE_MMAP)?.value as { areas: { offset: bigint; size: bigint }[] } | undefined;
  const notifyAreas = sparse ? sparse.areas.map((a) => ({ offset: a.offset, size: a.size })) : VFIO_REGION_INFO_FLAG.has(notify.flags, VFIO_REGION_INFO_FLAG_MMAP) ? [{ offset: 0n, size: notify.size }] : [];
  return { config, notify, notifyAreas, how, all };
}
