"""The boot test's second half (deploy/boot-test.sh made the disk image): boot the box in qemu, as the
centre's board (1 GB, 2 CPUs), and check it from outside, with nothing started by hand.

Standard library only (it runs on the host's python3, outside the kiosk's venv). Every wait is
bounded. The guest is reached three ways: the kiosk's port forwarded to the host's loopback; a command
channel (a virtio serial port, served in the box by boot-test-agent.service, a part of the test
only); the serial console, logged to a file. A power cut is qemu killed with SIGKILL.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from pathlib import Path

UNITS = ["kiosk-web", "kiosk-sync", "kiosk-county"]
FAILED: list[str] = []
STARTED = time.monotonic()
SLOW = 1  # every wait is this many times longer under TCG (emulation) than under KVM


def report(ok: bool, name: str, detail: str = "") -> bool:
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}  [{time.monotonic() - STARTED:.0f}s]", flush=True)
    if not ok:
        FAILED.append(name)
    return ok


def wait_for(check, seconds: float, every: float = 1.0, scaled: bool = True):
    """check() until it gives something true, or None after ``seconds`` (times SLOW unless not
    ``scaled``; bounded)."""
    deadline = time.monotonic() + seconds * (SLOW if scaled else 1)
    while time.monotonic() < deadline:
        try:
            result = check()
        except (OSError, ValueError, urllib.error.URLError):
            result = None
        if result:
            return result
        time.sleep(every)
    return None


class VM:
    def __init__(self, work: Path, port: int, screen: bool):
        self.work, self.port, self.screen = work, port, screen
        self.process: subprocess.Popen | None = None
        self.boots = 0
        self.kvm: bool | None = None
        self.asked = 0
        self.channel: socket.socket | None = None
        self.buffer = b""

    def kvm_works(self) -> bool:
        """Whether a stock Debian kernel boots under this machine's KVM: /dev/kvm may be there and still
        not run one (a PVM host, kvm_pvm, runs only kernels built as its guests: the kernel stalls
        before its first line). The kernel alone, no disk: it prints "Linux version" within seconds."""
        if not os.access("/dev/kvm", os.R_OK | os.W_OK):
            print("WARNING: no /dev/kvm: booting under TCG (emulation), every step is several times slower", flush=True)
            return False
        log = self.work / "kvm-probe.log"
        probe = subprocess.Popen(["qemu-system-x86_64", "-enable-kvm", "-m", "256", "-kernel", str(self.work / "vmlinuz"),
                                  "-append", "console=ttyS0 panic=-1", "-display", "none", "-monitor", "none",
                                  "-no-reboot", "-serial", f"file:{log}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            works = bool(wait_for(lambda: b"Linux version" in log.read_bytes(), 30, 0.5))
        finally:
            probe.kill()
            probe.wait()
        if not works:
            print("WARNING: /dev/kvm is there but a stock kernel does not boot under it (no \"Linux version\" in 30 s): "
                  "booting under TCG (emulation), every step is several times slower", flush=True)
        return works

    def start(self) -> None:
        self.boots += 1
        self.powered_on = time.monotonic()
        if self.kvm is None:
            global SLOW
            self.kvm = self.kvm_works()
            SLOW = 1 if self.kvm else 4
        kvm = self.kvm
        for sock in ("qmp.sock", "ctl.sock"):
            (self.work / sock).unlink(missing_ok=True)
        # The CPU: under KVM qemu's default ("-cpu host" fails under nested KVM: MSR 0x10a). Under TCG "max",
        # every instruction TCG emulates: its default (qemu64: SSE3 at most) is older than any box the kiosk
        # runs on, and the neural voice's numpy 2.4 needs x86-64-v2 (SSE4.2, POPCNT): on qemu64 it died
        # at import with "trap invalid opcode in _multiarray_umath" and the box spoke espeak-ng (2026-12-07).
        args = ["qemu-system-x86_64", *(["-enable-kvm"] if kvm else ["-accel", "tcg", "-cpu", "max"]),
                "-m", "1024", "-smp", "2", "-no-reboot",
                "-kernel", str(self.work / "vmlinuz"), "-initrd", str(self.work / "initrd.img"),
                # no_timer_check: under TCG on a busy host the kernel's IO-APIC timer check can fail and
                # panic it ("IO-APIC + timer doesn't work!": once, probing "-cpu max" beside a running test)
                "-append", "root=/dev/vda rw console=ttyS0 systemd.show_status=1 no_timer_check",
                "-drive", f"file={self.work / 'disk.raw'},format=raw,if=virtio,cache=writeback",
                "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{self.port}-:8080",
                "-device", "virtio-net-pci,netdev=net0",
                "-vga", "virtio", "-display", "none",  # wlroots needs PRIME import: bochs (-vga std) has none
                "-device", "qemu-xhci", "-device", "usb-tablet",
                "-serial", f"file:{self.work / f'serial-boot{self.boots}.log'}",
                "-qmp", f"unix:{self.work / 'qmp.sock'},server=on,wait=off",
                "-chardev", f"socket,id=ctl,path={self.work / 'ctl.sock'},server=on,wait=off",
                "-device", "virtio-serial-pci", "-device", "virtserialport,chardev=ctl,name=org.kiosk.boottest",
                "-monitor", "none"]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=open(self.work / "qemu.log", "a"),
                                        stderr=subprocess.STDOUT)
        (self.work / "qemu.pid").write_text(str(self.process.pid))
        self.channel, self.buffer = None, b""

    def power_cut(self) -> None:
        """What a power cut is to the box: the machine stops, no shutdown, whatever was not on disk is gone."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        if self.channel:
            self.channel.close()
        self.channel = None

    def stop(self) -> None:
        self.power_cut()
        (self.work / "qemu.pid").unlink(missing_ok=True)

    def run(self, command: str, timeout: float = 60) -> tuple[int, str]:
        """Run a shell command in the guest (as root) through the command channel."""
        timeout *= SLOW
        if self.channel is None:
            self.channel = socket.socket(socket.AF_UNIX)
            self.channel.connect(str(self.work / "ctl.sock"))
            self.buffer = b""
        self.channel.settimeout(timeout)
        self.asked += 1
        self.channel.sendall(f"{self.asked} {command}".replace("\n", " ").encode() + b"\n")
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(rb"\x1eEND (\d+) (\d+)\n", self.buffer)
            if found:
                out, self.buffer = self.buffer[:found.start()], self.buffer[found.end():]
                if int(found.group(1)) != self.asked:
                    continue  # the late answer of a command given up on
                return int(found.group(2)), out.decode(errors="replace").rstrip("\n")
            if time.monotonic() > deadline:
                raise TimeoutError(command)
            chunk = self.channel.recv(65536)
            if not chunk:
                raise ConnectionError("command channel closed")
            self.buffer += chunk

    def reachable(self) -> bool:
        """The command channel answers (the box is up far enough to run boot-test-agent)."""
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"qemu exited ({self.process and self.process.returncode}): see qemu.log")
        try:
            return self.run("echo ready", timeout=5) == (0, "ready")
        except (OSError, TimeoutError, ConnectionError):
            if self.channel:
                self.channel.close()
            self.channel = None
            return False

    def qmp(self, command: str, **arguments) -> dict:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(30)
            s.connect(str(self.work / "qmp.sock"))
            stream = s.makefile("rwb")
            stream.readline()  # the greeting
            for message in ({"execute": "qmp_capabilities"}, {"execute": command, "arguments": arguments}):
                stream.write(json.dumps(message).encode() + b"\n")
                stream.flush()
                while True:
                    answer = json.loads(stream.readline())
                    if "return" in answer or "error" in answer:
                        break
            return answer


class Resident:
    """A browser's cookies and the form tokens, as tests/test_power_cut.py's submit() does it."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.opener.addheaders = [("Accept-Language", "zh-CN")]

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=15 * SLOW) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def post(self, path: str, **data) -> tuple[int, str]:
        status, page = self.get(path)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, **data}).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30 * SLOW) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


def start_page(base: str) -> int | None:
    status, page = Resident(base).get("/")
    return status if status == 200 and "<html" in page else None


def units_state(vm: VM, units: list[str]) -> dict[str, str]:
    _, out = vm.run("systemctl is-active " + " ".join(units) + " || true")
    return dict(zip(units, out.split()))


def main_pid(vm: VM, unit: str) -> int:
    return int(vm.run(f"systemctl show -p MainPID --value {unit}")[1] or 0)


def guest_json(vm: VM, url: str, timeout: float = 30):
    """GET a JSON document from inside the guest (its loopback: /health.json, the county on 8311)."""
    code = f"import urllib.request; print(urllib.request.urlopen({url!r}, timeout=20).read().decode())"
    rc, out = vm.run(f"python3 -c {shlex_quote(code)}", timeout=timeout)
    return json.loads(out) if rc == 0 else None


def shlex_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def ppm_to_png(ppm: bytes) -> bytes:
    """qemu's screendump is a binary PPM (P6, maxval 255); a PNG of it, with zlib alone."""
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", ppm)
    width, height = int(header.group(1)), int(header.group(2))
    pixels = ppm[header.end():]
    rows = b"".join(b"\x00" + pixels[y * width * 3:(y + 1) * width * 3] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def dump_journal(vm: VM, name: str) -> None:
    try:
        _, out = vm.run("journalctl -b --no-pager -o short-monotonic -u 'kiosk-*' -u systemd-logind -u boot-test-agent", timeout=60)
        (vm.work / f"journal-{name}.log").write_text(out + "\n")
        # cage and Chromium: pam_systemd moves them into the login session's scope, not kiosk-screen's
        _, out = vm.run("journalctl -b --no-pager -o short-monotonic _UID=$(id -u kiosk-screen) | tail -400", timeout=60)
        (vm.work / f"journal-{name}-screen.log").write_text(out + "\n")
        _, out = vm.run("systemctl --no-pager status 'kiosk-*'; systemctl --failed --no-pager; free -m; "
                        "systemd-analyze; systemd-analyze blame | head -20", timeout=60)
        (vm.work / f"status-{name}.log").write_text(out + "\n")
    except (OSError, TimeoutError, ConnectionError) as error:
        print(f"(no journal for {name}: {error})", flush=True)


def boot(vm: VM, label: str, units: list[str]) -> bool:
    """Boot and wait, touching nothing, for the kiosk to answer; then read the units' state."""
    began = time.monotonic()
    vm.start()
    up = wait_for(vm.reachable, 300, every=2)
    if not report(bool(up), f"{label}: the box booted (systemd as PID 1, command channel up)",
                  f"{time.monotonic() - began:.0f}s after power on"):
        return False
    _, init = vm.run("readlink /proc/1/exe; cat /proc/1/comm")
    report("systemd" in init, f"{label}: PID 1 is systemd", init.replace("\n", " "))
    status = wait_for(lambda: start_page(f"http://127.0.0.1:{vm.port}"), 240, every=2)
    report(status == 200, f"{label}: start page answers on the forwarded port by itself",
           f"200 at {time.monotonic() - began:.0f}s after power on" if status else f"no answer in {240 * SLOW} s")
    states = wait_for(lambda: (lambda s: s if all(v == "active" for v in s.values()) else None)(units_state(vm, units)), 60, 2)
    report(bool(states), f"{label}: units active", json.dumps(states or units_state(vm, units)))
    return bool(status)


def health_check(vm: VM, label: str) -> None:
    document = wait_for(lambda: guest_json(vm, "http://127.0.0.1:8080/health.json"), 60, 3)
    if not report(bool(document), f"{label}: /health.json answers (from the box itself)"):
        return
    figures = {f.get("name"): f for f in document.get("figures", [])} if isinstance(document.get("figures"), list) \
        else document.get("figures", {})
    integrity = figures.get("integrity") or {}
    report(integrity.get("verdict") == "green", f"{label}: start-up integrity check (PRAGMA quick_check) passed",
           json.dumps(integrity, ensure_ascii=False)[:300])
    reds = [name for name, f in figures.items() if isinstance(f, dict) and f.get("verdict") == "red"]
    print(f"     health overall: {document.get('overall')}; red figures: {reds or 'none'}", flush=True)
    rc, journal = vm.run("journalctl -b -u kiosk-web --no-pager | grep -ci damaged || true")
    report(journal.strip() == "0", f"{label}: kiosk-web's journal reports no damaged database")


#: Issue 22: the whole box (screen, kiosk, sync, speech) stays under its 1 GB while the neural voice renders.
BOX_BUDGET = 1 << 30
#: What boot-test-memory samples (deploy/boot-test.sh): the kiosk's units, and user.slice, where cage and
#: Chromium run (the login session's scope, not kiosk-screen's cgroup).
MEMORY_PARTS = ["kiosk-web", "kiosk-sync", "kiosk-screen", "kiosk-voice", "kiosk-county", "user.slice"]
#: The spoken prompts made so far, by sample rate as opusenc keeps it (OpusHead's input rate): the neural
#: voice's WAVs are 24 kHz (engines/speech/neural_child.py), espeak-ng's 22.05 kHz; with the seconds of
#: speech (the last Ogg page's granule) and when each was made.
AUDIO_MADE = r"""
import glob, json, os, struct, time
found = {}
for name in glob.glob('/opt/kiosk/static/audio/*.opus'):
    with open(name, 'rb') as f:
        data = f.read()
    head, last = data.find(b'OpusHead'), data.rfind(b'OggS')
    if head < 0 or last < 0:
        continue
    rate = struct.unpack('<I', data[head + 12:head + 16])[0]
    speech = (struct.unpack('<q', data[last + 6:last + 14])[0] - struct.unpack('<H', data[head + 10:head + 12])[0]) / 48000
    row = found.setdefault(str(rate), {'files': 0, 'speech_s': 0.0, 'first': 1e12, 'last': 0})
    made = os.path.getmtime(name)
    row['files'] += 1; row['speech_s'] += speech
    row['first'] = min(row['first'], made); row['last'] = max(row['last'], made)
print(json.dumps({'now': time.time(), 'uptime': float(open('/proc/uptime').read().split()[0]), 'rates': found}))
"""


#: Mandarin prompts the neural voice made whose compression failed (engines/speech/cache.py: opusenc's 30 s).
NOT_COMPRESSED = ("journalctl -b -u kiosk-voice -o cat --no-pager | "
                  "grep -c 'not rendered (zh_[A-Za-z_]*, mandarin, [a-z]*): could not compress' || true")


def audio_made(vm: VM) -> dict:
    rc, out = vm.run(f"python3 -c {shlex_quote(AUDIO_MADE)}", timeout=60)
    return json.loads(out) if rc == 0 else {"now": 0, "rates": {}}


def memory_samples(vm: VM) -> list[dict]:
    """boot-test-memory's lines of this boot: {"up", "mem", "swap", "total", part: (current, peak)}."""
    _, out = vm.run("cat /run/boot-test-memory.log", timeout=60)
    samples = []
    for line in out.splitlines():
        fields = line.split()
        try:
            sample: dict = {"up": float(fields[0])}
            for field in fields[1:]:
                key, value = field.split("=", 1)
                sample[key] = tuple(int(v or 0) for v in value.split("/")) if "/" in value else int(value)
        except (ValueError, IndexError):
            continue
        samples.append(sample)
    return samples


def mb(size: float) -> str:
    return f"{size / (1 << 20):.0f} MB"


def voice_memory(vm: VM, base: str, label: str, target: int = 5) -> None:
    """Issue 22, point 3: while kiosk-voice (its timer: a minute after boot) renders the prompts in the
    neural voice, the whole box stays under its 1 GB, nothing is killed for want of memory, and the start
    page still answers. Waits until ``target`` prompts are made in the neural voice, the build ends, or
    a limit (minutes after power on: 10 on KVM, 35 under emulation, where the voice is ~10x slower). A
    prompt counts as made in the neural voice when its Opus file says 24 kHz, or when the voice made it
    and only opusenc passed its 30 s limit (under emulation: kiosk-voice's journal says so)."""
    began = time.monotonic()
    deadline = vm.powered_on + (10 if SLOW == 1 else 35) * 60
    said = wait_for(lambda: vm.run("journalctl -b -u kiosk-voice -o cat --no-pager | grep -m1 '^Mandarin in'")[1].strip(),
                    max(deadline - time.monotonic(), 60), 10, scaled=False) or ""
    report("neural voice" in said, f"{label}: kiosk-voice speaks Mandarin in the neural voice inside the box",
           said or "no 'Mandarin in …' line in kiosk-voice's journal")
    answers: list[tuple[int, float]] = []
    made: dict = {"rates": {}}
    while True:
        asked = time.monotonic()
        try:
            status = start_page(base) or 0
        except (OSError, ValueError, urllib.error.URLError):
            status = 0
        answers.append((status, time.monotonic() - asked))
        made = audio_made(vm)
        uncompressed = int(vm.run(NOT_COMPRESSED)[1].strip() or 0) if "neural voice" in said else 0
        neural = made["rates"].get("24000", {}).get("files", 0) + uncompressed
        _, finished = vm.run("test -e /var/lib/kiosk/voice_build.json && echo yes")
        if neural >= target or finished.strip() == "yes" or time.monotonic() > deadline:
            break
        time.sleep(20)
    samples = memory_samples(vm)
    (vm.work / f"memory-{label.split(' (')[0].replace(' ', '')}.log").write_text(
        "\n".join(json.dumps(s) for s in samples) + "\n")
    _, ooms = vm.run("journalctl -b --no-pager -o cat | grep -iE 'oom-kill|out of memory|killed by the oom' | head -5")
    _, events = vm.run("for d in /sys/fs/cgroup/*.slice/kiosk-*.service /sys/fs/cgroup/user.slice; do "
                       "[ -r $d/memory.events ] && echo ${d##*/} $(tr '\\n' ' ' < $d/memory.events); done")
    _, failures = vm.run("journalctl -b -u kiosk-voice -o cat --no-pager | grep -c 'not rendered' || true")
    killed = [line for line in events.splitlines() if re.search(r"oom_kill [1-9]", line)]
    neural = made["rates"].get("24000", {})
    espeak = made["rates"].get("22050", {})
    if neural.get("files"):
        span = max(neural["last"] - neural["first"], 1.0)
        rate = (f"{neural['files']} prompts, {neural['speech_s']:.0f} s of speech, the first at "
                f"{made['uptime'] - (made['now'] - neural['first']):.0f} s after boot; "
                f"{(neural['files'] - 1) * 60 / span:.1f} prompts/min, {neural['speech_s'] / span:.2f} s of speech per s"
                if neural["files"] > 1 else f"1 prompt, {neural['speech_s']:.0f} s of speech")
    else:
        rate = "none"
    print(f"     neural voice: {rate}; espeak-ng: {espeak.get('files', 0)} prompts; "
          f"kiosk-voice 'not rendered' lines: {failures.strip()}; waited {time.monotonic() - began:.0f} s", flush=True)
    rate += f"; and {uncompressed} made but not compressed (opusenc passed its 30 s limit)" if uncompressed else ""
    count = neural.get("files", 0) + uncompressed
    enough = count >= target or finished.strip() == "yes" and count > 0
    if enough or SLOW == 1:
        report(enough, f"{label}: kiosk-voice rendered prompts in the neural voice while the box ran", rate)
    else:
        print(f"WARN {label}: only {count} prompts in the neural voice by the limit, under TCG "
              "(emulation ~10x slower than the box): the memory below is of fewer renders", flush=True)
    if not samples:
        report(False, f"{label}: the box's memory was sampled (boot-test-memory)", "no samples in /run/boot-test-memory.log")
        return
    top = max(samples, key=lambda s: s["mem"] + s["swap"])
    peaks = {part: max(max(s[part]) for s in samples if part in s)  # memory.peak, or memory.current where none
             for part in MEMORY_PARTS if any(part in s for s in samples)}
    at_top = {part: mb(top[part][0]) for part in MEMORY_PARTS if part in top}
    print(f"     memory: {len(samples)} samples every 2 s, {samples[0]['up']:.0f}–{samples[-1]['up']:.0f} s after boot; "
          f"box peak {mb(top['mem'])} RAM + {mb(top['swap'])} swap at {top['up']:.0f} s (of {mb(top['total'])}; "
          f"least available {mb(min(s['total'] - s['mem'] for s in samples))}); then: {at_top}", flush=True)
    print("     memory.peak per unit: " + ", ".join(f"{part} {mb(peak)}" for part, peak in peaks.items()), flush=True)
    print(f"     memory.events: {events.strip()}", flush=True)
    report(not ooms.strip() and not killed and top["mem"] + top["swap"] < BOX_BUDGET,
           f"{label}: the whole box stayed under 1 GB (RAM + swap in use) while the voice rendered, no OOM kill",
           f"peak {mb(top['mem'] + top['swap'])}; OOM: {(ooms.strip() or 'none')[:300]}{'; ' + '; '.join(killed) if killed else ''}")
    late = [round(took, 1) for status, took in answers if status != 200]
    times = sorted(took for status, took in answers if status == 200)
    report(not late and bool(times), f"{label}: the start page answered while the voice rendered",
           f"{len(times)}/{len(answers)} GETs answered, median {times[len(times) // 2]:.2f} s, slowest {times[-1]:.2f} s"
           if times else f"none of {len(answers)} GETs answered")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--screen", type=int, default=1)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    vm = VM(args.work, args.port, bool(args.screen))
    base = f"http://127.0.0.1:{args.port}"
    units = UNITS + (["kiosk-screen"] if args.screen else [])
    try:
        # a. the first boot: nobody starts anything
        if not boot(vm, "boot 1", units):
            dump_journal(vm, "boot1")
            return 1
        health_check(vm, "boot 1")
        if args.screen:
            # The first boot's screen: on the box (KVM here: the same speed) the start page draws in about
            # 10 s, and 150 s is the watchdog's two minutes and a restart. Under emulation everything is
            # about 10x slower, and the first boot also makes the spoken prompts (kiosk-voice, CPU-heavy
            # for some 20 minutes there): the first page drew at 87 s on one run, at 941 s and 308 s on
            # others (browsers whose network service crashed at their start sat idle, never to draw, until
            # the watchdog restarted them, with its back-off; docs/operations.md). 900 s is the watchdog's
            # grace for a browser still loading (--first-draw 600) and a restarted browser's first page
            # (about 100 s there) with room: about 90 s on a real box, not the 150 s asked of it.
            screenshot(vm, args.screenshot, limit=150 if SLOW == 1 else 900)
            white_screen(vm, args.screenshot)
        voice_memory(vm, base, "boot 1")

        # b. a resident's request, end to end over HTTP, and the sync service delivers it to the demo county
        resident = Resident(base)
        resident.post("/services/repairs")
        resident.post("/request/questions/what", answer="lift")
        resident.post("/request/questions/where", answer="启动测试 7号楼电梯")
        resident.post("/request/questions/danger", answer="no")
        resident.post("/request/contact", contact="centre")
        status, receipt = resident.post("/request/check")
        ticket = re.search(r'id="ticket-number"[^>]*>([A-Z0-9]+)<', receipt)
        code = re.search(r'class="check-code"[^>]*>(\d{6})<', receipt)
        if not report(status == 200 and bool(ticket and code), "a resident's request is saved (receipt with ticket)",
                      f"HTTP {status}, ticket {ticket.group(1) if ticket else None}"):
            dump_journal(vm, "boot1")
            return 1
        ticket, code = ticket.group(1), code.group(1)
        status_path = f"/status/{ticket}?c={code}"
        held = wait_for(lambda: guest_json(vm, "http://127.0.0.1:8311/requests.json?api_key=demo-kiosk-key"
                                               "&jurisdiction_id=demo-county"), 120, 3)
        county_id = held[0].get("service_request_id") if held else None
        report(bool(held) and len(held) == 1, "the sync service delivered it to the demo county (Open311, exactly once)",
               f"county holds {len(held or [])}: {county_id}")
        shown = wait_for(lambda: county_id and county_id in resident.get(status_path)[1], 120, 3)
        report(bool(shown), "the kiosk's status page shows the county's number", f"{status_path} → {county_id}")

        # c. restarts, and a kill -9 of the web server's main process
        before = {u: main_pid(vm, u) for u in ("kiosk-web", "kiosk-sync")}
        rc, out = vm.run("systemctl restart kiosk-web kiosk-sync kiosk-voice", timeout=600)
        print(f"     systemctl restart kiosk-web kiosk-sync kiosk-voice: exit {rc} {out}", flush=True)
        after = {u: main_pid(vm, u) for u in ("kiosk-web", "kiosk-sync")}
        states = units_state(vm, ["kiosk-web", "kiosk-sync"])
        _, voice = vm.run("systemctl show -p Result --value kiosk-voice")
        report(all(v == "active" for v in states.values()) and all(after[u] and after[u] != before[u] for u in after),
               "after the restart: web and sync active with new processes", f"{before} → {after}, {states}")
        if voice == "success" or SLOW == 1:
            report(voice == "success", "kiosk-voice (the prompts spoken ahead) ran to the end", f"Result={voice}")
        else:  # under emulation an opusenc of one prompt can pass engines/speech/cache.py's 30 s limit (Nice=15)
            print(f"WARN kiosk-voice Result={voice} under TCG (see journal-boot1.log: an opusenc timed out?); "
                  "not counted: emulation is ~10x slower than the box", flush=True)
        report(bool(wait_for(lambda: start_page(base), 60)), "the kiosk answers after the restart")
        for unit in ("kiosk-web", "kiosk-sync"):
            old = main_pid(vm, unit)
            vm.run(f"kill -9 {old}")
            back = wait_for(lambda: (lambda p: p if p and p != old and units_state(vm, [unit])[unit] == "active" else None)(
                main_pid(vm, unit)), 60)
            _, restarts = vm.run(f"systemctl show -p NRestarts --value {unit}")
            report(bool(back), f"kill -9 of {unit}'s main process: systemd starts it again by itself",
                   f"pid {old} → {back}, NRestarts={restarts}")
        report(bool(wait_for(lambda: start_page(base), 60)), "the kiosk answers after kill -9")
        dump_journal(vm, "boot1")

        # d. a power cut: qemu killed, then booted again from the same disk
        vm.power_cut()
        report(True, "power cut: qemu killed with SIGKILL (no shutdown)")
        if not boot(vm, "boot 2 (after the power cut)", units):
            dump_journal(vm, "boot2")
            return 1
        health_check(vm, "boot 2")
        status, page = resident.get(status_path)
        report(status == 200 and ticket in page and bool(county_id) and county_id in page,
               "the request saved before the power cut is still there (its status page)", f"HTTP {status}, {ticket}, {county_id}")
        held = guest_json(vm, "http://127.0.0.1:8311/requests.json?api_key=demo-kiosk-key&jurisdiction_id=demo-county")
        report(held is not None and len(held) == 1, "the county still holds it exactly once", f"{len(held or [])} held")
        if args.screen:
            screenshot(vm, args.screenshot.with_name(args.screenshot.stem + "-after-power-cut.png") if args.screenshot else None)
        dump_journal(vm, "boot2")
    finally:
        vm.stop()
    print(f"{'ALL PASSED' if not FAILED else 'FAILED: ' + '; '.join(FAILED)} ({time.monotonic() - STARTED:.0f}s in the VM)")
    return 1 if FAILED else 0


#: The kiosk's own colours (static/css/kiosk.css): the header band (--panel) and the text (--text).
#: Its start page at 1280×800 is about 8 % of each; a blank window, Chromium's "This page is blocked"
#: or a console has neither.
KIOSK_PANEL, KIOSK_TEXT = (243, 242, 241), (11, 12, 12)


def kiosk_colours(ppm: bytes) -> tuple[float, float]:
    """How much of the screen is in the kiosk's panel colour and in its text colour (a sample of pixels)."""
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", ppm)
    pixels = ppm[header.end():]
    step = 3 * 17  # every 17th pixel
    seen = panel = text = 0
    for i in range(0, len(pixels) - 2, step):
        colour = (pixels[i], pixels[i + 1], pixels[i + 2])
        seen += 1
        panel += colour == KIOSK_PANEL
        text += colour == KIOSK_TEXT
    return panel / max(seen, 1), text / max(seen, 1)


def screenshot(vm: VM, target: Path | None, limit: float | None = None) -> None:
    """The touchscreen, as qemu's display shows it: passes once it shows the kiosk's page (its header
    band and its text in the kiosk's colours), not merely a window; waits at most ``limit`` seconds of
    real time (300 s times SLOW unless given) for it."""
    began = time.monotonic()
    limit = 300 * SLOW if limit is None else limit
    left = lambda: max(began + limit - time.monotonic(), 1.0)  # noqa: E731 (the time left of the limit)
    wait_for(lambda: units_state(vm, ["kiosk-screen"])["kiosk-screen"] == "active", min(60 * SLOW, left()), scaled=False)
    seen = wait_for(lambda: vm.run("pgrep -u kiosk-screen -f 'chromium.*--type=renderer' >/dev/null && echo yes")[1] == "yes",
                    left(), 3, scaled=False)
    ppm = vm.work / "screen.ppm"
    shown = {"colours": (0.0, 0.0)}

    def drawn() -> bool:
        ppm.unlink(missing_ok=True)
        answer = vm.qmp("screendump", filename=str(ppm))
        if "error" in answer or not ppm.exists():
            return False
        shown["colours"] = kiosk_colours(ppm.read_bytes())
        return shown["colours"][0] > 0.02 and shown["colours"][1] > 0.01

    page = bool(seen) and wait_for(drawn, left(), 10, scaled=False)
    if not ppm.exists():
        report(False, "screendump of the touchscreen", "qemu wrote none")
        return
    png = ppm_to_png(ppm.read_bytes())
    out = target or vm.work / "screen.png"
    out.write_bytes(png)
    (vm.work / out.name).write_bytes(png)
    panel, text = shown["colours"]
    now = time.monotonic()
    report(bool(page), "the screen shows the kiosk's start page in Chromium under cage (kiosk-screen)",
           f"{panel:.0%} header band, {text:.0%} text, {'seen' if page else 'not seen'} {now - vm.powered_on:.0f} s "
           f"after power on ({now - began:.0f} s of this check's {limit:.0f} s); screendump in {out}")


def white_screen(vm: VM, target: Path | None) -> None:
    """Issue 19, item 16: the screen heals itself. Every kiosk page on the screen says it has drawn
    (GET /screen/drawn); every Chromium process of the screen is frozen (SIGSTOP: nothing draws, the
    last picture stays, no process exits, so only the drawn signal can tell); kiosk-screen-watchdog
    must restart the screen, by itself, and the start page be back and drawing within three minutes."""
    _, timer = vm.run("systemctl is-active kiosk-screen-watchdog.timer || true")
    report(timer.strip() == "active", "kiosk-screen-watchdog.timer is active", timer.strip())
    fresh = wait_for(lambda: (lambda s: s if s and s.get("drawn_seconds_ago") is not None
                              and s["drawn_seconds_ago"] < 40 else None)(guest_json(vm, "http://127.0.0.1:8080/screen/drawn")), 90, 5)
    if not report(bool(fresh), "the screen says it has drawn (GET /screen/drawn on the box)", json.dumps(fresh)):
        return
    _, before = vm.run("pgrep -u kiosk-screen '^chromium$' | sort | tr '\\n' ' '")
    vm.run("pkill -STOP -u kiosk-screen '^chrom'")
    frozen = time.monotonic()
    print(f"     white screen forced: every Chromium process of the screen stopped (SIGSTOP): {before}", flush=True)

    def back():
        signal = guest_json(vm, "http://127.0.0.1:8080/screen/drawn")
        waited = time.monotonic() - frozen
        return signal if signal and signal.get("start_page_seconds_ago") is not None \
            and signal["start_page_seconds_ago"] < waited - 5 else None
    healed = wait_for(back, 240 + (0 if SLOW == 1 else 180), 5, scaled=False)  # (the watchdog's clock is real)
    took = time.monotonic() - frozen
    _, restarts = vm.run("journalctl -b -u kiosk-screen-watchdog --no-pager | grep RESTART | tail -3")
    _, after = vm.run("pgrep -u kiosk-screen '^chromium$' | sort | tr '\\n' ' '")
    _, stopped = vm.run("ps -u kiosk-screen -o stat= | grep -c '^T' || true")
    print(f"     watchdog: {restarts.strip() or 'no RESTART in its journal'}", flush=True)
    limit = 180 if SLOW == 1 else 360  # under emulation Chromium alone takes a minute or more to start
    report(bool(healed) and took <= limit and not set(before.split()) & set(after.split()),
           "white screen: the watchdog restarted the screen and the start page drew again by itself",
           f"{took:.0f} s after the freeze (limit {limit} s{'' if SLOW == 1 else ', under emulation'}); "
           f"chromium {before.strip()} -> {after.strip()}")
    report(stopped.strip() == "0", "nothing of the frozen browser is left (kiosk-screen's ExecStopPost)",
           f"{stopped.strip()} stopped processes of kiosk-screen")
    if healed:
        screenshot(vm, target.with_name(target.stem + "-after-white-screen.png") if target else None)


if __name__ == "__main__":
    sys.exit(main())
