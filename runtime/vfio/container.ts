// A VFIO container: the IOMMU context that groups join and DMA mappings live in.
import {
  VFIO_API_VERSION, VFIO_DMA_MAP_FLAG, VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VFIO_DMA_UNMAP_FLAG, VFIO_IOMMU_INFO, VFIO_IOMMU_INFO_CAPS, VFIO_TYPE1v2_IOMMU,
  vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_unmap, vfio_iommu_type1_info, vfio_iommu_type1_info_capabilities, vfio_ioctls,
} from '../../generated/vfio.js';
import { Backend } from '../backend.js';
import { IoctlError } from '../errors.js';
import { argszQuery, callIoctl } from './ioctl.js';
import { Capability, walkCapabilities } from './capabilities.js';

const io = vfio_ioctls;

export interface IommuInfo {
  flags: number;
  iova_pgsizes: bigint;
  caps: Capability[];
  rounds: number;
}

export class Container {
  readonly fd: number;

  constructor(
    readonly backend: Backend,
    path = '/dev/vfio/vfio',
  ) {
    this.fd = backend.open(path);
    const version = callIoctl(backend, this.fd, io.VFIO_GET_API_VERSION);
    if (version !== VFIO_API_VERSION) throw new IoctlError(io.VFIO_GET_API_VERSION.name, 0, `API version ${version}, this runtime speaks ${VFIO_API_VERSION}`);
  }

  checkExtension(extension: number): boolean {
    return callIoctl(this.backend, this.fd, io.VFIO_CHECK_EXTENSION, extension) > 0;
  }

  /** Type1 v2, the IOMMU model the runtime uses; needs a group in the container first. */
  setIommu(type = VFIO_TYPE1v2_IOMMU): void {
    callIoctl(this.backend, this.fd, io.VFIO_SET_IOMMU, type);
  }

  iommuInfo(): IommuInfo {
    const { value, bytes, rounds } = argszQuery(this.backend, this.fd, io.VFIO_IOMMU_GET_INFO, vfio_iommu_type1_info, { flags: VFIO_IOMMU_INFO.none, iova_pgsizes: 0n, cap_offset: 0 });
    const hasCaps = VFIO_IOMMU_INFO.has(value.flags, VFIO_IOMMU_INFO_CAPS) && value.cap_offset !== 0;
    return { flags: value.flags, iova_pgsizes: value.iova_pgsizes, caps: hasCaps ? walkCapabilities(bytes, value.cap_offset, vfio_iommu_type1_info_capabilities) : [], rounds };
  }

  mapDma(vaddr: bigint, iova: bigint, size: bigint, writable = true): void {
    const flags = writable ? VFIO_DMA_MAP_FLAG.of(VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE) : VFIO_DMA_MAP_FLAG_READ;
    const arg = vfio_iommu_type1_dma_map.toBytes({ argsz: vfio_iommu_type1_dma_map.size, flags, vaddr, iova, size });
    callIoctl(this.backend, this.fd, io.VFIO_IOMMU_MAP_DMA, arg);
  }

  /** Returns how many bytes the kernel unmapped. */
  unmapDma(iova: bigint, size: bigint): bigint {
    const arg = vfio_iommu_type1_dma_unmap.toBytes({ argsz: vfio_iommu_type1_dma_unmap.size, flags: VFIO_DMA_UNMAP_FLAG.none, iova, size, data: [] });
    callIoctl(this.backend, this.fd, io.VFIO_IOMMU_UNMAP_DMA, arg);
    return vfio_iommu_type1_dma_unmap.fromBytes(arg, { counts: { data: 0 } }).size;
  }

  close(): void {
    this.backend.close(this.fd);
  }
}
