#!/usr/bin/env bash
# Boot test (issue 13): the README's one install command on a fresh Debian 12, then the box really
# booted, with systemd as PID 1, in a virtual machine of the centre's size (1 GB, 2 CPUs):
#   1. a Debian 12 root file system (debootstrap; the base is cached under /var/tmp, a copy is used);
#   2. a clean clone of the committed HEAD in it, and `deploy/install.sh --demo-county …` in a chroot
#      of it (where apt and pip reach the network);
#   3. an ext4 disk image of it, booted with qemu (KVM when there is /dev/kvm), its kernel and initrd;
#   4. checks from outside (deploy/boot_test_vm.py): the kiosk answers by itself, the units are active,
#      a resident's request reaches the demo county, restarts and kill -9 are survived, a power cut
#      (qemu killed, booted again from the same disk) keeps the request; a picture of the screen; the
#      box's memory while kiosk-voice renders the prompts in the neural voice (boot-test-memory).
# Needs root. Prints PASS/FAIL per check, exits non-zero on any failure, always cleans up.
#   make boot-test                       (or: sudo deploy/boot-test.sh)
#   KEEP=1 deploy/boot-test.sh           keep the work folder (root fs, disk image, logs)
#   BOOT_TEST_SCREEN=0 deploy/boot-test.sh   install with --no-screen (no Chromium, no cage)
#   BOOT_TEST_PORT=18080                 the host's loopback port forwarded to the kiosk's 8080
# Logs of the last run stay in /var/tmp/kiosk-boot-test/last-run/ (install, serial consoles, journals).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && git rev-parse --show-toplevel)
CACHE=${BOOT_TEST_CACHE:-/var/tmp/kiosk-boot-test}
BASE=$CACHE/base
LOGS=$CACHE/last-run
PORT=${BOOT_TEST_PORT:-18080}
SCREEN=${BOOT_TEST_SCREEN:-1}
CA=/etc/ssl/certs/ca-certificates.crt
started=$(date +%s)
say() { echo "[boot-test $(( $(date +%s) - started ))s] $*"; }
die() { echo "[boot-test] FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run this as root (debootstrap, chroot, mkfs)"

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v python3 >/dev/null || need+=(python3)
command -v unshare >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The Debian mirror this machine's apt uses (deb822 sources first, then the classic list), as
# ../shared/tools/fresh-debian finds it.
debian_mirror() {
  # (either file may be missing: a missing one must not end the script under pipefail)
  { awk '/^URIs:/{print $2}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true
    awk '$1=="deb"{print $2}' /etc/apt/sources.list 2>/dev/null || true; } | grep -v -- '-security' | head -1
}

mkdir -p "$CACHE" "$CACHE/apt-archives" "$CACHE/pip-cache"
rm -rf "$LOGS" && mkdir -p "$LOGS"

# 1. The base: what a fresh Debian 12 has (required and important packages), a kernel, systemd as init.
if [ ! -f "$BASE/.complete" ]; then
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*"
  say "building the base once (debootstrap bookworm from $mirror, a few minutes)"
  rm -rf "$BASE" "$BASE.new"
  debootstrap --include=systemd,systemd-sysv,udev,iproute2,linux-image-amd64,ca-certificates,git,make \
    bookworm "$BASE.new" "$mirror" >"$CACHE/base.log" 2>&1 || die "debootstrap failed: see $CACHE/base.log"
  # the same sources as this machine's apt (updates and security included)
  rm -f "$BASE.new/etc/apt/sources.list"
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then cp /etc/apt/sources.list.d/*.sources "$BASE.new/etc/apt/sources.list.d/"; fi
  [ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$BASE.new/etc/apt/sources.list"
  touch "$BASE.new/.complete"
  mv "$BASE.new" "$BASE"
fi

work=$(mktemp -d "$CACHE/work-XXXX")
root=$work/root
mounted=()
finish() {
  local rc=$?
  if [ -s "$work/qemu.pid" ]; then kill -9 "$(cat "$work/qemu.pid")" 2>/dev/null || true; fi
  if [ -d "$root" ]; then
    for p in /proc/[0-9]*; do [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -9 "${p#/proc/}" 2>/dev/null; done
  fi
  local i
  for (( i=${#mounted[@]}-1; i>=0; i-- )); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  cp -a "$work"/*.log "$LOGS/" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "[boot-test] kept: $work" >&2
  else rm -rf --one-file-system "$work"; fi
  say "done in $(( $(date +%s) - started ))s (logs: $LOGS)"
  exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

say "copying the base to $root"
mkdir -p "$root"
cp -a "$BASE/." "$root/"
cp "$CA" "$root/etc/ssl/certs/ca-certificates.crt"  # the network here reaches the registries through it
cp /etc/resolv.conf "$root/etc/resolv.conf"

# 2. A clean clone of the committed HEAD, and the README's one install command in a chroot.
commit=$(git -C "$repo" rev-parse --short HEAD)
git clone -q "$repo" "$root/root/kiosk"
say "cloned $commit into the box; running deploy/install.sh there (a chroot: apt and pip reach the network)"
bind() { mkdir -p "$2"; mount --bind "$1" "$2"; mounted+=("$2"); }
for m in proc sys dev dev/pts; do bind "/$m" "$root/$m"; done
mkdir -p "$root/dev/shm"; mount -t tmpfs tmpfs "$root/dev/shm"; mounted+=("$root/dev/shm")
bind "$CACHE/apt-archives" "$root/var/cache/apt/archives"   # downloads only: the install still runs whole
bind "$CACHE/pip-cache" "$root/root/.cache/pip"
install_args=(--demo-county --centre-name "启动测试社区服务中心" --public-url "http://10.0.2.15:8080")
[ "$SCREEN" = 1 ] || install_args+=(--no-screen)
install_started=$(date +%s)
# its own host name (the installer takes the kiosk's id from it), not this machine's
if ! unshare --uts chroot "$root" env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
     LANG=C.UTF-8 PIP_CERT=$CA REQUESTS_CA_BUNDLE=$CA SSL_CERT_FILE=$CA CURL_CA_BUNDLE=$CA GIT_SSL_CAINFO=$CA \
     SSL_CERT_DIR=/etc/ssl/certs PIP_DEFAULT_TIMEOUT=180 \
     bash -c 'hostname kiosk-boot && cd /root/kiosk && deploy/install.sh "$@"' install "${install_args[@]}" \
     >"$work/install.log" 2>&1; then
  tail -30 "$work/install.log" >&2
  die "deploy/install.sh ${install_args[*]} failed in the chroot (install.log)"
fi
echo "PASS install: deploy/install.sh ${install_args[*]} ($(( $(date +%s) - install_started ))s)"
for p in /proc/[0-9]*; do [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill "${p#/proc/}" 2>/dev/null; done
for (( i=${#mounted[@]}-1; i>=0; i-- )); do umount -l "${mounted[$i]}"; done
mounted=()

# What the test itself needs in the box, none of it the kiosk's: a host name, the root file system,
# DHCP on qemu's network, and a command channel (a virtio serial port) for the checks from outside.
echo kiosk-boot > "$root/etc/hostname"
printf '127.0.1.1\tkiosk-boot\n' >> "$root/etc/hosts"
echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' > "$root/etc/fstab"
cat > "$root/etc/systemd/network/50-qemu.network" <<'EOF'
[Match]
Name=en*
[Network]
DHCP=yes
EOF
ln -sf /lib/systemd/system/systemd-networkd.service "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
mkdir -p "$root/etc/systemd/system/network-online.target.wants"
ln -sf /lib/systemd/system/systemd-networkd-wait-online.service \
  "$root/etc/systemd/system/network-online.target.wants/systemd-networkd-wait-online.service"
cat > "$root/usr/local/sbin/boot-test-agent" <<'EOF'
#!/bin/bash
# Test harness only (deploy/boot-test.sh): runs each line the host sends on the virtio port as a
# command ("ID COMMAND"), answers its output and then "\x1eEND ID RC" (the host skips the answers of
# commands it gave up waiting for).
port=/dev/virtio-ports/org.kiosk.boottest
while true; do  # the host may connect and go; wait for it again
  [ -e "$port" ] || { sleep 1; continue; }
  exec 3<>"$port"
  while IFS= read -r line <&3; do
    id=${line%% *}
    out=$(timeout 600 bash -c "${line#* }" 2>&1); rc=$?
    printf '%s\n\036END %s %s\n' "$out" "$id" "$rc" >&3
  done
  exec 3>&-
  sleep 0.5
done
EOF
chmod 0755 "$root/usr/local/sbin/boot-test-agent"
cat > "$root/etc/systemd/system/boot-test-agent.service" <<'EOF'
[Unit]
Description=Boot test command channel (test harness only)
DefaultDependencies=no
After=systemd-udevd.service
[Service]
ExecStart=/usr/local/sbin/boot-test-agent
Restart=always
[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/boot-test-agent.service "$root/etc/systemd/system/multi-user.target.wants/boot-test-agent.service"
# The box's memory while it renders the spoken prompts (issue 22: the whole box stays under its 1 GB):
# from early in each boot, every 2 s for at most an hour, a line of what is in use (RAM: MemTotal -
# MemAvailable; swap) and each kiosk unit's cgroup memory.current/memory.peak, and user.slice's (cage
# and Chromium run in the login session's scope there, not in kiosk-screen's cgroup). /run: one per boot.
cat > "$root/usr/local/sbin/boot-test-memory" <<'EOF'
#!/bin/bash
# Test harness only (deploy/boot-test.sh; read by deploy/boot_test_vm.py):
# "UPTIME mem=B swap=B total=B UNIT=CURRENT/PEAK ... user.slice=CURRENT/PEAK" (bytes), every 2 s.
out=/run/boot-test-memory.log
limit=${1:-3600}
while :; do
  read -r up _ < /proc/uptime
  while read -r key value _; do
    case $key in MemTotal:) mt=$value ;; MemAvailable:) ma=$value ;; SwapTotal:) st=$value ;; SwapFree:) sf=$value ;; esac
  done < /proc/meminfo
  line="$up mem=$(( (mt - ma) * 1024 )) swap=$(( (st - sf) * 1024 )) total=$(( mt * 1024 ))"
  for unit in kiosk-web kiosk-sync kiosk-screen kiosk-voice kiosk-county; do
    for dir in /sys/fs/cgroup/*.slice/$unit.service; do
      [ -r "$dir/memory.current" ] || continue
      read -r current < "$dir/memory.current"; peak=0; [ -r "$dir/memory.peak" ] && read -r peak < "$dir/memory.peak"
      line+=" $unit=$current/$peak"
    done
  done
  current=0; peak=0
  [ -r /sys/fs/cgroup/user.slice/memory.current ] && read -r current < /sys/fs/cgroup/user.slice/memory.current
  [ -r /sys/fs/cgroup/user.slice/memory.peak ] && read -r peak < /sys/fs/cgroup/user.slice/memory.peak
  echo "$line user.slice=$current/$peak" >> "$out"
  [ "${up%.*}" -lt "$limit" ] || exit 0
  sleep 2
done
EOF
chmod 0755 "$root/usr/local/sbin/boot-test-memory"
cat > "$root/etc/systemd/system/boot-test-memory.service" <<'EOF'
[Unit]
Description=Boot test: the box's memory every 2 s for an hour (test harness only)
DefaultDependencies=no
After=local-fs.target
[Service]
ExecStart=/usr/local/sbin/boot-test-memory 3600
[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/boot-test-memory.service "$root/etc/systemd/system/multi-user.target.wants/boot-test-memory.service"

kernels=("$root"/boot/vmlinuz-*)
kernel=${kernels[-1]}
initrd=$root/boot/initrd.img-${kernel##*/vmlinuz-}
[ -f "$initrd" ] || die "no initrd for $kernel"
cp "$kernel" "$work/vmlinuz"; cp "$initrd" "$work/initrd.img"

# 3. The disk image: the root fs and 1.5 GB free (the database, the journal, the spoken prompts).
used=$(du -sm --one-file-system "$root" | cut -f1)
size=$(( used + 1536 ))
say "making a ${size} MB ext4 image of the root fs (${used} MB used)"
truncate -s "${size}M" "$work/disk.raw"
mkfs.ext4 -q -F -L kiosk-root -d "$root" "$work/disk.raw" || die "mkfs.ext4 -d failed"
[ -n "${KEEP:-}" ] || rm -rf --one-file-system "$root"

# 4. Boot it, and check it from outside.
say "booting it (qemu, 1 GB, 2 CPUs) and checking"
python3 "$repo/deploy/boot_test_vm.py" --work "$work" --port "$PORT" --screen "$SCREEN" \
  --screenshot "$CACHE/boot-test-screen.png"
