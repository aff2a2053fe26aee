#!/usr/bin/env python3
"""Workload comparison: the same i386 binaries natively, under emu and under
qemu-i386, in one run, reported as a Markdown table of wall-clock times and
ratios to native.

    cargo build --release
    python3 emu/benches/compare.py [--root DIR] [--reps N] [--only TEXT]
                                   [--perl PATH] [--python PATH]
                                   [--timeout SECONDS]

DIR holds Debian's busybox-static:i386 (bin/busybox), as .ci/run extracts it
into target/i386-root. Needs an x86 host that runs i386 binaries natively;
qemu-i386 is optional (apt-get install qemu-user). The process, thread and
CoreMark-like workloads build guest/bench/*.c with gcc -m32 -static -O2
(skipped without it), the dynamically linked hello guest/sys/hello.c with
gcc -m32 -O2 (the host's i386 ld.so and libc, as gcc-multilib installs
them); "bzip2 8 MiB" needs a busybox with the bzip2 applet.
--only runs the workloads whose names contain TEXT.

Method: each workload runs N rounds (--reps, default 5; short workloads
more: the single-process startups 20 x N, the 100 x startup loop 2 x N);
one round runs it natively, under emu and under qemu-i386, in that
rotation, so a disturbance of the machine hits all three alike. Each time
is the median over the rounds. "fork+exit+wait of 200 MB touched" is the
time the program itself measures (for fork + exit + wait after touching
200 MB), not the wall time of the process. emu runs from a copy of
target/release/emu taken at the start, so a rebuild meanwhile does not mix
two builds (a note says if one happened).

Header: the machine (CPU model, cores, measured and nominal clock), the emu build (its
mtime and the git HEAD at run time, "+ uncommitted changes" if the tree is
dirty), the 1-minute load average before the run, the method.

Columns:
  native, emu, qemu-i386   median time; "exit N" / "TIMEOUT" if a run failed
                           (qemu-i386 e.g. gives no vDSO to the sysenter loop)
  emu/native, qemu/native, emu/qemu   ratios of those medians
  output     for workloads with a deterministic stdout (the compute ones and
             the thread program): "ok" if every emu and qemu-i386 run printed
             the same bytes as the first native run (sha256), otherwise
             **MISMATCH emu** / **MISMATCH qemu** (or **MISMATCH native**
             if the native runs disagree among themselves); "ok (no output:
             qemu)" if a runner failed and so was not compared; empty if
             not checked
  guest Minstr   millions of guest instructions emu executes, from one
                 extra `emu --stats` run (`instructions: N` on stderr);
                 compute workloads only ("stats failed" if that run failed)
  guest MIPS     guest instructions / emu median time
  host cycles/guest instr   emu median time x CPU clock / guest
                 instructions; the clock is measured natively by
                 guest/bench/clock.c (a chain of dependent adds), else
                 the nominal `cpu MHz` of /proc/cpuinfo (which in a VM
                 is the nominal clock: 2596 against 3600 measured here)
The "geometric mean" row is over the compute workloads (sha256, md5, gzip,
bzip2, sort, awk, coremark, perl, python) that ran: emu/native and
qemu/native.

Perl and python: Debian's i386 perl and python3.11 from the sysroot in
--root (guest/sysroot.sh; .ci/run makes target/i386-root), run natively
through the sysroot's ld.so (--library-path) and under emu and qemu-i386
with -L ROOT, with PERL5LIB/PYTHONHOME pointing into it; they are part of
the geometric mean. --perl PATH / --python PATH use a static i386
executable instead. Without either, a line under the table says that they
were not run and why. Nothing is downloaded.

Notes (skipped workloads, mismatches) follow the table. The exit status is
1 if any output mismatched, else 0.
"""
import argparse
import hashlib
import math
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WS = os.path.normpath(os.path.join(HERE, "..", ".."))
EMU = os.path.join(WS, "target", "release", "emu")

# The compute workloads: output checked, guest instructions counted, and
# part of the geometric mean.
GEOMEAN_KEYS = ("sha256", "md5", "gzip", "bzip2", "sort", "awk", "coremark", "perl",
                "python")


class Workload:
    def __init__(self, name, argv, inner=1, reported=False, check=False,
                 stats=False, geomean=False, via=None, env=None):
        self.name = name
        self.argv = argv
        # Per runner ("native", "emu", "qemu"): arguments before argv (a
        # dynamically linked program's ld.so, or -L ROOT).
        self.via = via or {}
        self.env = env
        self.inner = inner        # rounds multiplier for short workloads
        self.reported = reported  # time = microseconds the program prints
        self.check = check        # compare stdout with native's
        self.stats = stats        # one extra `emu --stats` run
        self.geomean = geomean    # part of the geometric mean row


class Runner:
    """One way of running a workload (native, emu, qemu): its samples."""

    def __init__(self, name, prefix):
        self.name = name
        self.prefix = prefix
        self.times = []
        self.hashes = []
        self.failed = None  # "exit N" / "TIMEOUT" after the first failure

    def run(self, w, cwd, timeout):
        if self.failed:
            return
        t0 = time.perf_counter()
        try:
            r = subprocess.run(self.prefix + w.via.get(self.name, []) + w.argv,
                               cwd=cwd, stdout=subprocess.PIPE, env=w.env,
                               stderr=subprocess.DEVNULL, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.failed = "TIMEOUT"
            return
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            self.failed = f"exit {r.returncode}"
            return
        if w.reported:
            dt = float(r.stdout.split()[-1]) / 1e6
        self.times.append(dt)
        self.hashes.append(hashlib.sha256(r.stdout).hexdigest())

    def median(self):
        if self.failed or not self.times:
            return None
        return statistics.median(self.times)

    def cell(self):
        if self.failed:
            return self.failed
        t = self.median()
        return f"{t*1e3:.2f} ms" if t is not None else "-"


def build(work):
    """guest/bench/*.c, built for i386; {} without gcc -m32."""
    out = {}
    for name in ("threads", "forkbig", "coremark", "clock"):
        src = os.path.join(WS, "guest", "bench", name + ".c")
        exe = os.path.join(work, name)
        r = subprocess.run(["gcc", "-m32", "-static", "-O2", "-pthread", "-o",
                            exe, src], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            out[name] = exe
    # A dynamically linked hello: the host's ld.so and i386 libc (as
    # gcc-multilib installs them) map and relocate libc at every start.
    exe = os.path.join(work, "dynhello")
    r = subprocess.run(["gcc", "-m32", "-O2", "-o", exe,
                        os.path.join(WS, "guest", "sys", "hello.c")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode == 0:
        out["dynhello"] = exe
    return out


def static_i386(path):
    """None if `path` is a static i386 ELF executable, else why not."""
    try:
        with open(path, "rb") as f:
            h = f.read(52)
            if len(h) < 52 or h[:4] != b"\x7fELF":
                return f"{path} is not an ELF file"
            if h[4] != 1 or h[5] != 1:
                return f"{path} is not a 32-bit little-endian ELF file"
            machine, = struct.unpack_from("<H", h, 18)
            if machine != 3:
                return f"{path} is not an i386 program (e_machine {machine})"
            phoff, = struct.unpack_from("<I", h, 28)
            phentsize, phnum = struct.unpack_from("<HH", h, 42)
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                p_type, = struct.unpack("<I", f.read(4))
                if p_type == 3:  # PT_INTERP
                    return (f"{path} is dynamically linked (has an ELF "
                            "interpreter), which emu cannot run yet")
    except OSError as e:
        return f"{path}: {e.strerror}"
    return None


def cpu_info():
    model, mhz = "?", None
    try:
        with open("/proc/cpuinfo") as f:
            for l in f:
                k, _, v = l.partition(":")
                k = k.strip()
                if k == "model name" and model == "?":
                    model = v.strip()
                elif k == "cpu MHz" and mhz is None:
                    mhz = float(v)
    except (OSError, ValueError):
        pass
    return model, mhz


def emu_build(mtime):
    """'built <mtime>, HEAD <commit>[ + uncommitted changes]' for the header."""
    s = "built " + time.strftime("%Y-%m-%d %H:%M", time.localtime(mtime))
    try:
        head = subprocess.run(["git", "-C", WS, "rev-parse", "--short",
                               "HEAD"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", WS, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10).stdout.strip()
        if head:
            s += f", HEAD {head}" + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return s


def guest_instructions(emu, w, cwd, timeout):
    """Guest instructions of one `emu --stats` run, or None."""
    try:
        r = subprocess.run([emu, "--stats"] + w.via.get("emu", []) + w.argv,
                           cwd=cwd, stdout=subprocess.DEVNULL, env=w.env,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    m = re.search(rb"^instructions: (\d+)$", r.stderr, re.M)
    return int(m.group(1)) if m and r.returncode == 0 else None


def main():
    ap = argparse.ArgumentParser(
        description="Time i386 workloads natively, under emu and qemu-i386.")
    ap.add_argument("--root", default=os.environ.get(
        "EMU_I386_ROOT", os.path.join(WS, "target", "i386-root")))
    ap.add_argument("--reps", type=int, default=5,
                    help="interleaved rounds per workload (default 5)")
    ap.add_argument("--only", default="",
                    help="run only workloads whose names contain TEXT")
    ap.add_argument("--perl", metavar="PATH",
                    help="a static i386 perl, for the perl -e workload")
    ap.add_argument("--python", metavar="PATH",
                    help="a static i386 python3, for the python3 -c workload")
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds before one run counts as failed (none by "
                    "default: with a timeout, Python polls the child, which "
                    "adds about 1 ms to every run and spoils the startup rows)")
    a = ap.parse_args()
    if a.reps < 1:
        raise SystemExit("--reps must be at least 1")
    # Absolute: the workloads run in a temporary directory.
    a.root = os.path.abspath(a.root)
    bb = os.path.join(a.root, "bin", "busybox")
    if not os.path.exists(EMU):
        raise SystemExit("build emu first: cargo build --release")
    if not os.path.exists(bb):
        raise SystemExit(f"{bb} missing (see .ci/run)")
    qemu = shutil.which("qemu-i386")
    sysbin = os.path.join(WS, "guest", "syscall", "bin")
    notes = []

    work = tempfile.mkdtemp(prefix="emu-compare-")
    # Run a private copy, so that a rebuild during the run (cargo replaces
    # target/release/emu) cannot mix two builds into the figures.
    emu_stat = os.stat(EMU)
    emu = os.path.join(work, "emu")
    shutil.copy2(EMU, emu)
    data = os.path.join(work, "data")
    with open(data, "wb") as f:
        # 8 MiB of compressible, deterministic text.
        line = b"".join(b"%08d the quick brown fox jumps over the lazy dog\n" % i
                        for i in range(1000))
        while f.tell() < 8 << 20:
            f.write(line)

    progs = build(work)
    applets = subprocess.run([bb, "--list"], capture_output=True,
                             text=True).stdout.split()

    def sh_loop(n):
        return (f"i=0; while [ $i -lt {n} ]; do {bb} true; "
                "i=$((i+1)); done")

    def compute(name, argv):
        return Workload(name, argv, check=True, stats=True, geomean=True)

    workloads = [
        Workload("startup: busybox true", [bb, "true"], 20),
        Workload("startup: hello (freestanding)",
                 [os.path.join(WS, "guest", "bin", "hello")], 20),
    ]
    if "dynhello" in progs:
        workloads.append(Workload("startup: dynamically linked hello (gcc -m32)",
                                  [progs["dynhello"]], 20))
    else:
        notes.append("startup: dynamically linked hello: not run, gcc -m32 "
                     "failed.")
    workloads += [
        Workload("startup: 100 x busybox true (sh loop)",
                 [bb, "sh", "-c", sh_loop(100)], 2),
        compute("sha256sum 8 MiB", [bb, "sha256sum", "data"]),
        compute("md5sum 8 MiB", [bb, "md5sum", "data"]),
        compute("gzip -6 8 MiB", [bb, "gzip", "-c", "data"]),
    ]
    if "bzip2" in applets:
        workloads.append(compute("bzip2 8 MiB", [bb, "bzip2", "-c", "data"]))
    else:
        notes.append(f"bzip2 8 MiB: not run, {bb} has no bzip2 applet.")
    workloads += [
        compute("sort 8 MiB", [bb, "sort", "-r", "data"]),
        compute("awk sum 8 MiB", [bb, "awk", "{s+=$1} END {print s}", "data"]),
    ]
    if "coremark" in progs:
        workloads.append(compute("coremark-like (guest/bench/coremark.c)",
                                 [progs["coremark"]]))
    else:
        notes.append("coremark-like: not run, gcc -m32 -static failed.")

    # Interpreters: Debian's own (dynamically linked) from the sysroot in
    # --root (guest/sysroot.sh, as .ci/run makes it): natively through the
    # sysroot's ld.so, under emu and qemu with -L ROOT; or a static one
    # given with --perl/--python.
    interp = [
        ("perl", a.perl, "perl -e loop",
         ["-e", 'my $s = 0; for my $i (1 .. 2000000) '
                '{ $s = ($s * 31 + $i) % 1000003 } print "$s\\n"']),
        ("python", a.python, "python3 -c loop",
         ["-c", "s = 0\nfor i in range(2000000):\n"
                "    s = (s * 31 + i) % 1000003\nprint(s)"]),
    ]
    root = os.path.abspath(a.root)
    lp = f"{root}/lib/i386-linux-gnu:{root}/usr/lib/i386-linux-gnu"
    sysroot_env = dict(os.environ, LC_ALL="C",
                       PERL5LIB=f"{root}/usr/lib/i386-linux-gnu/perl-base",
                       PYTHONHOME=f"{root}/usr", PYTHONDONTWRITEBYTECODE="1")
    debian = {"perl": "usr/bin/perl", "python": "usr/bin/python3.11"}
    for opt, path, name, args in interp:
        if a.only not in name:
            continue
        if not path:
            exe = os.path.join(root, debian[opt])
            ld = os.path.join(root, "lib", "ld-linux.so.2")
            if not (os.path.exists(exe) and os.path.exists(ld)):
                notes.append(f"{name}: not run, {exe} or {ld} missing (make the "
                             "sysroot with guest/sysroot.sh, see .ci/run), and "
                             f"no --{opt} PATH given.")
                continue
            via = {"native": [ld, "--library-path", lp],
                   "emu": ["-L", root], "qemu": ["-L", root]}
            workloads.append(Workload(f"{name} (Debian {debian[opt]})",
                                      [exe] + args, check=True, stats=True,
                                      geomean=True, via=via, env=sysroot_env))
            continue
        why = static_i386(path)
        if why:
            notes.append(f"{name}: not run, {why}.")
            continue
        workloads.append(Workload(f"{name} ({os.path.basename(path)})",
                                  [os.path.abspath(path)] + args,
                                  check=True, stats=True))

    workloads += [
        Workload("1M getpid, int $0x80",
                 [os.path.join(sysbin, "getpid_loop"), "i", "1000000"]),
        Workload("1M getpid, vDSO sysenter",
                 [os.path.join(sysbin, "getpid_loop"), "v", "1000000"]),
        Workload("100k signal round trips (kill self, handler, rt_sigreturn)",
                 [os.path.join(sysbin, "sig_loop"), "100000"]),
        Workload("2000 x fork+exec+wait (sh loop of busybox true)",
                 [bb, "sh", "-c", sh_loop(2000)]),
    ]
    if "threads" in progs:
        workloads += [
            Workload("4 compute units, 1 thread", [progs["threads"], "1"],
                     check=True),
            Workload("4 compute units, 2 threads", [progs["threads"], "2"],
                     check=True),
        ]
    else:
        notes.append("thread workloads: not run, gcc -m32 -static failed.")
    if "forkbig" in progs:
        workloads.append(Workload("fork+exit+wait of 200 MB touched",
                                  [progs["forkbig"]], reported=True))
    else:
        notes.append("fork 200 MB: not run, gcc -m32 -static failed.")
    if not qemu:
        notes.append("qemu-i386: not installed (apt-get install qemu-user), "
                      "its columns are empty.")

    model, nominal = cpu_info()
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    # The running clock, measured (guest/bench/clock.c); else the nominal.
    mhz = None
    if "clock" in progs:
        r = subprocess.run([progs["clock"]], capture_output=True, text=True)
        try:
            mhz = float(r.stdout)
        except ValueError:
            pass
    if mhz:
        clock = (f"{mhz:.0f} MHz measured (guest/bench/clock.c; used for host "
                 "cycles/guest instr)"
                 + (f", {nominal:.0f} MHz nominal" if nominal else ""))
    elif nominal:
        mhz = nominal
        clock = (f"{nominal:.0f} MHz (nominal clock, `cpu MHz` in /proc/cpuinfo; "
                 "used for host cycles/guest instr)")
    else:
        clock = "clock unknown"
    print(f"machine: {model}, {os.cpu_count()} cores, {clock}")
    print(f"emu: {EMU} ({emu_build(emu_stat.st_mtime)}), run from a copy "
          "taken at the start")
    if load is not None:
        print(f"load average (1 min) before the run: {load:.2f}")
    shown = [w for w in workloads if a.only in w.name]
    more = sorted({w.inner for w in shown if w.inner > 1}, reverse=True)
    print(f"method: median of {a.reps} interleaved rounds (native, emu, "
          "qemu-i386 in rotation)" + "".join(
              f"; {', '.join(w.name for w in shown if w.inner == m)}: "
              f"{a.reps * m} rounds" for m in more))
    print()
    print("| workload | native | emu | emu/native | qemu-i386 | qemu/native "
          "| emu/qemu | output | guest Minstr | guest MIPS "
          "| host cycles/guest instr |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ratio = lambda x, y: x / y if x is not None and y else None
    fmt = lambda r: f"{r:.3g}x" if r is not None else "-"
    one = None
    gm_e, gm_q = [], []
    mismatches = 0
    for w in shown:
        runners = {"native": Runner("native", []), "emu": Runner("emu", [emu])}
        if qemu:
            runners["qemu"] = Runner("qemu", [qemu])
        for _ in range(a.reps * w.inner):
            for r in runners.values():
                r.run(w, work, a.timeout)
        n, e = runners["native"].median(), runners["emu"].median()
        q = runners["qemu"].median() if qemu else None

        output = ""
        if w.check and runners["native"].hashes:
            ref = runners["native"].hashes[0]
            bad = [k for k, r in runners.items() if any(h != ref for h in
                                                        r.hashes)]
            unchecked = [k for k, r in runners.items() if not r.hashes]
            if bad:
                output = "**MISMATCH " + ", ".join(bad) + "**"
            else:
                output = "ok" + (f" (no output: {', '.join(unchecked)})"
                                 if unchecked else "")
            mismatches += bool(bad)

        instr = mips = cpi = "-"
        if w.stats and e is not None:
            count = guest_instructions(emu, w, work, a.timeout)
            if count:
                instr = (f"{count/1e6:.0f}" if count >= 1e7
                         else f"{count/1e6:.3g}")
                mips = f"{count/e/1e6:.0f}"
                if mhz:
                    cpi = f"{e*mhz*1e6/count:.2f}"
            else:
                instr = "stats failed"
        elif not w.stats:
            instr = mips = cpi = ""

        if w.geomean:
            if ratio(e, n):
                gm_e.append(ratio(e, n))
            if ratio(q, n):
                gm_q.append(ratio(q, n))
        print(f"| {w.name} | {runners['native'].cell()} | "
              f"{runners['emu'].cell()} | {fmt(ratio(e, n))} | "
              f"{runners['qemu'].cell() if qemu else '-'} | "
              f"{fmt(ratio(q, n))} | {fmt(ratio(e, q))} | {output} | "
              f"{instr} | {mips} | {cpi} |", flush=True)
        if w.name.endswith("1 thread"):
            one = (n, e, q)
        if w.name.endswith("2 threads") and one:
            print(f"|   2 threads / 1 thread | {fmt(ratio(n, one[0]))} | "
                  f"{fmt(ratio(e, one[1]))} | | {fmt(ratio(q, one[2]))} "
                  "| | | | | | |", flush=True)

    geo = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None
    if gm_e or gm_q:
        print(f"| geometric mean, compute ({len(gm_e)} of "
              f"{len(GEOMEAN_KEYS)} workloads) | | | "
              f"{fmt(geo(gm_e))} | | {fmt(geo(gm_q))} | "
              f"{fmt(ratio(geo(gm_e), geo(gm_q)))} | | | | |")
    now = os.stat(EMU)
    if (now.st_mtime_ns, now.st_ino) != (emu_stat.st_mtime_ns,
                                         emu_stat.st_ino):
        notes.insert(0, f"{EMU} was rebuilt during the run; the figures "
                     "are of the build copied at the start (see the emu "
                     "line above).")
    if mismatches:
        notes.insert(0, f"**{mismatches} workload(s) printed output that "
                     "differs from native: see MISMATCH in the output "
                     "column.**")
    if notes:
        print()
        for n in notes:
            print(f"- {n}")
    shutil.rmtree(work)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
