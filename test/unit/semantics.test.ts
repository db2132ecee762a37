// The meaning the vfio.h conventions carry, read from the system's own headers.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildModel } from '../../generator/pipeline.js';
import { overridesFor } from '../../generator/manifest.js';
import { constant, modelOf, record } from '../helpers/model.js';

const sem = suite('semantics');
const vfio = buildModel(['linux/vfio.h'], { abi: 'x86_64' });
const vfio32 = buildModel(['linux/vfio.h'], { abi: 'i386' });

sem('spot values of linux/vfio.h', () => {
  assert.is(constant(vfio, 'VFIO_TYPE').value, 59n);
  assert.is(constant(vfio, 'VFIO_REGION_TYPE_PCI_VENDOR_TYPE').value, -2147483648n);
  assert.is(constant(vfio, 'VFIO_REGION_TYPE_PCI_VENDOR_TYPE').type, 'int');
  assert.is(constant(vfio, 'VFIO_DEVICE_GET_REGION_INFO').value, 15212n);
  assert.is(record(vfio, 'vfio_region_info').layout.size, 32);
  assert.is(record(vfio, 'vfio_region_info').layout.align, 8);
  assert.is(record(vfio32, 'vfio_region_info').layout.size, 32);
  assert.is(record(vfio32, 'vfio_region_info').layout.align, 4);
});

sem('#defines after a field are that field\'s flag family', () => {
  const f = vfio.flagFamilies.find((x) => x.record === 'vfio_region_info' && x.field === 'flags')!;
  assert.ok(f);
  assert.is(f.name, 'VFIO_REGION_INFO_FLAG_');
  assert.equal(f.members.map((m) => m.constant.name), ['VFIO_REGION_INFO_FLAG_READ', 'VFIO_REGION_INFO_FLAG_WRITE', 'VFIO_REGION_INFO_FLAG_MMAP', 'VFIO_REGION_INFO_FLAG_CAPS']);
  const dev = vfio.flagFamilies.find((x) => x.record === 'vfio_device_info' && x.field === 'flags')!;
  assert.ok(dev.members.some((m) => m.constant.name === 'VFIO_DEVICE_FLAGS_FSL_MC' && m.constant.value === 64n));
  const irq = vfio.flagFamilies.find((x) => x.record === 'vfio_irq_set')!;
  const mask = irq.members.find((m) => m.constant.name === 'VFIO_IRQ_SET_DATA_TYPE_MASK');
  assert.is(mask, undefined, 'masks written after the struct are not members');
});

sem('ioctls: encoded form from the macro, declared form from the doc comment', () => {
  const i = vfio.ioctls.find((x) => x.name === 'VFIO_DEVICE_GET_REGION_INFO')!;
  assert.is(i.encoded.macro, '_IO');
  // VFIO_BASE is 100.
  assert.equal(i.decoded, { direction: 'none', type: 59, nr: 108, size: 0 });
  assert.is(i.declared?.macro, '_IOWR');
  assert.is(i.declared?.argType, 'struct vfio_region_info');
  assert.is(i.declared?.argCType?.kind, 'record');
  const vhost = buildModel(['linux/vhost.h'], { abi: 'x86_64' });
  const g = vhost.ioctls.find((x) => x.name === 'VHOST_GET_VRING_BASE')!;
  assert.is(g.encoded.macro, '_IOWR');
  assert.is(g.encoded.argType, 'struct vhost_vring_state');
  assert.equal(g.decoded, { direction: 'read-write', type: 0xaf, nr: 0x12, size: 8 });
});

sem('capability structs link to their IDs and their chain', () => {
  const region = vfio.capabilityFamilies.find((f) => f.info === 'vfio_region_info')!;
  assert.is(region.header, 'vfio_info_cap_header');
  const by = Object.fromEntries(region.members.map((m) => [m.id.name, m.record]));
  assert.is(by.VFIO_REGION_INFO_CAP_SPARSE_MMAP, 'vfio_region_info_cap_sparse_mmap');
  assert.is(by.VFIO_REGION_INFO_CAP_TYPE, 'vfio_region_info_cap_type');
  assert.is(by.VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 'vfio_info_cap_header');
  const iommu = vfio.capabilityFamilies.find((f) => f.info === 'vfio_iommu_type1_info')!;
  assert.ok(iommu.members.some((m) => m.id.name === 'VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL' && m.record === 'vfio_iommu_type1_info_dma_avail'));
});

sem('API strings and index enums', () => {
  assert.equal(vfio.apiStrings[0].members.map((m) => m.value), ['vfio-pci', 'vfio-platform', 'vfio-amba', 'vfio-ccw', 'vfio-ap']);
  const pci = vfio.indexEnums.find((x) => x.name === 'VFIO_PCI_REGION_INDEX')!;
  assert.is(pci.count, 'VFIO_PCI_NUM_REGIONS');
  assert.is(pci.members.find((m) => m.name === 'VFIO_PCI_CONFIG_REGION_INDEX')!.value, 7n);
});

sem('the RFC proposal header: HDR_SIZE by the null-pointer idiom is 16', () => {
  const m = buildModel(['uapi/vfio_vhost.h'], { abi: 'x86_64' });
  assert.is(constant(m, 'VHOST_VFIO_OP_HDR_SIZE').value, 16n);
  assert.is(constant(m, 'VHOST_VFIO_OP_HDR_SIZE').type, 'unsigned long');
  assert.ok(m.indexEnums.some((x) => x.name === 'VFIO_VHOST_REGION_INDEX' && x.count === 'VFIO_VHOST_NUM_REGIONS'));
  assert.ok(m.flagFamilies.some((f) => f.record === 'vhost_vfio_op' && f.field === 'flags' && f.members[0].constant.name === 'VHOST_VFIO_NEED_REPLY'));
  assert.is(m.ioctls[0].name, 'VHOST_DEVICE_SET_STATE');
});

sem('#defines written before their field: above the first field, and where the names point below', () => {
  // virtio_net.h's style, as the system's header has it.
  const net = buildModel(['linux/virtio_net.h'], { abi: 'x86_64' });
  const of = (name: string) => net.flagFamilies.find((f) => f.members.some((m) => m.constant.name === name));
  assert.is(of('VIRTIO_NET_HDR_F_NEEDS_CSUM')?.field, 'flags', 'the run above the first field is its');
  assert.is(of('VIRTIO_NET_HDR_GSO_TCPV4')?.field, 'gso_type', 'GSO names gso_type, the field below, not flags above');
  assert.is(of('VIRTIO_NET_HASH_REPORT_IPv4')?.field, 'hash_report');
  const uffd = buildModel(['linux/userfaultfd.h'], { abi: 'x86_64' });
  assert.is(uffd.flagFamilies.find((f) => f.members.some((m) => m.constant.name === 'UFFD_FEATURE_EVENT_FORK'))?.field, 'features', 'between api and features, right above features');
  // Comment lines between the run and the field below do not part them: OP_ENCRYPT and DECRYPT, then `/* encrypt or decrypt */`, then `op`.
  const crypto = buildModel(['linux/virtio_crypto.h'], { abi: 'x86_64' });
  assert.is(crypto.flagFamilies.find((f) => f.members.some((m) => m.constant.name === 'VIRTIO_CRYPTO_OP_ENCRYPT'))?.field, 'op');
  // A constant the record's own declarations use is a size, not a value: kvm_run's padding[SYNC_REGS_SIZE_BYTES], fd.h's autodetect[FD_AUTODETECT_SIZE].
  const kvm = buildModel(['linux/kvm.h'], { abi: 'x86_64' });
  assert.not.ok(kvm.flagFamilies.some((f) => f.members.some((m) => m.constant.name === 'SYNC_REGS_SIZE_BYTES')));
  const fd = buildModel(['linux/fd.h'], { abi: 'x86_64' });
  const fdBound = new Set(fd.flagFamilies.flatMap((f) => f.members.map((m) => m.constant.name)));
  for (const size of ['FD_AUTODETECT_SIZE', 'FD_RAW_CMD_SIZE', 'FD_RAW_REPLY_SIZE', 'FD_RAW_CMD_FULLSIZE']) assert.not.ok(fdBound.has(size), `${size} is an array bound, not a flag`);
  // An untagged struct declared elsewhere (typedef struct {...} qnx4_xtnt_t) is not inline: the #defines above it are not qnx4_inode_entry's.
  const qnx4 = buildModel(['linux/qnx4_fs.h'], { abi: 'x86_64' });
  assert.not.ok(qnx4.flagFamilies.some((f) => f.record === 'qnx4_inode_entry' || f.record === 'qnx4_xblk'));
  // A field takes one run: the second goes to the field below it, or nowhere.
  assert.equal(crypto.flagFamilies.filter((f) => f.record === 'virtio_crypto_rsa_session_para').map((f) => `${f.field}: ${f.members[0].constant.name}`), ['padding_algo: VIRTIO_CRYPTO_RSA_RAW_PADDING', 'hash_algo: VIRTIO_CRYPTO_RSA_NO_HASH']);
  const iommu = buildModel(['linux/iommu.h'], { abi: 'x86_64' });
  assert.equal(iommu.flagFamilies.filter((f) => f.record === 'iommu_page_response').map((f) => `${f.field}: ${f.members[0].constant.name}`), ['version: IOMMU_PAGE_RESP_VERSION_1', 'flags: IOMMU_PAGE_RESP_PASID_VALID']);
  // Runs of two prefixes parted by a blank line in one gap are two families, each to the field its names name.
  const gpu = buildModel(['linux/virtio_gpu.h'], { abi: 'x86_64' });
  assert.equal(gpu.flagFamilies.filter((f) => f.record === 'virtio_gpu_resource_create_blob').map((f) => `${f.field}: ${f.name}`), ['blob_mem: VIRTIO_GPU_BLOB_MEM_', 'blob_flags: VIRTIO_GPU_BLOB_FLAG_USE_']);
  // Two prefixes parted by a blank line whose names name no field below stay one family, as written.
  const together = modelOf('struct r {\n\tunsigned int flags;\n#define R_DATA_A 0x1\n#define R_DATA_B 0x2\n\n#define R_ACTION_A 0x4\n\tunsigned int index;\n};\n', 'x86_64');
  assert.equal(together.flagFamilies.map((f) => `${f.field}: ${f.members.length}`), ['flags: 3']);
  // One prefix's run with a blank line inside stays one family.
  const spaced = modelOf('struct q {\n\tunsigned int flags;\n#define Q_F_A 0x1\n\n#define Q_F_B 0x2\n\tunsigned int q_f_count;\n};\n', 'x86_64');
  assert.equal(spaced.flagFamilies.map((f) => `${f.field}: ${f.members.length}`), ['flags: 2']);
  // A blank line parts a run from the field below, whatever its names say.
  const parted = modelOf('struct p {\n\tunsigned int size;\n#define P_MODE_A 0x1\n#define P_MODE_B 0x2\n\n\tunsigned int mode;\n};\n', 'x86_64');
  assert.is(parted.flagFamilies[0].field, 'size');
  const commented = modelOf('struct p {\n\tunsigned int size;\n\n#define P_MODE_A 0x1\n#define P_MODE_B 0x2\n\t/* the mode */\n\tunsigned int mode;\n};\n', 'x86_64');
  assert.is(commented.flagFamilies[0].field, 'mode');
  // A field kept zero takes no values: MRT6MSG_* sit above im6_mbz but are im6_msgtype's.
  const mroute = buildModel(['linux/mroute6.h'], { abi: 'x86_64' });
  assert.not.ok(mroute.flagFamilies.some((f) => f.field === 'im6_mbz'));
  // vfio.h's: bits right after `flags` stay its own even when a word names the field below.
  assert.is(vfio.flagFamilies.find((f) => f.members.some((m) => m.constant.name === 'VFIO_GFX_PLANE_TYPE_DMABUF'))?.field, 'flags');
  // A run whose names say nothing of either field keeps the one above (an override moves it).
  const m = modelOf('struct s {\n\tunsigned long long addr;\n#define S_ACCESS_RO 1\n#define S_ACCESS_WO 2\n\tunsigned char perm;\n};\n', 'x86_64');
  assert.is(m.flagFamilies[0].field, 'addr');
});

sem('runs that count in decimal are values, one at a time; hex runs with masks stay flags', () => {
  const net = buildModel(['linux/virtio_net.h'], { abi: 'x86_64' });
  const family = (m: typeof net, name: string) => m.flagFamilies.find((f) => f.members.some((x) => x.constant.name === name))!;
  const kinds = (f: ReturnType<typeof family>) => Object.fromEntries(f.members.map((x) => [x.constant.name.slice(f.name.length), x.kind]));
  const report = family(net, 'VIRTIO_NET_HASH_REPORT_UDPv4');
  assert.is(report.encoding, 'values', 'UDPv4 is 3: by bits it would be IPv4 and TCPv4');
  assert.ok(report.members.every((x) => x.kind === 'value'));
  // The GSO types count (UDP is 3); ECN, 0x80, is a flag any of them may carry.
  const gso = family(net, 'VIRTIO_NET_HDR_GSO_UDP');
  assert.is(gso.encoding, 'values');
  assert.equal(kinds(gso), { NONE: 'value', TCPV4: 'value', UDP: 'value', TCPV6: 'value', ECN: 'bit' });
  assert.is(family(net, 'VIRTIO_NET_HDR_F_NEEDS_CSUM').encoding, 'flags');
  // VDUSE_ACCESS_RW is 0x3, the union of RO and WO: written in hex, still flags.
  const vduse = buildModel(['linux/vduse.h'], { abi: 'x86_64' });
  const access = family(vduse, 'VDUSE_ACCESS_RW');
  assert.equal([access.encoding, kinds(access)], ['flags', { RO: 'bit', WO: 'bit', RW: 'mask' }]);
  // An override that says only where a run goes reads its encoding as the convention does; one that says `flags` keeps flags.
  const moved = (encoding?: 'flags') => modelOf('struct t {\n\tunsigned int a;\n\tunsigned int b;\n};\n#define T_X 1\n#define T_Y 2\n#define T_Z 3\n', 'x86_64', { overrides: { flagFamilies: [{ record: 't', field: 'b', prefix: 'T_', encoding }] } }).flagFamilies[0];
  assert.equal([moved().encoding, moved().members.map((x) => x.kind)], ['values', ['value', 'value', 'value']]);
  assert.equal([moved('flags').encoding, moved('flags').members.map((x) => x.kind)], ['flags', ['bit', 'bit', 'mask']]);
  // Codes one function-like macro composes (VIRTIO_CRYPTO_OPCODE(service, op)) are values too; _BITUL(n) makes flags.
  const crypto = buildModel(['linux/virtio_crypto.h'], { abi: 'x86_64' });
  const opcode = crypto.flagFamilies.find((f) => f.record === 'virtio_crypto_op_header' && f.field === 'opcode')!;
  assert.equal([opcode.encoding, opcode.members.every((x) => x.kind === 'value')], ['values', true], 'AEAD_DECRYPT 0x301 is one code, not AEAD_ENCRYPT and CIPHER_DECRYPT');
  const etf = buildModel(['linux/pkt_sched.h'], { abi: 'x86_64' }).flagFamilies.find((f) => f.record === 'tc_etf_qopt')!;
  assert.is(etf.encoding, 'flags');
  // A field that holds a type holds one value at a time, however the run is spelled: as flags,
  // soundcard.h's SAMPLE_TYPE_WAVEFRONT 0x11 was a mask of FM_TYPE_OPL3 0x01 and SAMPLE_TYPE_BASIC 0x10.
  const synth = buildModel(['linux/soundcard.h'], { abi: 'x86_64' }).flagFamilies.find((f) => f.field === 'synth_subtype')!;
  assert.equal([synth.encoding, synth.members.every((x) => x.kind === 'value')], ['values', true]);
  assert.is(crypto.flagFamilies.find((f) => f.field === 'op_type')!.encoding, 'values', 'VIRTIO_CRYPTO_SYM_OP_CIPHER 1, ALGORITHM_CHAINING 2: one or the other');
  // A decimal single bit above the values is one of them, not a flag beside them.
  const m = modelOf('struct s {\n\tunsigned int kind;\n#define S_A 1\n#define S_B 3\n#define S_C 16\n\tunsigned int next;\n};\n', 'x86_64');
  assert.equal(m.flagFamilies[0].members.map((x) => x.kind), ['value', 'value', 'value']);
});

sem('a comment naming a field binds the run under it: `sqe->flags`, `(timex.status)`, `Used by: struct x.y`', () => {
  const bound = (m: ReturnType<typeof buildModel>, record: string) => Object.fromEntries(m.flagFamilies.filter((f) => f.record === record).map((f) => [f.field, f.members.map((x) => x.constant.name)]));
  const uring = buildModel(['linux/io_uring.h'], { abi: 'x86_64' });
  const sqe = bound(uring, 'io_uring_sqe');
  // Each flag has a note above it, one of them naming another field (`select buffer from sqe->buf_group`): a note, not a heading.
  assert.equal(sqe.flags, ['IOSQE_FIXED_FILE', 'IOSQE_IO_DRAIN', 'IOSQE_IO_LINK', 'IOSQE_IO_HARDLINK', 'IOSQE_ASYNC', 'IOSQE_BUFFER_SELECT', 'IOSQE_CQE_SKIP_SUCCESS']);
  // The timeout run ends where a name shares no prefix with it (SPLICE_F_FD_IN_FIXED, under its own heading).
  assert.equal(sqe.timeout_flags.at(-1), 'IORING_TIMEOUT_UPDATE_MASK');
  assert.equal(sqe.splice_flags, ['SPLICE_F_FD_IN_FIXED']);
  // Send and accept flags both live in sqe->ioprio, chosen by the opcode: neither binds. A sentinel
  // (`If sqe->file_index is set to this`) and a value in one case only (`cqe.res for IORING_CQE_F_NOTIF if ...`) bind nothing.
  for (const field of ['ioprio', 'file_index']) assert.not.ok(field in sqe, field);
  assert.equal(Object.keys(bound(uring, 'io_uring_cqe')), ['flags']);
  assert.equal(bound(uring, 'io_uring_params').features.length, 13);
  const family = uring.flagFamilies.find((f) => f.field === 'timeout_flags')!;
  assert.equal([family.source, family.namedBy?.ref, family.namedBy?.loc.line], ['comment', 'sqe->timeout_flags', 236]);
  // A member's trailing comment that runs on over lines does not end the run (openat2.h).
  assert.is(bound(buildModel(['linux/openat2.h'], { abi: 'x86_64' }), 'open_how').resolve.length, 6);
  // A blank line between groups of one prefix does not end it; the next prefix does.
  const status = bound(buildModel(['linux/timex.h'], { abi: 'x86_64' }), 'timex').status;
  assert.equal([status.length, status.at(-1)], [17, 'STA_RONLY']);
  // A path through inline records; the heading's word says `types`: values, one at a time.
  const kvm = buildModel(['linux/kvm.h'], { abi: 'x86_64' });
  assert.equal(bound(kvm, 'kvm_s390_zpci_op')['u.reg_aen.flags'], ['KVM_S390_ZPCIOP_REGAEN_HOST']);
  assert.is(kvm.flagFamilies.find((f) => f.record === 'kvm_s390_zpci_op' && f.field === 'op')!.encoding, 'values');
  // btrfs's `Used by:` with one field; a field that holds a type holds values, though the comment says flags.
  const dir = buildModel(['linux/btrfs_tree.h'], { abi: 'x86_64' }).flagFamilies.find((f) => f.record === 'btrfs_dir_item')!;
  assert.equal([dir.field, dir.encoding, dir.members[2].constant.name], ['type', 'values', 'BTRFS_FT_DIR']);
  // By one word: `<record> flags`, or `<word> flags` for the one field `<word>_flags` (fuse.h);
  // a plain word alone is English, not a field (dm-ioctl.h's `Status bits` are dm_ioctl.flags's).
  const fuse = buildModel(['linux/fuse.h'], { abi: 'x86_64' });
  assert.equal(bound(fuse, 'fuse_write_in').write_flags, ['FUSE_WRITE_CACHE', 'FUSE_WRITE_LOCKOWNER', 'FUSE_WRITE_KILL_SUIDGID', 'FUSE_WRITE_KILL_PRIV']);
  assert.equal(bound(fuse, 'fuse_attr').flags, ['FUSE_ATTR_SUBMOUNT', 'FUSE_ATTR_DAX']);
  assert.not.ok('status' in bound(buildModel(['linux/dm-ioctl.h'], { abi: 'x86_64' }), 'dm_target_spec'));
  // A heading on one case (`attr.config layout for type PERF_TYPE_HARDWARE and ...`) binds nothing.
  assert.not.ok(buildModel(['linux/perf_event.h'], { abi: 'x86_64' }).flagFamilies.some((f) => f.field === 'config'));
  // Inside a record the comment wins over where the run is written (by position S_M_* would be
  // size's); a field named in passing (`select from s->other`) is not a heading.
  const m = modelOf('struct s {\n\tunsigned int size;\n\t/* s->mode values */\n#define S_M_A 1\n#define S_M_B 2\n\tunsigned int other;\n#define S_F_X 0x1\n\tunsigned int mode;\n};\n/* select from s->other */\n#define S_O_A 0x1\n#define S_O_B 0x2\n', 'x86_64');
  assert.equal(m.flagFamilies.map((f) => `${f.field}: ${f.source} ${f.members.map((x) => x.constant.name)}`), ['mode: comment S_M_A,S_M_B', 'other: convention S_F_X']);
  // A heading ends the run above it though the names share a prefix; so does, after a blank line,
  // a comment naming another field. A first line naming two fields heads neither; a lone value is a sentinel, not a family.
  const t = modelOf(
    'struct t {\n\tunsigned int a;\n\tunsigned int b;\n\tunsigned int c;\n\tunsigned int d;\n\tunsigned int e;\n};\n' +
      '/* t->a flags */\n#define T_A_X 0x1\n/* t->b flags */\n#define T_B_Y 0x1\n\n/* t->c when T_B_Y is set */\n#define T_B_Z 0x4\n/* flags for t->d and t->e */\n#define T_D_X 0x1\n#define T_D_Y 0x2\n\n/* t->e */\n#define T_E_ANY 0xffffffff\n',
    'x86_64',
  );
  assert.equal(t.flagFamilies.map((f) => `${f.field}: ${f.members.map((x) => x.constant.name)}`), ['a: T_A_X', 'b: T_B_Y']);
});

sem('override encodings: bit numbers set 1 << n, values are never combined, and the constants leave the family they had', () => {
  const header = 'struct s {\n\tunsigned int flags;\n#define S_F_LOG 0\n#define S_F_DIRTY 3\n\tunsigned long long addr;\n#define S_KIND_A 1\n#define S_KIND_B 2\n#define S_KIND_C 3\n\tunsigned char kind;\n};\n';
  const m = modelOf(header, 'x86_64', {
    overrides: {
      flagFamilies: [
        { record: 's', field: 'flags', prefix: 'S_F_', encoding: 'bit-numbers' },
        { record: 's', field: 'kind', prefix: 'S_KIND_', encoding: 'values' },
      ],
    },
  });
  const flags = m.flagFamilies.find((f) => f.field === 'flags')!;
  assert.equal(flags.members.map((x) => [x.constant.name, x.constant.value, x.flag, x.kind]), [['S_F_LOG', 0n, 1n, 'bit'], ['S_F_DIRTY', 3n, 8n, 'bit']]);
  const kind = m.flagFamilies.find((f) => f.field === 'kind')!;
  assert.equal(kind.members.map((x) => x.kind), ['value', 'value', 'value'], 'by bit pattern 3 would be a mask of 1 and 2');
  assert.is(m.flagFamilies.length, 2, 'the convention bound S_KIND_* to addr; the override took them away');
  // A bit number the field cannot hold (or a flag word wider than the runtime's 32 bits) is refused where it is written.
  assert.throws(
    () => modelOf('struct t {\n\tunsigned char flags;\n#define T_F_HIGH 9\n};\n', 'x86_64', { overrides: { flagFamilies: [{ record: 't', field: 'flags', prefix: 'T_F_', encoding: 'bit-numbers' }] } }),
    /bit numbers of t\.flags must lie in 0\.\.7: T_F_HIGH = 9/,
  );
});

sem('overrides bind families the convention cannot see, and reject unknown names', () => {
  const m = buildModel(['linux/virtio_ring.h'], { abi: 'x86_64', overrides: overridesFor(['linux/virtio_ring.h']) });
  const desc = m.flagFamilies.find((f) => f.record === 'vring_desc')!;
  assert.equal(desc.members.map((x) => x.constant.name), ['VRING_DESC_F_NEXT', 'VRING_DESC_F_WRITE', 'VRING_DESC_F_INDIRECT']);
  assert.is(desc.source, 'override');
  assert.throws(() => modelOf('struct s { int flags; };\n#define S_F_A 1\n', 'x86_64', { overrides: { flagFamilies: [{ record: 's', field: 'nope', prefix: 'S_F_' }] } }), /UG304|no field/);
  // Read partly (one side of a diff): a member the header lacks is left out, a record it lacks skips the override.
  const named = { flagFamilies: [{ record: 's', field: 'flags', members: ['S_F_A', 'S_F_B'] }, { record: 'gone', field: 'flags', prefix: 'S_F_' }] };
  assert.throws(() => modelOf('struct s { int flags; };\n#define S_F_A 1\n', 'x86_64', { overrides: named }), /names no constant: S_F_B|no record 'gone'/);
  const partly = modelOf('struct s { int flags; };\n#define S_F_A 1\n', 'x86_64', { overrides: { ...named, partial: true } });
  assert.equal(partly.flagFamilies.map((f) => `${f.field}: ${f.members.map((m) => m.constant.name)}`), ['flags: S_F_A']);
});

sem.run();
