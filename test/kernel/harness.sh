#!/usr/bin/env bash
# Boots Debian's own kernel under QEMU (TCG, no KVM needed) with an emulated IOMMU and the host's
# root shared read-only over 9p, then runs the kernel tests inside with the project's own node
# (test/kernel/inside.js) and relays their result lines: `npm run test:kernel`, which .ci/run
# runs after `npm test`. Every wait is bounded; the guest console tail is shown on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROJECT=$(pwd)
TIMEOUT=${KERNEL_TEST_TIMEOUT:-300}
# More QEMU arguments for a run that needs them, word-split: with KERNEL_TEST_QEMU_ARGS='-trace
# virtqueue_flush -trace vtd_dmar_fault', QEMU's own account of each event goes to the console
# log among the guest's lines (how the used-ring fault in runtime/virtio/split-layout.ts was
# placed). KEEP_KERNEL_WORK=1 keeps that log, and the unpacked kernel, and says where.

need=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
# The initramfs needs a statically linked busybox; Debian's plain busybox is dynamic.
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v cpio >/dev/null 2>&1 || need+=(cpio)
command -v depmod >/dev/null 2>&1 || need+=(kmod)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
fail() {
  echo "kernel: $*" >&2
  exit 1
}
# A fresh machine may have no package lists yet: the kernel package is found through them too.
if [ ${#need[@]} -gt 0 ] || ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || fail "needs root to install ${need[*]:-nothing} and refresh the package lists (or install them and run again)"
  apt-get update -qq || fail "apt-get update failed: no Debian package lists"
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "kernel: installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null || fail "could not install ${need[*]}"
fi

# The guest sees the host's root as it is, read-only: the checkout and this folder included,
# wherever they are (a clone under /tmp too, so the guest must not mount anything over /tmp).
WORK=$(mktemp -d /var/tmp/uapigen-kernel.XXXXXX)
if [ -n "${KEEP_KERNEL_WORK:-}" ]; then
  echo "kernel: keeping $WORK (console.log: the guest's console and QEMU's messages)"
else
  trap 'rm -rf "$WORK"' EXIT
fi
IMAGE=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$IMAGE" ] || fail "apt does not know which kernel linux-image-amd64 stands for"
(cd "$WORK" && apt-get download "$IMAGE" >"$WORK/download.log" 2>&1) || fail "could not download $IMAGE: $(tail -n 1 "$WORK/download.log")"
dpkg-deb -x "$WORK"/linux-image-*.deb "$WORK/root" || fail "could not unpack $IMAGE"
KVER=$(ls "$WORK/root/lib/modules")
depmod -b "$WORK/root" "$KVER"

# The initramfs: busybox and the modules that reach the host's root over virtio 9p.
mkdir -p "$WORK/initrd/bin" "$WORK/initrd/lib/modules" "$WORK/initrd/proc" "$WORK/initrd/sys" "$WORK/initrd/dev" "$WORK/initrd/mnt"
cp /bin/busybox "$WORK/initrd/bin/busybox"
# In dependency order, as modprobe resolves it on the unpacked tree.
modprobe -a -d "$WORK/root" -S "$KVER" --show-depends virtio_pci 9pnet_virtio 9p | awk '/^insmod/ && !seen[$2]++ {print $2}' > "$WORK/modules.txt"
while read -r f; do cp "$f" "$WORK/initrd/lib/modules/"; basename "$f"; done < "$WORK/modules.txt" > "$WORK/initrd/lib/modules/order"
cat > "$WORK/initrd/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in \$(cat /lib/modules/order); do
  insmod /lib/modules/\$m || echo "KERNEL-TEST note insmod \$m failed"
done
mkdir -p /mnt
mount -t 9p -o trans=virtio,version=9p2000.L,ro hostroot /mnt || echo "KERNEL-TEST fatal cannot mount the host root"
mount -t proc proc /mnt/proc; mount -t sysfs sys /mnt/sys; mount -t devtmpfs dev /mnt/dev
# Somewhere writable for temporary files, away from the host's paths.
mkdir -p /mnt/dev/shm; mount -t tmpfs shm /mnt/dev/shm
chroot /mnt /bin/sh -c "modprobe -a -d $WORK/root -S $KVER vhost_net vfio-pci vfio_iommu_type1 tun >/dev/null 2>&1; cd $PROJECT && TMPDIR=/dev/shm node dist/test/kernel/inside.js"
echo o > /proc/sysrq-trigger
sleep 30 # power-off is asynchronous: init must not exit first
INIT
chmod +x "$WORK/initrd/init"
(cd "$WORK/initrd" && find . | cpio -o -H newc 2>/dev/null | gzip > "$WORK/initrd.img")

# The virtio-blk function's disk: a file of its own, 1 MiB (2048 sectors), zeroed.
truncate -s 1M "$WORK/disk.img"

set +e
timeout "$TIMEOUT" qemu-system-x86_64 ${KERNEL_TEST_QEMU_ARGS:-} -machine q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on \
  -m 2048 -smp 2 -nographic -no-reboot -kernel "$WORK/root/boot/vmlinuz-$KVER" -initrd "$WORK/initrd.img" \
  -append "console=ttyS0 panic=-1 intel_iommu=on quiet" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -device edu \
  -netdev hubport,id=net0,hubid=0 -netdev hubport,id=net1,hubid=0 \
  -device virtio-net-pci,netdev=net0,disable-legacy=on,iommu_platform=on,mac=52:54:00:00:00:01 \
  -device virtio-net-pci,netdev=net1,disable-legacy=on,iommu_platform=on,mac=52:54:00:00:00:02 \
  -drive file="$WORK/disk.img",format=raw,if=none,id=disk0 \
  -device virtio-blk-pci,drive=disk0,disable-legacy=on,iommu_platform=on,serial=uapigen-disk > "$WORK/console.log" 2>&1
status=$?
set -e
# A result line may share the console line with the firmware's last output: match it anywhere.
# QEMU's own messages in their place among them: what its virtio device said of a hostile ring
# (virtio_error) comes just before the guest's verdict on that ring.
grep -ao 'KERNEL-TEST .*\|^qemu-system-x86_64: .*' "$WORK/console.log" | grep -av 'warning: hub 0 is not connected' | sed 's/\r$//; s/^qemu-system-x86_64: /kernel: QEMU said: /' || true
if [ $status -ne 0 ] || ! grep -aq 'KERNEL-TEST done [0-9]* passed, 0 failed' "$WORK/console.log" || grep -aq 'KERNEL-TEST \(not ok\|fatal\)' "$WORK/console.log"; then
  if [ $status -eq 124 ]; then
    echo "kernel: the guest did not finish within ${TIMEOUT} s (KERNEL_TEST_TIMEOUT); QEMU was stopped"
  else
    echo "kernel: the guest did not finish cleanly (qemu status $status)"
  fi
  grep -a 'qemu[:-]' "$WORK/console.log" | head -n 5 | sed 's/\r$//' || true
  echo "kernel: console tail:"
  tail -n 30 "$WORK/console.log" | sed 's/\r$//'
  exit 1
fi
echo "kernel: $(grep -ao 'KERNEL-TEST done .*' "$WORK/console.log" | sed 's/^KERNEL-TEST done //; s/\r$//') in the guest"
