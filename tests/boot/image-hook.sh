#!/bin/sh
# mmdebstrap hook for the boot-test image (tests/boot/run.sh); $1 is the root.
#   setup:     a slim initramfs: only the modules that find and mount the root disk.
#   customize: fstab, a static address for qemu's user network, the test agent.
set -eu
root="$1"
here="$(cd "$(dirname "$0")" && pwd)"
case "${MMDEBSTRAP_HOOK:-}" in
  setup)
    mkdir -p "$root/etc/initramfs-tools/conf.d"
    printf 'MODULES=list\nCOMPRESS=zstd\n' >"$root/etc/initramfs-tools/conf.d/sbcmon-boot-test"
    # initramfs-tools' own conffile; --dpkgopt=force-confold keeps this copy.
    printf 'virtio_pci\nvirtio_blk\next4\n' >"$root/etc/initramfs-tools/modules"
    ;;
  customize)
    printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' >"$root/etc/fstab"
    echo sbcmon-boot >"$root/etc/hostname"
    mkdir -p "$root/etc/systemd/network"
    printf '[Match]\nName=eth0\n\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\n' \
      >"$root/etc/systemd/network/10-qemu-user.network"
    install -D -m 0755 "$here/agent.sh" "$root/usr/local/sbin/sbcmon-test-agent"
    install -D -m 0644 "$here/sbcmon-test-agent.service" \
      "$root/etc/systemd/system/sbcmon-test-agent.service"
    systemctl --root="$root" enable systemd-networkd.service sbcmon-test-agent.service
    # Nothing in this image needs them, and they only slow the boot.
    systemctl --root="$root" mask systemd-networkd-wait-online.service apt-daily.timer \
      apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer 2>/dev/null || true
    # Drivers a virtio guest never loads: a smaller image, a faster mke2fs.
    for d in drivers/gpu drivers/media drivers/net/wireless drivers/infiniband \
             drivers/staging sound net/wireless net/mac80211 net/bluetooth; do
      rm -rf "$root"/lib/modules/*/kernel/$d
    done
    ;;
esac
