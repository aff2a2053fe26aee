#!/usr/bin/env python3
"""Workload comparison: the same i386 binaries natively, under emu and under
qemu-i386, in one run, reported as wall-clock ratios to native.

    cargo build --release
    python3 emu/benches/compare.py [--root DIR] [--reps N]

DIR holds Debian's busybox-static:i386 (bin/busybox), as .ci/run extracts it
into target/i386-root. Each figure is the minimum over N repetitions (the
least disturbed run). Needs an x86 host that runs i386 binaries natively;
qemu-i386 is optional (apt-get install qemu-user).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WS = os.path.normpath(os.path.join(HERE, "..", ".."))
EMU = os.path.join(WS, "target", "release", "emu")


def best(argv, reps, cwd):
    t = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        r = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            return None  # e.g. qemu-i386 gives no AT_SYSINFO (vDSO) to call
        t = min(t, dt)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.environ.get(
        "EMU_I386_ROOT", os.path.join(WS, "target", "i386-root")))
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    bb = os.path.join(a.root, "bin", "busybox")
    if not os.path.exists(EMU):
        raise SystemExit("build emu first: cargo build --release")
    if not os.path.exists(bb):
        raise SystemExit(f"{bb} missing (see .ci/run)")
    qemu = shutil.which("qemu-i386")
    loop = os.path.join(WS, "guest", "syscall", "bin", "getpid_loop")

    work = tempfile.mkdtemp(prefix="emu-compare-")
    data = os.path.join(work, "data")
    with open(data, "wb") as f:
        # 8 MiB of compressible, deterministic text.
        line = b"".join(b"%08d the quick brown fox jumps over the lazy dog\n" % i
                        for i in range(1000))
        while f.tell() < 8 << 20:
            f.write(line)

    # (name, argv, repetition multiplier: short runs get more tries)
    workloads = [
        ("startup: busybox true", [bb, "true"], 20),
        ("startup: hello (freestanding)", [os.path.join(WS, "guest", "bin", "hello")], 20),
        ("sha256sum 8 MiB", [bb, "sha256sum", "data"], 1),
        ("md5sum 8 MiB", [bb, "md5sum", "data"], 1),
        ("gzip -6 8 MiB", [bb, "gzip", "-c", "data"], 1),
        ("sort 8 MiB", [bb, "sort", "-r", "data"], 1),
        ("awk sum 8 MiB", [bb, "awk", "{s+=$1} END {print s}", "data"], 1),
        ("1M getpid, int $0x80", [loop, "i", "1000000"], 1),
        ("1M getpid, vDSO sysenter", [loop, "v", "1000000"], 1),
    ]
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for l in f:
                if l.startswith("model name"):
                    cpu = l.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    print(f"machine: {cpu}, {os.cpu_count()} cores; min of {a.reps} runs")
    print(f"| workload | native | emu | emu/native | qemu-i386 | qemu/native | emu/qemu |")
    print(f"|---|---|---|---|---|---|---|")
    for name, argv, inner in workloads:
        def timed(prefix):
            return best(prefix + argv, a.reps * inner, work)
        n = timed([])
        e = timed([EMU])
        q = timed([qemu]) if qemu else None
        ms = lambda t: f"{t*1e3:.2f} ms" if t is not None else "-"
        ratio = lambda a, b: f"{a/b:.3g}x" if a is not None and b else "-"
        print(f"| {name} | {ms(n)} | {ms(e)} | {ratio(e, n)} | {ms(q)} | "
              f"{ratio(q, n)} | {ratio(e, q)} |", flush=True)
    shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
