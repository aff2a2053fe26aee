#!/usr/bin/env python3
"""Workload comparison: the same i386 binaries natively, under emu and under
qemu-i386, in one run, reported as wall-clock ratios to native.

    cargo build --release
    python3 emu/benches/compare.py [--root DIR] [--reps N] [--only TEXT]

DIR holds Debian's busybox-static:i386 (bin/busybox), as .ci/run extracts it
into target/i386-root. Each figure is the minimum over N repetitions (the
least disturbed run). Needs an x86 host that runs i386 binaries natively;
qemu-i386 is optional (apt-get install qemu-user). The process and thread
workloads build guest/bench/*.c with gcc -m32 -static (skipped without it);
"fork 200 MB" is the time the program itself measures for fork + exit +
wait after touching 200 MB. --only runs the workloads whose names contain
TEXT.
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


def best(argv, reps, cwd, reported=False):
    """Minimum wall time of `reps` runs (or, with `reported`, of the
    microseconds the program prints)."""
    t = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        r = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            return None  # e.g. qemu-i386 gives no AT_SYSINFO (vDSO) to call
        if reported:
            dt = float(r.stdout.split()[-1]) / 1e6
        t = min(t, dt)
    return t


def build(work):
    """guest/bench/*.c, built for i386; {} without gcc -m32."""
    out = {}
    for name in ("threads", "forkbig"):
        src = os.path.join(WS, "guest", "bench", name + ".c")
        exe = os.path.join(work, name)
        r = subprocess.run(["gcc", "-m32", "-static", "-O2", "-pthread", "-o",
                            exe, src], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            out[name] = exe
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.environ.get(
        "EMU_I386_ROOT", os.path.join(WS, "target", "i386-root")))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", default="")
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

    progs = build(work)
    loop2000 = (f"i=0; while [ $i -lt 2000 ]; do {bb} true; "
                "i=$((i+1)); done")
    # (name, argv, repetition multiplier: short runs get more tries,
    #  whether the time is the one the program prints)
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
        ("100k signal round trips (kill self, handler, rt_sigreturn)",
         [os.path.join(WS, "guest", "syscall", "bin", "sig_loop"), "100000"], 1),
        ("2000 x fork+exec+wait (sh loop of busybox true)",
         [bb, "sh", "-c", loop2000], 1),
    ]
    if "threads" in progs:
        workloads += [
            ("4 compute units, 1 thread", [progs["threads"], "1"], 1),
            ("4 compute units, 2 threads", [progs["threads"], "2"], 1),
        ]
    if "forkbig" in progs:
        workloads.append(("fork+exit+wait of 200 MB touched",
                          [progs["forkbig"]], 1, True))
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
    one = None
    for w in workloads:
        name, argv, inner = w[:3]
        if a.only not in name:
            continue
        reported = len(w) > 3 and w[3]

        def timed(prefix):
            return best(prefix + argv, a.reps * inner, work, reported)
        n = timed([])
        e = timed([EMU])
        q = timed([qemu]) if qemu else None
        ms = lambda t: f"{t*1e3:.2f} ms" if t is not None else "-"
        ratio = lambda a, b: f"{a/b:.3g}x" if a is not None and b else "-"
        print(f"| {name} | {ms(n)} | {ms(e)} | {ratio(e, n)} | {ms(q)} | "
              f"{ratio(q, n)} | {ratio(e, q)} |", flush=True)
        if name.endswith("1 thread"):
            one = (n, e, q)
        if name.endswith("2 threads") and one:
            print(f"|   2 threads / 1 thread | {ratio(n, one[0])} | "
                  f"{ratio(e, one[1])} | | {ratio(q, one[2])} | | |",
                  flush=True)
    shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
