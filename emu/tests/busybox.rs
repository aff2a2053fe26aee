//! The busybox/bash differential tier: Debian's static i386 busybox and
//! bash run natively and under emu on the same cases, which must give the
//! same stdout, stderr, exit status and the same files left behind.
//!
//! The binaries come from Debian's busybox-static:i386 and bash-static:i386
//! packages, extracted (`dpkg -x`) into a root found as `$EMU_I386_ROOT`,
//! else `<workspace>/target/i386-root` (`.ci/run` puts them there). When
//! they are missing, or this host cannot run i386 programs natively, the
//! tier says so and passes.
//!
//! Every case runs in a fresh scratch directory holding the same fixture
//! files (with fixed modification times), natively first and then under
//! emu in the same directory, so absolute paths in the output agree too.
//! A case is one or more commands; a command may read stdin from a
//! fixture (`<file` first) and send stdout to a file (`>file` last).
//! Shell cases use pipelines, command substitution, subshells, background
//! jobs, traps and external commands (busybox applets, and the host's own
//! programs found through PATH, which both runs start alike).

mod common;

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

// ---- locating the tools ----

fn i386_root() -> PathBuf {
    match std::env::var_os("EMU_I386_ROOT") {
        Some(r) if !r.is_empty() => PathBuf::from(r),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/i386-root"),
    }
}

/// Output that the test harness does not capture (the skip notice and
/// the pass count should be seen in a plain `cargo test`).
fn say(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prog {
    Busybox,
    Bash,
}

struct Tools {
    busybox: PathBuf,
    bash: PathBuf,
    /// `setarch i686 -R` for native runs (the personality emu gives its
    /// guests: uname -m is i686, no ASLR), when the host has it.
    setarch: bool,
}

impl Tools {
    fn bin(&self, p: Prog) -> &Path {
        match p {
            Prog::Busybox => &self.busybox,
            Prog::Bash => &self.bash,
        }
    }
}

// ---- running one command ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Native,
    Emu,
}

const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, PartialEq, Eq)]
struct Output {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Exit status as a shell shows it (128+N for a death by signal N).
    status: i32,
}

/// The fixed environment both runs get. emu keeps its translations out of
/// the sandbox that HOME names (`ls` there sees every file).
fn env(dir: &Path) -> Vec<(&'static str, String)> {
    let tcache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tcache");
    vec![
        ("EMU_CACHE_DIR", tcache.to_string_lossy().into_owned()),
        ("PATH", "/usr/bin:/bin".into()),
        ("HOME", dir.to_string_lossy().into_owned()),
        ("TZ", "UTC".into()),
        ("LANG", "C".into()),
        ("LC_ALL", "C".into()),
        ("COLUMNS", "80".into()),
        ("USER", "tester".into()),
    ]
}

fn run_cmd(t: &Tools, mode: Mode, step: &Step, dir: &Path) -> Output {
    let bin = t.bin(step.prog);
    let mut cmd = match mode {
        Mode::Emu => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_emu"));
            c.arg(bin);
            c
        }
        Mode::Native if t.setarch => {
            let mut c = Command::new("setarch");
            c.args(["i686", "-R"]).arg(bin);
            c
        }
        Mode::Native => Command::new(bin),
    };
    cmd.args(&step.args).current_dir(dir).env_clear();
    for (k, v) in env(dir) {
        cmd.env(k, v);
    }
    match &step.stdin {
        Some(f) => match std::fs::File::open(dir.join(f)) {
            Ok(f) => cmd.stdin(f),
            Err(e) => {
                return Output {
                    stdout: vec![],
                    stderr: format!("harness: cannot open stdin {f}: {e}").into_bytes(),
                    status: -1,
                }
            }
        },
        None => cmd.stdin(Stdio::null()),
    };
    let to_file = match &step.stdout {
        Some(f) => match std::fs::File::create(dir.join(f)) {
            Ok(f) => {
                cmd.stdout(f);
                true
            }
            Err(e) => {
                return Output {
                    stdout: vec![],
                    stderr: format!("harness: cannot create stdout {f}: {e}").into_bytes(),
                    status: -1,
                }
            }
        },
        None => {
            cmd.stdout(Stdio::piped());
            false
        }
    };
    let w = common::spawn_and_wait(cmd, TIMEOUT);
    if to_file {
        debug_assert!(w.stdout.is_empty());
    }
    Output {
        stdout: w.stdout,
        stderr: w.stderr,
        status: w.status,
    }
}

// ---- cases ----

struct Step {
    prog: Prog,
    args: Vec<String>,
    stdin: Option<String>,
    stdout: Option<String>,
}

struct Case {
    name: String,
    steps: Vec<Step>,
}

/// Split a command line the simple way: whitespace separates words,
/// single or double quotes group (no escapes, no expansion). A first word
/// `<file` is stdin, a last word `>file` is stdout.
fn parse(prog: Prog, line: &str) -> Step {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for ch in line.chars() {
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => cur.push(ch),
            None if ch == '\'' || ch == '"' => {
                quote = Some(ch);
                in_word = true;
            }
            None if ch.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(ch);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unbalanced quote in {line:?}");
    if in_word {
        words.push(cur);
    }
    let mut stdin = None;
    let mut stdout = None;
    if words
        .first()
        .is_some_and(|w| w.starts_with('<') && w.len() > 1)
    {
        stdin = Some(words.remove(0)[1..].to_string());
    }
    if words
        .last()
        .is_some_and(|w| w.starts_with('>') && w.len() > 1)
    {
        stdout = Some(words.pop().unwrap()[1..].to_string());
    }
    Step {
        prog,
        args: words,
        stdin,
        stdout,
    }
}

/// One command with its exact argv (no splitting).
fn argv(prog: Prog, args: Vec<String>) -> Step {
    Step {
        prog,
        args,
        stdin: None,
        stdout: None,
    }
}

/// busybox commands (`<in applet args... >out`), one step each.
fn bb(name: &str, lines: &[&str]) -> Case {
    Case {
        name: name.into(),
        steps: lines.iter().map(|l| parse(Prog::Busybox, l)).collect(),
    }
}

/// A busybox sh -c script (builtins only).
fn ash(name: &str, script: &str) -> Case {
    Case {
        name: name.into(),
        steps: vec![Step {
            prog: Prog::Busybox,
            args: vec!["sh".into(), "-c".into(), script.into()],
            stdin: None,
            stdout: None,
        }],
    }
}

/// A bash -c script (builtins only), with optional stdin.
fn bash(name: &str, script: &str) -> Case {
    Case {
        name: name.into(),
        steps: vec![Step {
            prog: Prog::Bash,
            args: vec!["-c".into(), script.into()],
            stdin: None,
            stdout: None,
        }],
    }
}

/// bash running a fixture script file with arguments.
fn bash_file(name: &str, args: &str) -> Case {
    Case {
        name: name.into(),
        steps: vec![parse(Prog::Bash, args)],
    }
}

fn cases() -> Vec<Case> {
    vec![
        // ---- cat, head, tail ----
        bb("cat", &["cat a.txt nonl.txt"]),
        bb("cat-n", &["cat -n a.txt"]),
        bb("cat-stdin", &["<nums.txt cat - nonl.txt"]),
        bb("cat-v", &["cat -v bin.dat"]),
        bb("cat-missing", &["cat a.txt nosuch nonl.txt"]),
        bb("head", &["head -n 3 a.txt", "head -c 10 bin.dat"]),
        bb("head-multi", &["head -n 2 a.txt nums.txt"]),
        bb("tail", &["tail -n 2 a.txt", "tail -c 7 nonl.txt"]),
        bb("tail-plus", &["tail -n +4 a.txt"]),
        // ---- sort, uniq, wc ----
        bb("sort", &["sort a.txt"]),
        bb("sort-n", &["sort -n nums.txt"]),
        bb("sort-rn", &["sort -r -n nums.txt"]),
        bb("sort-u", &["sort -u dup.txt"]),
        bb("sort-k", &["sort -t : -k 2,2n -k 1,1r table.txt"]),
        bb("sort-f", &["sort -f a.txt"]),
        bb("sort-stdin-o", &["<nums.txt sort -n -o sorted.txt", "cat sorted.txt"]),
        bb("uniq", &["uniq dup.txt"]),
        bb("uniq-c", &["uniq -c dup.txt"]),
        bb("uniq-d-u", &["uniq -d dup.txt", "uniq -u dup.txt"]),
        bb("wc", &["wc a.txt"]),
        bb("wc-multi", &["wc -l -w -c a.txt nums.txt nonl.txt"]),
        bb("wc-stdin", &["<bin.dat wc"]),
        // ---- cut, tr, sed ----
        bb("cut-f", &["cut -d : -f 1,3 table.txt"]),
        bb("cut-c", &["cut -c 1-5,9 a.txt"]),
        bb("tr-upper", &["<a.txt tr a-z A-Z"]),
        bb("tr-d-s", &["<a.txt tr -d aeiou", "<spaces.txt tr -s ' '"]),
        bb("tr-classes", &["<a.txt tr '[:lower:]' '[:upper:]'"]),
        bb("sed-s", &["sed s/o/0/g a.txt"]),
        bb("sed-n-p", &["sed -n 2,3p a.txt"]),
        bb("sed-multi", &["sed -e /fox/d -e 's/^/> /' a.txt"]),
        bb("sed-regex", &[r"sed -E 's/([a-z]+) ([a-z]+)/\2 \1/' a.txt"]),
        bb("sed-i", &["sed -i s/quick/slow/ a.txt", "cat a.txt"]),
        bb("sed-script", &["sed -f edit.sed a.txt"]),
        // ---- awk (integer work) ----
        bb("awk-fields", &["awk '{print NF, $1}' a.txt"]),
        bb("awk-sum", &["awk -F : '{s+=$2} END {print s, NR}' table.txt"]),
        bb("awk-begin", &["awk 'BEGIN{for(i=1;i<=6;i++) printf \"%d^2=%d\\n\", i, i*i}'"]),
        bb("awk-arrays", &["awk -F : '{c[$3]++} END {for (k in c) n++; print n, c[\"paris\"]}' table.txt"]),
        bb("awk-string", &["awk '{print length($0), toupper(substr($0,1,3)), index($0,\"o\")}' a.txt"]),
        bb("awk-regex", &["awk '/fox/ {gsub(/o/,\"0\"); print} !/fox/ {n++} END {print n}' a.txt"]),
        bb("awk-split", &["awk -F , 'NR>1 {split($0,f,\",\"); t+=f[3]} END {print t}' data.csv"]),
        // ---- grep ----
        bb("grep", &["grep fox a.txt"]),
        bb("grep-i", &["grep -i fox a.txt"]),
        bb("grep-v-n", &["grep -v -n the a.txt"]),
        bb("grep-c", &["grep -c o a.txt nums.txt"]),
        bb("grep-E", &["grep -E 'fox|dog' a.txt"]),
        bb("egrep", &["egrep '^[A-Z]' a.txt"]),
        bb("fgrep", &["fgrep a.b dots.txt"]),
        bb("grep-o-w", &["grep -o '[0-9][0-9]*' table.txt", "grep -w the a.txt"]),
        bb("grep-r", &["grep -r deep sub"]),
        bb("grep-l-L", &["grep -l o a.txt nums.txt dup.txt", "grep -L o a.txt nums.txt dup.txt"]),
        bb("grep-nomatch", &["grep zebra a.txt"]),
        bb("grep-missing", &["grep fox nosuch a.txt"]),
        bb("grep-q", &["grep -q fox a.txt", "grep -q zebra a.txt"]),
        bb("grep-context", &["grep -A 1 -B 1 hello a.txt"]),
        // ---- dumps ----
        bb("od-x", &["od -A x -t x1 bin.dat"]),
        bb("od-c", &["od -c nonl.txt"]),
        bb("od-d", &["od -t d4 -N 32 bin.dat"]),
        bb("hexdump-C", &["hexdump -C bin.dat"]),
        bb("xxd", &["xxd -l 64 bin.dat", "xxd -p -l 16 bin.dat"]),
        bb("strings", &["strings -n 3 mixed.dat"]),
        // ---- formatting ----
        bb("expand", &["expand tabs.txt", "expand -t 4 tabs.txt"]),
        bb("unexpand", &["unexpand -a spaces.txt"]),
        bb("fold", &["fold -w 20 long.txt"]),
        bb("fold-s", &["fold -s -w 30 long.txt"]),
        bb("nl", &["nl a.txt", "nl -b a -v 10 -i 2 -s ': ' -w 3 a.txt"]),
        bb("paste", &["paste nums.txt dup.txt"]),
        bb("paste-s", &["paste -s -d , nums.txt"]),
        bb("rev-tac", &["rev a.txt", "tac a.txt"]),
        bb("seq", &["seq 5", "seq 1 3 20", "seq -w 8 11", "seq -s , 5 -1 1"]),
        bb("printf", &["printf '%s-%d-%x-%o|%5s|%-5s|%05d|%c\\n' abc 42 255 8 ab cd 42 xyz"]),
        bb("printf-esc", &["printf '\\101\\tA\\\\%%\\n'"]),
        bb("echo", &["echo -n no newline", "echo -e 'a\\tb\\nc'", "echo plain"]),
        bb("expr", &["expr 3 + 4 * 5", "expr length hello", "expr substr hello 2 3", "expr abc : 'a\\(.\\)'"]),
        bb("expr-errors", &["expr 5 / 0", "expr 1 = 2", "expr"]),
        bb("factor", &["factor 360 97 1001 4294967291"]),
        bb("dc", &["dc -e '2 3 + p 10 3 / p 2 32 ^ p'"]),
        bb("bc", &["<calc.bc bc"]),
        bb("cal", &["cal 9 2020", "cal 2 2024"]),
        bb("basename-dirname", &["basename /a/b/c.txt .txt", "dirname /a/b/c.txt", "basename /", "dirname rel"]),
        // ---- checksums and encodings ----
        bb("md5sum", &["md5sum a.txt nums.txt bin.dat"]),
        bb("sha1sum", &["sha1sum a.txt bin.dat"]),
        bb("sha256sum", &["sha256sum a.txt bin.dat long.txt"]),
        bb("sha512sum", &["sha512sum a.txt bin.dat"]),
        bb("sha3sum", &["sha3sum a.txt bin.dat"]),
        bb("md5sum-c", &["md5sum a.txt nums.txt >sums", "md5sum -c sums", "sed -i s/nums/dup/ sums", "md5sum -c sums"]),
        bb("crc32", &["crc32 a.txt bin.dat"]),
        bb("base64", &["base64 bin.dat", "base64 a.txt >a.b64", "base64 -d a.b64"]),
        bb("uuencode", &["uuencode a.txt a.txt >a.uu", "uudecode -o dec.txt a.uu", "cmp a.txt dec.txt"]),
        bb("dos2unix", &["unix2dos a.txt", "cat -v a.txt", "dos2unix a.txt", "md5sum a.txt"]),
        // ---- compression and archives ----
        bb("gzip", &["gzip -c a.txt >a.gz", "gunzip -c a.gz", "gzip -t a.gz", "gzip -d -c a.gz"]),
        bb("gzip-inplace", &["gzip -9 bin.dat long.txt", "gunzip long.txt.gz"]),
        bb("gzip-bad", &["gunzip -c a.txt"]),
        bb("bzip2", &["bzip2 -c a.txt >a.bz2", "bunzip2 -c a.bz2", "bzcat a.bz2", "bzip2 -k bin.dat"]),
        bb("xz-lzma", &["xz -c -d packed.xz", "xzcat packed.xz", "unlzma -c packed.lzma", "lzcat packed.lzma"]),
        bb("lzop", &["lzop -c a.txt >a.lzo", "lzop -d -c a.lzo"]),
        bb("tar", &["tar cf t.tar a.txt sub", "tar tf t.tar", "tar tvf t.tar"]),
        bb("tar-extract", &["tar cf t.tar sub nums.txt", "mkdir out", "tar xf t.tar -C out", "cmp nums.txt out/nums.txt"]),
        bb("cpio", &["<list.txt cpio -o -H newc >c.cpio", "<c.cpio cpio -t", "mkdir x", "rm c.cpio"]),
        bb("cpio-extract", &["<list.txt cpio -o -H newc >../c.cpio", "mv sub sub.orig", "<../c.cpio cpio -i -d -m", "diff -r sub sub.orig", "stat -c '%n %a %s %Y' sub/x.c sub/y.h sub/deep/z.txt"]),
        // ---- find ----
        bb("find", &["find ."]),
        bb("find-name", &["find . -name '*.c'", "find . -name '*.txt' -o -name '*.h'"]),
        bb("find-type", &["find . -type d", "find . -type l", "find . -type f -empty"]),
        bb("find-depth", &["find sub -maxdepth 1", "find . -mindepth 2 -type f"]),
        bb("find-perm-size", &["find . -perm 755", "find . -size +1", "find . -type f -size -2c"]),
        bb("find-mtime", &["find . -mtime +1000 -type f -name 'n*'", "find . -newer nums.txt -type f"]),
        bb("find-not-path", &["find . ! -name '*.txt' -path './sub/*'"]),
        bb("find-print0", &["find sub -type f -print0"]),
        bb("find-missing", &["find nosuch"]),
        // ---- ls ----
        bb("ls", &["ls", "ls sub a.txt"]),
        bb("ls-l", &["ls -l"]),
        bb("ls-la", &["ls -la sub"]),
        bb("ls-R", &["ls -R"]),
        bb("ls-sort", &["ls -t", "ls -S", "ls -r", "ls -tr"]),
        bb("ls-ld", &["ls -ld sub sub/deep", "ls -l link.txt dangling"]),
        bb("ls-flags", &["ls -F", "ls -p sub", "ls -1 -A sub"]),
        bb("ls-n-s", &["ls -n a.txt", "ls -s -k bin.dat"]),
        bb("ls-missing", &["ls a.txt nosuch"]),
        // ---- stat, date, du, touch ----
        bb("stat", &["stat -c '%n %s %a %A %F %h' a.txt sub link.txt exec.sh"]),
        bb("stat-times", &["stat -c '%y %Y %X' a.txt nums.txt"]),
        bb("stat-L", &["stat -L -c '%n %s %F' link.txt", "stat -c %N link.txt"]),
        bb("stat-missing", &["stat nosuch"]),
        bb("date", &["date -u -d @1600000000", "date -u -d @0 '+%Y-%m-%d %H:%M:%S %j %a %b %U %s'"]),
        bb("date-parse", &["date -u -d '2021-03-04 05:06:07' +%s", "date -u -d '1999-12-31 23:59:59' '+%A %B %d %y %I %p'"]),
        bb("date-r", &["date -u -r a.txt", "date -u -r nums.txt +%F"]),
        bb("touch", &["touch -d '2001-02-03 04:05:06' new.txt a.txt", "ls -l new.txt a.txt", "touch -t 200102030405.06 t2", "stat -c '%n %Y' t2"]),
        bb("touch-r", &["touch -r nums.txt a.txt", "stat -c '%n %Y' a.txt nums.txt"]),
        bb("du", &["du -s sub", "du -a sub"]),
        bb("du-k", &["du -k -c a.txt bin.dat"]),
        // ---- dd, cmp, diff, comm, split, truncate ----
        bb("dd", &["dd if=bin.dat of=part.dat bs=16 count=2 skip=1", "od -A d -t x1 part.dat"]),
        bb("dd-conv", &["dd if=a.txt bs=8 count=3 conv=swab", "dd if=a.txt bs=16 count=2 conv=sync of=synced"]),
        bb("dd-seek", &["dd if=nums.txt of=a.txt bs=1 seek=5 conv=notrunc"]),
        bb("cmp", &["cmp a.txt a.txt", "cmp a.txt a2.txt", "cmp -l nums.txt dup.txt"]),
        bb("cmp-missing", &["cmp a.txt nosuch"]),
        bb("diff", &["diff a.txt a2.txt"]),
        bb("diff-u", &["diff -u a.txt a2.txt"]),
        bb("diff-same", &["diff a.txt a.txt"]),
        bb("diff-r", &["cp -r sub sub2", "sed -i s/deep/shallow/ sub2/deep/z.txt", "diff -r sub sub2"]),
        bb("patch", &["<a.patch patch -p0", "cat a.txt"]),
        bb("truncate", &["truncate -s 10 a.txt", "truncate -s 5000 empty", "wc -c a.txt empty", "cat a.txt"]),
        // ---- files and directories ----
        bb("mkdir-rmdir", &["mkdir -p x/y/z", "mkdir x", "rmdir x/y/z", "rmdir x", "find x"]),
        bb("mkdir-m", &["mkdir -m 700 priv", "stat -c '%n %a %F' priv"]),
        bb("rm", &["rm a.txt nosuch", "rm -f nosuch", "rm sub", "rm -r sub", "ls"]),
        bb("mv", &["mv a.txt moved.txt", "mv nums.txt sub", "mv moved.txt sub/deep/", "mv nosuch x", "find . -name '*.txt'"]),
        bb("cp", &["cp a.txt copy.txt", "cp -r sub sub2", "cp -p nums.txt keep.txt", "cp nosuch x", "ls -l keep.txt"]),
        bb("cp-a", &["cp -a sub sub3", "ls -lR sub3"]),
        bb("ln", &["ln -s a.txt sym", "ln a.txt hard", "ln -s a.txt sym", "readlink sym", "stat -c '%n %h' a.txt"]),
        bb("readlink", &["readlink link.txt", "readlink -f link.txt", "readlink a.txt"]),
        bb("realpath", &["realpath sub/../a.txt link.txt", "realpath nosuch/x"]),
        bb("chmod", &["chmod 600 a.txt", "chmod -R go-rwx sub", "chmod u+x,g=r nums.txt", "ls -lR"]),
        bb("link-unlink", &["link a.txt h2", "unlink a.txt", "cat h2"]),
        bb("tee", &["<a.txt tee t1 t2", "cmp t1 a.txt"]),
        bb("mkfifo", &["mkfifo -m 600 fifo", "stat -c '%n %a %F %s' fifo", "test -p fifo"]),
        bb("pwd", &["pwd", "realpath ."]),
        // ---- test, true, false ----
        bb("test-files", &["test -f a.txt", "test -d a.txt", "test -L link.txt", "test -x exec.sh", "test -s empty", "test -e nosuch"]),
        bb("test-strings", &["test abc = abc", "test -z abc", "test -n ''", "[ 3 -lt 10 ]", "[ 10 -gt 3 -a 1 -eq 2 ]", "[ a.txt -nt nums.txt ]"]),
        bb("test-errors", &["test 1 -eq x", "[ 1 -eq 1"]),
        bb("true-false", &["true", "false"]),
        bb("unknown-applet", &["nosuchapplet"]),
        bb("env", &["env", "env -u HOME -u PATH"]),
        bb("id", &["id -u", "id -g", "nproc"]),
        bb("sleep", &["sleep 0.05", "usleep 1000"]),
        bb("ed", &["<a.ed ed a.txt", "cat a.txt"]),
        // ---- busybox sh (ash), builtins only ----
        ash("ash-loop", "i=0; while [ $i -lt 5 ]; do echo i=$i; i=$((i+1)); done"),
        ash("ash-arith", "echo $((7*6)) $((1<<10)) $((17%5)) $((-7/2)) $((0x1f)) $((3>2&&1))"),
        ash("ash-case", "for w in apple banana cherry x; do case $w in a*) echo A:$w;; *an*) echo AN:$w;; ?) echo one;; *) echo other:$w;; esac; done"),
        ash("ash-func", "f() { echo \"f($#): $*\"; return 3; }; f a b c; echo status=$?"),
        ash("ash-params", "set -- one two three; echo $#; shift; echo $1; v=hello.tar.gz; echo ${v%.*} ${v%%.*} ${v#*.} ${#v} ${u:-dflt} ${v:+set}"),
        ash("ash-read", "while read a b; do echo \"[$b|$a]\"; done < table2.txt"),
        ash("ash-redirect", "echo one > o.txt; echo two >> o.txt; read x < o.txt; echo $x; printf '%s\\n' a b c"),
        ash("ash-exit", "echo before; exit 7; echo after"),
        ash("ash-test", "if [ -f a.txt ] && [ ! -d a.txt ]; then echo file; fi; [ abc \\< abd ] && echo lt"),
        ash("ash-syntax-error", "if then fi"),
        ash("ash-notfound-var", "set -u; echo $nosuchvar"),
        // ---- bash, builtins only ----
        bash("bash-arith", "echo $((2**31)) $((2**62)) $((-9/4)) $((-9%4)) $(( (1<<40) / 3 )) $((16#ff)) $((2#1011))"),
        bash("bash-let", "let a=5 b=a*3; ((b+=2)); echo $a $b; ((a>b)) || echo no"),
        bash("bash-strings", "s='Hello, World'; echo ${s^^} ${s,,} ${s:7} ${s:0:5} ${s/o/0} ${s//o/0} ${#s} ${s#*, } ${s%,*}"),
        bash("bash-arrays", "a=(x y z); a+=(w); echo ${#a[@]} ${a[1]} ${a[@]:1:2} ${!a[@]}; unset 'a[1]'; echo ${a[*]}; declare -p a"),
        bash("bash-assoc", "declare -A m=([one]=1 [two]=2); m[three]=3; for k in one two three; do echo $k=${m[$k]}; done; echo ${#m[@]}"),
        bash("bash-func", "fact() { local n=$1; if ((n<=1)); then r=1; else fact $((n-1)); r=$((n*r)); fi; }; fact 20; echo $r"),
        bash("bash-loops", "for ((i=0;i<4;i++)); do printf '%d ' $i; done; echo; for x in {a..e}; do echo -n $x; done; echo; n=0; until ((n>=3)); do ((n++)); done; echo $n"),
        bash("bash-case", "for v in 1 22 abc ''; do case $v in [0-9]) echo digit;; [0-9]*) echo number;; '') echo empty;; *) echo word;; esac; done"),
        bash("bash-printf", "printf '%5.2s|%-4d|%+d|%x|%X|%o|%e|%%|%q\\n' abcdef 7 5 255 255 8 0 'a b'; printf -v v '%03d' 7; echo $v"),
        bash("bash-printf-time", "printf '%(%Y-%m-%d %H:%M:%S)T\\n' 1600000000"),
        bash("bash-read-herestring", "read -r a b c <<< '1 2 3 4'; echo \"$c|$b|$a\"; IFS=: read -ra parts <<< 'x:y:z'; echo ${parts[2]}"),
        bash("bash-read-file", "while IFS=: read -r n age city; do echo \"$city/$n/$age\"; done < table.txt"),
        bash("bash-mapfile", "mapfile -t lines < a.txt; echo ${#lines[@]}; echo \"${lines[1]}\""),
        bash("bash-heredoc", "cat=no; while read l; do echo \"<$l>\"; done <<EOF\nfirst $cat\nsecond\nEOF"),
        bash("bash-regex", "s='key=value42'; if [[ $s =~ ^([a-z]+)=([a-z]+)([0-9]+)$ ]]; then echo ${BASH_REMATCH[1]} ${BASH_REMATCH[3]}; fi; [[ abc == a* ]] && echo glob; [[ -f a.txt && ! -d a.txt ]] && echo file"),
        bash("bash-random", "RANDOM=42; echo $RANDOM $RANDOM $RANDOM"),
        bash("bash-extglob", "shopt -s extglob; f=file.tar.gz; echo ${f%%+(.[a-z]*)}; v=aaabbb; echo ${v##*(a)}"),
        bash("bash-set-e", "set -e; echo start; false; echo never"),
        bash("bash-exit", "exit 42"),
        bash("bash-syntax", "if true; then echo x"),
        bash("bash-redirect", "echo one > o.txt; echo two >> o.txt; { echo three; echo four; } >> o.txt; while read l; do echo \"$l\"; done < o.txt; echo err >&2"),
        bash("bash-declare", "declare -i n=5; n+=3; declare -r c=1; echo $n; c=2; echo status=$?; declare -u up=shout; echo $up"),
        bash("bash-indirect", "x=y; y=final; echo ${!x}; ref() { local -n r=$1; r=changed; }; ref y; echo $y"),
        bash("bash-brace", "echo {1..10..3} {a,b}{1,2} {z..w}"),
        bash("bash-type", "type echo; type -t cd; help -d printf; echo ${BASH_VERSINFO[0]}"),
        bash_file("bash-script-file", "script.sh alpha 'beta gamma'"),
        bash("bash-trap-exit", "trap 'echo bye' EXIT; echo hi"),
        bash("bash-getopts", "set -- -a -b val rest; while getopts ab: o; do echo \"$o ${OPTARG-}\"; done; shift $((OPTIND-1)); echo $*"),
        // ---- more text processing ----
        bb("head-tail-more", &["head -n -2 a.txt", "tail -n 0 a.txt", "head -c -90 a.txt"]),
        bb("cat-A", &["cat -A tabs.txt", "cat -b a.txt"]),
        bb("sort-more", &["sort -k 2 -t , -n data.csv", "sort -c nums.txt", "sort -s -k 2,2 -t : table.txt", "sort -z dup.txt"]),
        bb("uniq-more", &["uniq -i case.txt", "uniq -f 1 -c fields.txt", "uniq -s 2 fields.txt"]),
        bb("wc-L", &["wc -L a.txt long.txt", "wc -m bin.dat"]),
        bb("cut-more", &["cut -f 2- -d : table.txt", "cut -s -d , -f 2 a.txt data.csv", "cut -b 3-4 nums.txt"]),
        bb("tr-more", &["<a.txt tr -cd 'a-z\\n'", "<a.txt tr -s 'a-z' 'A-Z'", "<bin.dat tr '\\000-\\377' '\\377-\\000'"]),
        bb("sed-more", &["sed -n '$=' a.txt", "sed = nums.txt", "sed 'y/abc/xyz/' a.txt", "sed -n 'h;n;G;p' a.txt", "sed '$!N;s/\\n/ + /' nums.txt", "sed '2q' a.txt", "sed -n '/fox/,/world/p' a.txt"]),
        bb("sed-error", &["sed 's/x' a.txt", "sed p nosuch"]),
        bb("awk-more", &["awk -v n=3 'NR<=n {printf \"%-6s|%5.2s|%c\\n\", $1, $2, $3}' a.txt", "awk '{ while (i < 3) { i++; print i } }' nums.txt", "awk 'BEGIN { while ((getline l < \"nums.txt\") > 0) s += l; print s }'", "awk '{print > \"out_\" NR % 2}' nums.txt", "awk 'BEGIN { printf \"%s %d %x %o %5d|%-5d|\\n\", \"s\", -42, 255, 8, 7, 7 }'"]),
        bb("awk-float", &["awk 'BEGIN { printf \"%.3f %.2e %g %d\\n\", 1/3, 12345.678, 0.0001, 7.9; print 10/4, -7%3, int(-3.7), 1e3*3, 7/2*2 }'"]),
        bb("awk-error", &["awk '{print' a.txt", "awk 1 nosuch"]),
        bb("grep-more", &["grep -e fox -e dog a.txt", "grep -F -f pats.txt a.txt", "grep -n -i -w 'the' a.txt", "grep -x 'hello world' a.txt", "grep -s x nosuch", "grep -h o a.txt dup.txt", "grep -m 2 o a.txt"]),
        bb("od-more", &["od -b -N 16 bin.dat", "od -t x2 -N 32 bin.dat", "od -A n -t u1 -j 250 -N 12 bin.dat", "od -t o4 -N 16 bin.dat"]),
        bb("hexdump-format", &["hexdump -n 32 -e '8/1 \"%02x \" \"\\n\"' bin.dat", "hexdump -x -n 32 bin.dat", "hexdump -v -n 48 -C bin.dat"]),
        bb("xxd-reverse", &["xxd bin.dat >dump", "xxd -r dump >back", "cmp back bin.dat"]),
        bb("fold-b", &["fold -b -w 7 a.txt"]),
        bb("printf-more", &["printf '%b|%*d|%.3s|%i\\n' 'a\\tb' 6 42 abcdef 017", "printf '%d\\n' 0x10 010 -5", "printf 'no newline'", "printf '%d' notanumber"]),
        bb("seq-float", &["seq 0 0.25 1", "seq -s : 1.5 0.5 3"]),
        bb("sort-g", &["sort -g floats.txt"]),
        bb("factor-big", &["factor 600851475143 9223372036854775807 18446744073709551615"]),
        bb("expr-more", &["expr 2147483647 + 1", "expr -9223372036854775807 - 1", "expr 17 % 5 '&' 3", "expr index hello l", "expr hello '<' world"]),
        bb("dc-more", &["dc -e '5 k 2 v p 10 3 / p 16 o 255 p 2 i 1011 p'"]),
        bb("bc-scale", &["<sqrt.bc bc"]),
        bb("ascii", &["ascii"]),
        bb("getopt", &["getopt -o ab:c -l long,arg: -- -a -b 1 --long --arg=x rest -c"]),
        bb("ipcalc", &["ipcalc -n -b -m -p 192.168.10.77/20", "ipcalc -n 10.0.0.1/33"]),
        bb("mkpasswd", &["mkpasswd -m md5 -S abcdefgh secret", "mkpasswd -m sha256 -S saltsaltsalt secret", "mkpasswd -m sha512 -S saltsaltsalt secret", "mkpasswd -m des -S ab secret"]),
        bb("cal-y", &["cal 2021"]),
        bb("more-less", &["more a.txt"]),
        bb("which", &["which sh nosuchprog"]),
        bb("tty-stty", &["tty", "stty -a"]),
        bb("uname", &["uname -s -m", "arch"]),
        bb("busybox-list", &["--list"]),
        bb("proc-self", &["readlink /proc/self/exe", "cat /proc/self/cmdline", "head -n 1 /proc/self/status"]),
        bb("dev-nodes", &["stat -c '%n %F %t %T %a' /dev/null /dev/zero", "head -c 8 /dev/zero >z8", "wc -c /dev/null"]),
        bb("proc-maps", &["cat /proc/self/maps", "head -n 3 /proc/self/maps", "tail -n 2 /proc/self/maps", "cat /proc/self/environ /proc/self/comm"]),
        bb("proc-fds", &["ls /proc/self/fd", "readlink /proc/self/fd/0 /proc/self/cwd /proc/self/root", "cat /proc/self/limits"]),
        bb("identity", &["id", "groups", "whoami", "hostname", "hostid", "uname -a", "nproc"]),
        bb("net-local", &["ip link show lo", "ip -4 addr show lo", "route -n", "nc -w 1 127.0.0.1 1", "wget -q -O - http://127.0.0.1:1/"]),
        bb("sched-prio", &["taskset -p 1", "ionice -p 1", "setpriv -d"]),
        bb("fs-misc", &["fallocate -l 8192 fa", "stat -c '%n %s %b' fa", "sync", "sysctl kernel.ostype", "shred -n 0 -z -u nums.txt", "test -e nums.txt"]),
        ash("ash-ulimit", "ulimit -a"),
        bash("bash-ulimit-a", "ulimit -a"),
        bb("dev-full-urandom", &["dd if=a.txt of=/dev/full", "head -c 100 /dev/urandom >r", "wc -c r", "rm r", "ls -l /dev/null /dev/zero /dev/full"]),
        bb("proc-self-dir", &["ls /proc/self/", "stat -c '%s %a' /proc/self/maps /proc/self/cmdline"]),
        bb("symlink-loop", &["ln -s loop1 loop2", "ln -s loop2 loop1", "cat loop1", "ls -L loop1", "readlink -f loop1", "stat -L loop2"]),
        bb("odd-names", &["touch -- -dash 'sp ace' 'new\nline' \u{e9}t\u{e9}.txt", "ls", "rm -- -dash", "find . -name '* *'", "ls -1 sp*"]),
        Case {
            name: "deep-paths".into(),
            steps: vec![
                argv(Prog::Busybox, vec!["mkdir".into(), "-p".into(), "abcdefghij/".repeat(420)]),
                parse(Prog::Busybox, "find . -type d -name abcdefghij -links 2"),
                argv(Prog::Busybox, vec!["touch".into(), format!("{}f", "abcdefghij/".repeat(300))]),
                parse(Prog::Busybox, "du -s abcdefghij"),
                parse(Prog::Busybox, "rm -r abcdefghij"),
                parse(Prog::Busybox, "ls"),
            ],
        },
        Case {
            name: "big-dir".into(),
            steps: vec![
                parse(Prog::Busybox, "mkdir many"),
                argv(
                    Prog::Busybox,
                    std::iter::once("touch".to_string())
                        .chain((0..1500).map(|i| format!("many/file-with-a-longish-name-{i:04}")))
                        .collect(),
                ),
                parse(Prog::Busybox, "ls many"),
                parse(Prog::Busybox, "find many -name '*-07*'"),
                parse(Prog::Busybox, "rm -r many"),
            ],
        },
        bb("copy-big", &["cp big.dat c1", "<big.dat cat >c2", "cat big.dat >c3", "cmp c1 big.dat", "tail -c 100 big.dat >t", "head -c 70000 big.dat >h", "md5sum c1 c2 c3 t h"]),
        bb("seq-big", &["seq 1 5000 >s", "wc s", "tail -n 3 s", "sort -r -n s >r", "head -n 2 r"]),
        bb("bc-big", &["<bigcalc.bc bc -l"]),
        bb("awk-rand", &["awk 'BEGIN { srand(1); for (i = 0; i < 5; i++) printf \"%d \", int(rand() * 1000); print \"\" }'"]),
        ash("ash-arith-errors", "echo $((1/0)); echo not reached"),
        ash("ash-noclobber", "set -C; echo x > a.txt; echo status=$?; echo y >| a.txt; read l < a.txt; echo $l"),
        bash("bash-arith-minmax", "echo $(( -9223372036854775807 - 1 )) $(( (-9223372036854775807 - 1) / -1 )) $(( (-9223372036854775807 - 1) % -1 )) $(( 1 << 64 )) $(( -1 >> 1 ))"),
        bash("bash-arith-errors", "declare -i x; x=08 || echo bad-octal; let 'y = 1 / 0'; echo status=$?"),
        bash("bash-tz", "export TZ=Europe/Paris; printf '%(%F %T %Z)T\\n' 1600000000; TZ=America/New_York; printf '%(%F %T %Z)T\\n' 0"),
        bash("bash-globstar", "shopt -s globstar; echo **/*.txt; echo sub/**"),
        bash("bash-noclobber", "set -o noclobber; echo x > a.txt; echo status=$?; echo y >| a.txt; echo > /dev/full; echo status=$?; echo > nodir/x; echo status=$?"),
        bash("bash-rw-fd", "exec 3<> rw.txt; echo hello >&3; exec 3>&-; exec 3<> rw.txt; read -u 3 x; echo $x; exec 3>&-"),
        bash("bash-big-strings", "printf -v x '%*s' 3000 ''; echo ${#x}; x=${x// /ab}; echo ${#x}; printf '%s\\n' {1..3000} > f; mapfile -t a < f; echo ${#a[@]} ${a[2999]}"),
        bash("bash-read-timeout", "read -t 0.01 x < /dev/null; echo status=$?; read -t 0 x < a.txt; echo status=$?"),
        bb("ls-columns", &["ls -C -w 40", "ls -x -w 60 sub", "ls --color=always -F sub", "ls -l --color=always link.txt exec.sh"]),
        bb("tar-longname", &["mkdir -p aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "touch -d '2001-01-01 00:00:00' aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/cccccccccccccccccccccccccc.txt", "touch -d '2001-01-01 00:00:00' aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "tar cf long.tar aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "tar tf long.tar", "rm -r aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "tar xf long.tar", "find aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa -type f"]),
        bb("cpio-pass", &["mkdir copy", "<list.txt cpio -p -d -m copy", "diff -r sub copy/sub"]),
        bb("sort-merge", &["sort -m s1.txt s2.txt", "sort -o nums.txt -n nums.txt", "cat nums.txt", "<dup.txt wc -l - a.txt"]),
        bb("sed-i-symlink", &["sed -i s/the/THE/ link.txt", "ls -l link.txt", "head -n 1 a.txt link.txt"]),
        bash("bash-ulimit-as", "ulimit -v 3000; printf -v x '%*s' 5000000 ''; echo ${#x}"),
        bash("bash-stack-overflow", "ulimit -s 1024; f() { f; }; f"),
        bash("bash-funcnest", "FUNCNEST=100; f() { f; }; f"),
        bash("bash-ulimit-nofile", "ulimit -n 5; exec 7>x; echo $?; ulimit -f 1; ulimit -f"),
        bb("statfs", &["stat -f -c '%T %s %S %l' .", "stat -f -c '%T' /proc /dev"]),
        bb("mknod-touch-h", &["mknod -m 600 nul c 1 3", "stat -c '%n %F %t %T %a' nul", "touch -h -d '2002-02-02 02:02:02' link.txt", "stat -c '%n %Y' link.txt a.txt", "ls -lu nums.txt"]),
        bb("no-clobber-opts", &["cp -n a2.txt a.txt", "mv -n nums.txt dup.txt", "ln -s -n -f dup.txt link.txt", "md5sum a.txt dup.txt", "readlink link.txt"]),
        bb("tee-append", &["<nums.txt tee -a a.txt", "wc -l a.txt", "cmp -n 20 a.txt a2.txt", "strings -t x -n 4 mixed.dat"]),
        // Options right after the program are the program's, not emu's.
        bb("leading-options", &["--help", "-L", "--version", "--stats"]),
        bash_file("bash-version", "--version"),
        bash_file("bash-syntax-check", "-n broken.sh"),
        bash_file("bash-c-args", "-c 'echo $0 $1 $#' zero one two"),
        bash_file("bash-restricted", "-r -c 'cd /tmp'"),
        bash_file("bash-shopt-flag", "-O extglob -c 'shopt extglob; echo ${SHELLOPTS}'"),
        bb("text-heavy", &[
            "sed -n '1!G;h;$p' words.txt >rev.txt",
            "md5sum rev.txt",
            "awk '{ c[$1]++ } END { for (w in c) print c[w], w }' words.txt >freq",
            "sort -k 1,1nr -k 2 freq",
            "awk '{ s += $1; if ($1 > m) m = $1 } END { print s, m, NR, s % 97 }' numbers.txt",
            "grep -c -E '^[0-9]*7[0-9]*$' numbers.txt",
            "tr -s 'a-z' 'A-Z' <words.txt >upper",
            "cut -c 1-3 upper >pre",
            "sort pre >pre.sorted",
            "uniq -c pre.sorted",
        ]),
        bash("bash-text-heavy", "declare -A c; while read -r w; do c[$w]=$(( ${c[$w]:-0} + 1 )); done < words.txt; for k in alpha lima golf; do echo $k ${c[$k]}; done; n=0; while read -r x; do (( x % 7 == 0 )) && (( n++ )); done < numbers.txt; echo $n"),
        // ---- checksums and archives, larger ----
        bb("big-checksums", &["md5sum big.dat", "sha1sum big.dat", "sha256sum big.dat", "sha512sum big.dat", "sha3sum -a 256 big.dat", "crc32 big.dat"]),
        bb("big-gzip", &["gzip -c big.dat >big.gz", "gzip -1 -c big.dat >big1.gz", "gunzip -c big.gz >big.out", "cmp big.dat big.out"]),
        bb("big-bzip2", &["bzip2 -c big.dat >big.bz2", "bunzip2 -c big.bz2 >big.out", "cmp big.dat big.out"]),
        bb("big-sort", &["sort -n -r numbers.txt >sorted", "sort -u words.txt", "uniq -c sorted", "wc numbers.txt words.txt"]),
        bb("sha-check", &["sha256sum a.txt bin.dat >sums", "sha256sum -c sums", "sha1sum -c nosuch"]),
        bb("tar-more", &["tar cvf t.tar a.txt sub", "tar xvOf t.tar sub/x.c", "tar tf t.tar sub/deep/z.txt", "mkdir o", "tar xf t.tar -C o sub/x.c", "find o", "tar tf nosuch.tar"]),
        bb("tar-ustar-fixture", &["tar tvf fixture.tar", "tar xf fixture.tar", "cat inside/hello.txt"]),
        bb("unzip", &["unzip -l fixture.zip", "unzip -p fixture.zip inside/hello.txt", "unzip -o -q fixture.zip", "cat inside/data.txt"]),
        bb("ar", &["ar t fixture.a", "ar p fixture.a one.txt", "ar x fixture.a two.txt", "cat two.txt"]),
        bb("bzip2-test", &["bzip2 -k a.txt", "bzip2 -t a.txt.bz2", "bzip2 -d -c a.txt.bz2", "bunzip2 a.txt"]),
        bb("uuencode-base64", &["uuencode -m bin.dat bin.dat"]),
        bb("base64-wrap", &["base64 -w 20 a.txt", "<a.b64in base64 -d"]),
        // ---- more files ----
        bb("find-more", &["find . -iname 'A*'", "find sub -depth", "find . -name sub -prune -o -type f -name '*.c' -print", "find . -regex '.*/s[0-9].txt'", "find . -type f -links 1 -name 'e*'", "find sub -type f -perm 600"]),
        bb("find-exec-free", &["find . -maxdepth 1 -type f -size +100c", "find . -newer nosuch"]),
        bb("ls-more", &["ls -lh bin.dat long.txt", "ls -L -l link.txt", "ls -d sub sub/deep", "ls -lS sub", "ls -1 -c -r sub"]),
        bb("stat-more", &["stat -c '%n|%b|%B|%o|%u|%g|%U|%G|%f|%T' a.txt", "stat -c '%w %W' a.txt"]),
        bb("date-more", &["date -u -d @1234567890 -R", "date -u -d @1234567890 -I", "date -u -d @1600000000 '+%V %G %u %w %C %e %k %l %N %y %D %T %r %Z %z'", "date -u -D '%d/%m/%Y' -d 04/03/2021 +%s", "date -u -d nonsense"]),
        bb("du-more", &["du -h -d 1", "du -c -s sub a.txt"]),
        bb("dd-more", &["dd if=/dev/zero of=sparse bs=1 count=0 seek=1000000", "stat -c '%s' sparse", "dd if=nosuch", "dd if=bin.dat bs=100 skip=1 count=1 of=p1", "dd if=bin.dat ibs=7 obs=13 count=5 of=p2"]),
        bb("cmp-diff-more", &["cmp -s a.txt a2.txt", "diff -q a.txt a2.txt", "diff -b spaces.txt spaces2.txt", "diff -U 0 a.txt a2.txt", "diff a.txt nosuch"]),
        bb("patch-reverse", &["<a.patch patch -p0", "<a.patch patch -p0 -R", "cmp a.txt a2.txt"]),
        bb("cp-links", &["cp link.txt copied", "cp -P link.txt clink", "cp -R sub sub2", "cp a.txt sub/deep/z.txt/x", "stat -c '%n %F %s %a' copied clink"]),
        bb("mv-dirs", &["mv sub newsub", "mv newsub newsub/deep", "mv a.txt newsub/deep/", "find newsub"]),
        bb("rm-more", &["rm -rf sub nosuch", "rm -i a.txt", "rmdir nosuch", "rm -r -f ."]),
        bb("ln-more", &["ln -sf nums.txt link.txt", "readlink link.txt", "ln -s sub sublink", "ls sublink", "ln a.txt sub", "ls sub", "ln nosuch x"]),
        bb("chown", &["chown 1:2 a.txt", "chgrp 3 nums.txt", "ls -n a.txt nums.txt", "chmod 777 nosuch"]),
        bb("touch-more", &["touch -c nosuch", "touch -d '2010-01-01 00:00:00' sub", "stat -c '%n %Y' sub nosuch"]),
        bb("readlink-realpath-more", &["readlink -f dangling", "readlink -f sub/deep/../x.c", "realpath -s link.txt"]),
        bb("truncate-more", &["truncate -s +5 nums.txt", "truncate -s -3 a.txt", "truncate -c -s 10 nosuch", "od -c nums.txt", "wc -c a.txt"]),
        bb("mktemp-free-errors", &["cat sub", "head -n x a.txt", "mkdir a.txt/x", "wc sub", "tail nosuch"]),
        // ---- ash scripts ----
        ash("ash-file", "x=5; . ./lib.sh; greet world; echo $LIBVAR $x"),
        ash("ash-heredoc", "while read l; do echo \"[$l]\"; done <<EOF\nalpha beta\ngamma\nEOF"),
        ash("ash-trap-exit", "trap 'echo bye' EXIT; echo hi; exit 3"),
        ash("ash-getopts", "set -- -x -y arg file; while getopts xy: o; do echo \"$o=${OPTARG:-}\"; done; shift $((OPTIND-1)); echo rest=$*"),
        ash("ash-local", "f() { local v=inner; echo $v; }; v=outer; f; echo $v; g() { echo $((${1:-0} * 2)); }; g 21"),
        ash("ash-arith64", "echo $((1<<40)) $((9223372036854775807)) $((2147483647+1)) $((-2147483648-1)) $((0x7fffffff*3))"),
        ash("ash-builtins", "type echo; command -v cd; umask; umask 027; umask; ulimit -n >/dev/null; echo ok"),
        ash("ash-cd-pwd", "cd sub/deep && echo ${PWD##*/}; cd ..; echo ${PWD##*/}; cd nosuch; echo status=$?"),
        ash("ash-strings", "s=abcdef; echo ${s#ab} ${s%ef} ${#s}; case $s in *cd*) echo has-cd;; esac; printf '%5s|%-3s|\\n' $s x"),
        ash("ash-glob", "echo *.txt; echo sub/*; echo nomatch*"),
        ash("ash-exec-redirect", "exec 3>o.txt; echo to3 >&3; exec 3>&-; read x < o.txt; echo $x"),
        ash("ash-kill-l", "kill -l"),
        ash("ash-script-file", "set -e; echo start; false; echo never"),
        bb("ash-run-file", &["sh lib.sh arg1"]),
        // ---- bash scripts ----
        bash("bash-arith-edge", "echo $((2**63)) $((9223372036854775807+1)) $((7**20)) $((-17/5)) $((-17%5)) $((1<<63>>63)) $((~5)) $((5^3)) $((0x7fffffffffffffff/-1))"),
        bash("bash-div-zero", "echo $((5/0)); echo after"),
        bash("bash-param-ops", "v='a b c'; arr=(one two three); echo ${arr[@]/#/pre-} ${arr[@]/%/-post} ${v@Q} ${arr[*]^} ${v: -3} ${v:1:-1}"),
        bash("bash-declare-f", "f() { local x=1; for i in 1 2; do echo $i; done; }; declare -f f; declare -F"),
        bash("bash-read-opts", "read -n 3 a <<< 'abcdef'; read -d , b <<< 'x,y'; echo $a $b; printf '%d\\n' \"'A\""),
        bash("bash-glob", "echo *.txt; echo sub/*; shopt -s nullglob; echo nomatch*; shopt -s dotglob; echo sub/deep/*"),
        bash("bash-ansi-c", "echo $'tab\\there' $'\\x41\\101\\u00e9'; printf '%s\\n' $'a\\nb'"),
        bash("bash-set-x", "set -x; a=1; echo $((a+1)); set +x; echo quiet"),
        bash("bash-nounset", "set -u; echo ${undefined:-default}; echo $undefined; echo never"),
        bash("bash-param-error", "x=; echo ${x:?is empty}"),
        bash("bash-fib", "fib() { if (( $1 < 2 )); then echo -n; r=$1; return; fi; fib $(( $1 - 1 )); local a=$r; fib $(( $1 - 2 )); r=$((a + r)); }; fib 14; echo $r"),
        bash("bash-long-string", "s=; for ((i=0;i<2000;i++)); do s+=\"$i,\"; done; echo ${#s} ${s:0:20} ${s: -10}; t=${s//,/}; echo ${#t}"),
        bash("bash-assoc-many", "declare -A h; for ((i=0;i<300;i++)); do h[k$i]=$((i*i)); done; echo ${#h[@]} ${h[k17]} ${h[k299]}; unset 'h[k17]'; echo ${#h[@]}"),
        bash("bash-source", "source lib.sh; greet bash; echo $LIBVAR"),
        bash("bash-exec-fd", "exec 3>o.txt; echo three >&3; exec 3>&-; exec 4<o.txt; read -u 4 l; echo $l; exec 4<&-"),
        bash("bash-dirs", "pushd sub >/dev/null; pushd deep >/dev/null; dirs; popd >/dev/null; echo ${PWD##*/}; cd -; cd ~; echo ${PWD##*/}"),
        bash("bash-kill-l", "kill -l; trap -l"),
        bash("bash-case-fallthrough", "for x in a b c; do case $x in a) echo A;& b) echo B;;& *) echo any;; esac; done"),
        bash("bash-printf-float", "printf '%.2f %5.1f %e %g\\n' 3.14159 2.25 1234.5 0.00001"),
        bash("bash-umask", "umask 027; echo data > f1; umask 0; echo data > f2; umask"),
        bash("bash-caller", "f() { echo ${FUNCNAME[0]} ${FUNCNAME[1]} $LINENO; g; }; g() { echo ${FUNCNAME[*]} ${BASH_LINENO[0]}; }; f"),
        bash("bash-enable-compgen", "compgen -b; compgen -k"),
        bash("bash-test-ops", "[[ a < b ]] && echo lt; [[ 10 -gt 9 ]] && echo gt; [[ -e nosuch ]] || echo missing; [[ a.txt -nt nums.txt ]] || echo older; test -t 0 || echo notty"),
        bash("bash-eval", "cmd='echo evaluated $((6*7))'; eval \"$cmd\"; eval 'x=5'; echo $x"),
        bash("bash-ulimit", "ulimit -n; ulimit -s; ulimit -c"),
        bash("bash-wait-noop", "wait; echo $?"),
        bash_file("bash-script-error", "broken.sh"),
        bash_file("bash-missing-script", "nosuch.sh"),
        bash("bash-pwd-cd", "cd sub/deep; echo ${PWD##*/}; cd ..; pwd -P >/dev/null; cd nosuch; echo $?"),
        // ---- processes: pipelines, substitution, subshells, jobs, exec ----
        ash("ash-pipeline", "cat words.txt | sort | uniq -c | sort -rn | head -5"),
        ash("ash-pipeline-status", "false | true; echo $?; true | false; echo $?; ! true | false; echo $?"),
        ash("ash-cmdsubst", "n=$(wc -l < a.txt); echo lines=$n; echo \"$(echo inner $(echo nested))\"; x=`echo back`; echo $x"),
        ash("ash-subshell", "(cd sub && ls; exit 3); echo status=$? pwd=${PWD##*/}; (umask 077; echo x > sub-umask); stat -c %a sub-umask"),
        ash("ash-heredoc-pipe", "cat <<EOF\nline one $((1+1))\nline two\nEOF\ncat <<'EOF' | tr a-z A-Z\nquoted $HOME\nEOF"),
        ash("ash-background-wait", "sleep 0.2 & a=$!; (exit 5) & b=$!; wait $b; echo b=$?; wait $a; echo a=$?; wait; echo all"),
        ash("ash-xargs", "ls sub | xargs echo; seq 7 | xargs -n 3 echo; find . -name '*.txt' -type f | sort | xargs wc -l | tail -1"),
        ash("ash-find-exec", "find sub -type f -exec wc -c {} \\; | sort; find . -maxdepth 1 -name 'n*.txt' -exec sh -c 'echo found $1' sh {} \\;"),
        ash("ash-env-cmd", "env -i A=1 B=2 sh -c 'echo $A$B'; env X=7 sh -c 'echo $X'"),
        ash("ash-timeout", "timeout 1 sleep 5; echo status=$?; timeout 5 true; echo status=$?"),
        ash("ash-zcat-tgz", "gzip -c a.txt | zcat | head -2; tar czf t.tgz sub a.txt; tar tzf t.tgz; gzip -c nums.txt > n.gz; zcat n.gz | wc -l"),
        ash("ash-trap", "trap 'echo got INT' INT; trap 'echo got USR1' USR1; kill -INT $$; kill -USR1 $$; trap - INT; echo end"),
        ash("ash-trap-exit-status", "trap 'echo bye $?' EXIT; (exit 3); false"),
        ash("ash-kill-child", "sleep 5 & p=$!; kill $p; wait $p; echo status=$?; sleep 5 & p=$!; kill -9 $p; wait $p; echo status=$?"),
        ash("ash-yes-head", "yes | head -3; yes abc | head -c 10; echo"),
        ash("ash-exec", "exec sh -c 'echo replaced; exit 6'"),
        ash("ash-status-propagation", "sh -c 'exit 3'; echo $?; sh -c 'kill -TERM $$'; echo $?; sh -c 'sh -c \"exit 9\"'; echo $?"),
        ash("ash-read-pipe", "printf '3\\n1\\n2\\n' | sort | while read n; do echo n=$n; done"),
        bash("bash-pipeline", "sort words.txt | uniq -c | sort -k1,1nr -k2 | head -4; set -o pipefail; false | true; echo pipefail=$?"),
        bash("bash-cmdsubst", "files=$(ls *.txt | wc -l); echo $files; arr=($(seq 3)); echo ${#arr[@]}; echo \"$(date -u -d @0 +%Y)\""),
        bash("bash-process-subst", "diff <(sort dup.txt) <(sort -u dup.txt) | head -3; wc -l < <(seq 5)"),
        bash("bash-external", "for f in a.txt nums.txt; do wc -c \"$f\"; done; /bin/echo external; command -v sort >/dev/null && echo has-sort"),
        bash("bash-jobs-wait", "sleep 0.1 & sleep 0.05 & wait; echo done; (sleep 0.05; exit 4) & wait $!; echo $?; wait -n 2>/dev/null; echo n=$?"),
        bash("bash-coproc-like", "mkfifo f; (echo through fifo > f) & read l < f; echo \"$l\"; wait"),
        bash("bash-trap-signals", "trap 'echo TERM caught' TERM; trap 'echo CHLD' CHLD; kill -TERM $$; (true); sleep 0.05; trap - CHLD; echo end"),
        // (bash names the dead child's pid: masked.)
        bash("bash-kill-status", "sleep 5 & kill -TERM $!; wait $!; echo $?; { bash -c 'kill -SEGV $$'; echo $?; } 2>&1 | sed -E 's/[0-9]+ (Segm)/PID \\1/'; bash -c 'exit 200'; echo $?"),
        bash("bash-subshell-exit", "(exit 7); echo $?; x=$(exit 8); echo $?; { false; } || echo braces"),
        bash("bash-heredoc-pipe", "cat <<EOF | sort -r\nb\na\nc\nEOF"),
        bash("bash-exec-replace", "exec 4>out.txt; echo to-fd4 >&4; exec 4>&-; cat out.txt; exec /bin/echo exec-replaced"),
    ]
}

// ---- fixtures ----

/// See [`zip_fixture`].
const ZIP: &[u8] = &[
    0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x15, 0xee, 0x4a, 0xbc, 0x18,
    0x20, 0x7f, 0x19, 0x00, 0x00, 0x00, 0x19, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x69, 0x6e,
    0x73, 0x69, 0x64, 0x65, 0x2f, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2e, 0x74, 0x78, 0x74, 0x68, 0x65,
    0x6c, 0x6c, 0x6f, 0x20, 0x66, 0x72, 0x6f, 0x6d, 0x20, 0x61, 0x20, 0x7a, 0x69, 0x70, 0x20, 0x66,
    0x69, 0x78, 0x74, 0x75, 0x72, 0x65, 0x0a, 0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08,
    0x00, 0x00, 0x15, 0xee, 0x4a, 0x76, 0x71, 0x3d, 0x2b, 0x1e, 0x00, 0x00, 0x00, 0xcc, 0x01, 0x00,
    0x00, 0x0f, 0x00, 0x00, 0x00, 0x69, 0x6e, 0x73, 0x69, 0x64, 0x65, 0x2f, 0x64, 0x61, 0x74, 0x61,
    0x2e, 0x74, 0x78, 0x74, 0x4b, 0xce, 0xcf, 0x2d, 0x28, 0x4a, 0x2d, 0x2e, 0xce, 0x4c, 0xca, 0x49,
    0x55, 0x48, 0x49, 0x2c, 0x49, 0x54, 0xc8, 0xc9, 0xcc, 0x4b, 0xe5, 0x4a, 0x1e, 0x15, 0x1e, 0x7a,
    0xc2, 0x00, 0x50, 0x4b, 0x01, 0x02, 0x14, 0x03, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x15,
    0xee, 0x4a, 0xbc, 0x18, 0x20, 0x7f, 0x19, 0x00, 0x00, 0x00, 0x19, 0x00, 0x00, 0x00, 0x10, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa4, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x69, 0x6e, 0x73, 0x69, 0x64, 0x65, 0x2f, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2e, 0x74, 0x78, 0x74,
    0x50, 0x4b, 0x01, 0x02, 0x14, 0x03, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x15, 0xee, 0x4a,
    0x76, 0x71, 0x3d, 0x2b, 0x1e, 0x00, 0x00, 0x00, 0xcc, 0x01, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa4, 0x01, 0x47, 0x00, 0x00, 0x00, 0x69, 0x6e,
    0x73, 0x69, 0x64, 0x65, 0x2f, 0x64, 0x61, 0x74, 0x61, 0x2e, 0x74, 0x78, 0x74, 0x50, 0x4b, 0x05,
    0x06, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x7b, 0x00, 0x00, 0x00, 0x92, 0x00, 0x00,
    0x00, 0x00, 0x00,
];

/// The fixtures' base modification time (2020-09-13 12:26:40 UTC); each
/// gets its own offset so ls -t has something to sort.
const T0: i64 = 1_600_000_000;

fn long_text() -> String {
    let mut s = String::new();
    for i in 0..40 {
        s.push_str(&format!("word{i} "));
    }
    s.push('\n');
    s
}

/// 128 KiB of xorshift output (deterministic, incompressible).
fn big() -> Vec<u8> {
    let mut x: u32 = 2463534242;
    let mut v = Vec::with_capacity(128 << 10);
    while v.len() < 128 << 10 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v
}

/// 3000 numbers, one a line.
fn numbers() -> Vec<u8> {
    let mut x: u32 = 12345;
    let mut s = String::new();
    for _ in 0..3000 {
        x = x.wrapping_mul(1103515245).wrapping_add(12345);
        s.push_str(&format!("{}\n", (x >> 8) % 100_000));
    }
    s.into_bytes()
}

/// 2000 words from a small vocabulary.
fn words() -> Vec<u8> {
    const W: [&str; 12] = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
        "juliet", "kilo", "lima",
    ];
    let mut x: u32 = 777;
    let mut s = String::new();
    for _ in 0..2000 {
        x = x.wrapping_mul(1664525).wrapping_add(1013904223);
        s.push_str(W[(x >> 16) as usize % W.len()]);
        s.push('\n');
    }
    s.into_bytes()
}

/// A ustar archive: inside/ and inside/hello.txt (made here, byte by byte).
fn tar_fixture() -> Vec<u8> {
    fn header(name: &str, mode: u32, size: usize, typ: u8) -> [u8; 512] {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let oct = |h: &mut [u8; 512], at: usize, len: usize, v: u64| {
            let s = format!("{:0w$o}", v, w = len - 1);
            h[at..at + len - 1].copy_from_slice(s.as_bytes());
        };
        oct(&mut h, 100, 8, mode as u64);
        oct(&mut h, 108, 8, 1000);
        oct(&mut h, 116, 8, 1000);
        oct(&mut h, 124, 12, size as u64);
        oct(&mut h, 136, 12, 1_500_000_000);
        h[156] = typ;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[265..269].copy_from_slice(b"user");
        h[297..302].copy_from_slice(b"group");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        h
    }
    let body = b"hello from a tar fixture\n";
    let mut v = Vec::new();
    v.extend_from_slice(&header("inside/", 0o755, 0, b'5'));
    v.extend_from_slice(&header("inside/hello.txt", 0o640, body.len(), b'0'));
    v.extend_from_slice(body);
    v.resize(v.len().div_ceil(512) * 512, 0);
    v.resize(v.len() + 1024, 0);
    v
}

/// A zip archive with one stored and one deflated member, made with
/// Python's zipfile (busybox unzip only extracts).
fn zip_fixture() -> Vec<u8> {
    ZIP.to_vec()
}

/// An ar archive with two members (made here).
fn ar_fixture() -> Vec<u8> {
    let mut v = b"!<arch>\n".to_vec();
    for (name, data) in [
        ("one.txt", &b"first member\n"[..]),
        ("two.txt", &b"second\n"[..]),
    ] {
        let h = format!(
            "{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
            format!("{name}/"),
            1_500_000_000,
            0,
            0,
            "100644",
            data.len()
        );
        v.extend_from_slice(h.as_bytes());
        v.extend_from_slice(data);
        if data.len() % 2 == 1 {
            v.push(b'\n');
        }
    }
    v
}

fn fixtures() -> Vec<(&'static str, Vec<u8>, u32)> {
    let mut bin: Vec<u8> = (0..=255u8).collect();
    bin.extend((0..=255u8).rev());
    let mut mixed = Vec::new();
    for i in 0..40u8 {
        mixed.extend_from_slice(&[0, 1, i, 255]);
        if i % 7 == 0 {
            mixed.extend_from_slice(format!("text{i}").as_bytes());
        }
    }
    let a = "the quick brown fox\njumps over the lazy dog\nThe Quick Brown Fox\nhello world\nfoo bar  baz\n\nlast line\n";
    let a2 = "the quick brown fox\njumps over the lazy cat\nThe Quick Brown Fox\nhello world\nnew line here\nfoo bar  baz\n\nlast line\n";
    let patch = "--- a.txt\n+++ a.txt\n@@ -1,3 +1,3 @@\n the quick brown fox\n-jumps over the lazy dog\n+leaps over the lazy dog\n The Quick Brown Fox\n";
    // Made with xz-utils (busybox only decompresses xz and lzma).
    let xz: &[u8] = &[
        0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, 0xe6, 0xd6, 0xb4, 0x46, 0x02, 0x00, 0x21,
        0x01, 0x16, 0x00, 0x00, 0x00, 0x74, 0x2f, 0xe5, 0xa3, 0x01, 0x00, 0x2b, 0x68, 0x65, 0x6c,
        0x6c, 0x6f, 0x20, 0x78, 0x7a, 0x20, 0x64, 0x61, 0x74, 0x61, 0x0a, 0x73, 0x65, 0x63, 0x6f,
        0x6e, 0x64, 0x20, 0x6c, 0x69, 0x6e, 0x65, 0x20, 0x6f, 0x66, 0x20, 0x74, 0x68, 0x65, 0x20,
        0x78, 0x7a, 0x20, 0x66, 0x69, 0x78, 0x74, 0x75, 0x72, 0x65, 0x0a, 0x00, 0x50, 0x59, 0xc5,
        0x05, 0xe4, 0x70, 0xf1, 0x5e, 0x00, 0x01, 0x44, 0x2c, 0xc9, 0x53, 0x4b, 0x86, 0x1f, 0xb6,
        0xf3, 0x7d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x04, 0x59, 0x5a,
    ];
    let lzma: &[u8] = &[
        0x5d, 0x00, 0x00, 0x80, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x36,
        0x1e, 0x89, 0xdd, 0x7d, 0x49, 0x2e, 0x89, 0x05, 0xca, 0xd2, 0xeb, 0x8c, 0xe4, 0xa7, 0xac,
        0x19, 0x7f, 0xff, 0xdd, 0xf0, 0x00, 0x00,
    ];
    vec![
        ("a.txt", a.into(), 0o644),
        ("a2.txt", a2.into(), 0o644),
        ("nonl.txt", a.trim_end().into(), 0o644),
        ("nums.txt", "10\n2\n33\n2\n-5\n7\n100\n7\n".into(), 0o644),
        ("dup.txt", "a\na\nb\nc\nc\nc\nd\n".into(), 0o644),
        ("table.txt", "alice:30:paris\nbob:25:london\ncarol:35:berlin\ndave:25:paris\n".into(), 0o644),
        ("table2.txt", "1 one\n2 two words\n3\n".into(), 0o644),
        ("data.csv", "id,name,score\n1,ann,90\n2,ben,85\n3,cat,92\n".into(), 0o644),
        ("dots.txt", "a.b\naxb\na.b.c\n".into(), 0o644),
        ("tabs.txt", "a\tb\tc\n\tindent\nx\t\ty\n12345678\tz\n".into(), 0o644),
        ("spaces.txt", "a    b        c\n        eight\nsingle line\n".into(), 0o644),
        ("long.txt", long_text().into_bytes(), 0o644),
        ("s1.txt", "apple\nbanana\ncherry\ndate\n".into(), 0o644),
        ("s2.txt", "banana\ncherry\nelder\nfig\n".into(), 0o644),
        ("edit.sed", "s/the/THE/g\n/^$/d\n$a\\\nappended\n".into(), 0o644),
        ("calc.bc", "3+4*5\n2^20\n100/7\n17%5\nscale=0\n".into(), 0o644),
        ("a.patch", patch.into(), 0o644),
        ("a.ed", "2d\n1s/quick/QUICK/\n$a\nadded by ed\n.\nw\nq\n".into(), 0o644),
        ("list.txt", "sub\nsub/x.c\nsub/y.h\nsub/deep\nsub/deep/z.txt\n".into(), 0o644),
        ("packed.xz", xz.to_vec(), 0o644),
        ("packed.lzma", lzma.to_vec(), 0o644),
        ("bin.dat", bin, 0o644),
        ("mixed.dat", mixed, 0o644),
        ("empty", vec![], 0o644),
        ("ro.txt", "read only\n".into(), 0o444),
        ("exec.sh", "#!/bin/sh\necho run\n".into(), 0o755),
        ("script.sh", "echo \"args: $#\"\nfor a in \"$@\"; do echo \"<$a>\"; done\nsq() { echo $(( $1 * $1 )); }\nsq 12\necho \"line $LINENO\"\n".into(), 0o644),
        ("case.txt", "Apple\napple\nAPPLE\nbanana\nBanana\n".into(), 0o644),
        ("fields.txt", "1 same\n2 same\n3 other\nxxsame\nyysame\n".into(), 0o644),
        ("pats.txt", "lazy\nworld\n".into(), 0o644),
        ("floats.txt", "3.5\n1e2\n-2\n0.001\n10\n2.25e1\n".into(), 0o644),
        ("bigcalc.bc", "2^4000\nscale=200\n4*a(1)\ne(1)\nl(10)\n".into(), 0o644),
        ("sqrt.bc", "scale=30\nsqrt(2)\n1/7\n2^100\n".into(), 0o644),
        ("spaces2.txt", "a b  c\n        eight\nsingle   line\n".into(), 0o644),
        ("a.b64in", "aGVsbG8gd29y\nbGQK\n".into(), 0o644),
        ("lib.sh", "LIBVAR=from-lib\ngreet() { echo \"hello, $1\"; }\necho \"lib args: $#\"\n".into(), 0o644),
        ("broken.sh", "echo ok\nif then\n".into(), 0o644),
        ("big.dat", big(), 0o644),
        ("numbers.txt", numbers(), 0o644),
        ("words.txt", words(), 0o644),
        ("fixture.tar", tar_fixture(), 0o644),
        ("fixture.zip", zip_fixture(), 0o644),
        ("fixture.a", ar_fixture(), 0o644),
        ("sub/x.c", "int main(void) { return 0; }\n".into(), 0o644),
        ("sub/y.h", "#define Y 1\n".into(), 0o600),
        ("sub/deep/z.txt", "deep\n".into(), 0o644),
    ]
}

fn set_mtime(path: &Path, t: i64, follow: bool) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let ts = libc::timespec {
        tv_sec: t,
        tv_nsec: 0,
    };
    let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
    // SAFETY: valid path and two timespecs.
    unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), [ts, ts].as_ptr(), flags) };
}

/// A fresh scratch directory `dir` with the fixtures.
fn populate(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir.join("sub/deep"))?;
    for (i, (name, data, mode)) in fixtures().iter().enumerate() {
        let p = dir.join(name);
        std::fs::write(&p, data)?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(*mode))?;
        set_mtime(&p, T0 + i as i64 * 86_400, true);
    }
    std::os::unix::fs::symlink("a.txt", dir.join("link.txt"))?;
    std::os::unix::fs::symlink("nowhere", dir.join("dangling"))?;
    set_mtime(&dir.join("link.txt"), T0 - 100, false);
    set_mtime(&dir.join("dangling"), T0 - 200, false);
    for d in ["sub/deep", "sub", "."] {
        std::fs::set_permissions(dir.join(d), std::fs::Permissions::from_mode(0o755))?;
        set_mtime(&dir.join(d), T0 - 1000, true);
    }
    Ok(())
}

/// What a case left behind: every entry under `dir` with its type, mode,
/// size and contents (a hash) or link target; modification times only
/// when they are not "now" (fixtures, or set by the case).
fn tree(dir: &Path) -> String {
    fn walk(root: &Path, d: &Path, now: i64, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else {
            return;
        };
        let mut ents: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        ents.sort();
        for p in ents {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            // Times the runs set themselves ("now") differ by the seconds
            // between them.
            let recent = (m.mtime() - now).abs() < 3 * 86_400;
            let mtime = if recent {
                "new".to_string()
            } else {
                m.mtime().to_string()
            };
            let ft = m.file_type();
            if ft.is_symlink() {
                let t = std::fs::read_link(&p).unwrap_or_default();
                out.push(format!("{rel} -> {}", t.display()));
            } else if ft.is_dir() {
                out.push(format!("{rel}/ {:o}", m.mode() & 0o7777));
                walk(root, &p, now, out);
            } else if ft.is_file() {
                let data = std::fs::read(&p).unwrap_or_default();
                let h = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                    (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
                });
                out.push(format!(
                    "{rel} {:o} {} {:016x} {mtime}",
                    m.mode() & 0o7777,
                    m.len(),
                    h
                ));
            } else {
                out.push(format!("{rel} special {:o}", m.mode()));
            }
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut out = Vec::new();
    walk(dir, dir, now, &mut out);
    out.join("\n")
}

// ---- running and comparing a case ----

struct Outcome {
    steps: Vec<Output>,
    tree: String,
}

fn run_case(t: &Tools, case: &Case, mode: Mode, base: &Path) -> Outcome {
    // The case works in base/w; base itself is scratch space next to it.
    let dir = base.join("w");
    if let Err(e) = std::fs::create_dir_all(base).and_then(|_| populate(&dir)) {
        return Outcome {
            steps: vec![Output {
                stdout: vec![],
                stderr: format!("harness: cannot set up {}: {e}", dir.display()).into_bytes(),
                status: -1,
            }],
            tree: String::new(),
        };
    }
    for f in std::fs::read_dir(base).into_iter().flatten().flatten() {
        if f.path() != dir {
            let _ = std::fs::remove_file(f.path());
        }
    }
    let steps = case
        .steps
        .iter()
        .map(|s| run_cmd(t, mode, s, &dir))
        .collect();
    Outcome {
        steps,
        tree: tree(&dir),
    }
}

fn show(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.len() > 1500 {
        let mut i = 1500;
        while !s.is_char_boundary(i) {
            i += 1;
        }
        format!("{}... [{} bytes]", &s[..i], b.len())
    } else {
        s.into_owned()
    }
}

fn text_diff(what: &str, a: &[u8], b: &[u8], out: &mut String) {
    use std::fmt::Write;
    if a == b {
        return;
    }
    let (sa, sb) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let (la, lb): (Vec<&str>, Vec<&str>) = (sa.lines().collect(), sb.lines().collect());
    let first = (0..la.len().max(lb.len()))
        .find(|&i| la.get(i) != lb.get(i))
        .unwrap_or(la.len().min(lb.len()));
    let _ = writeln!(
        out,
        "    {what} differs at line {} ({} vs {} bytes):\n      native: {:?}\n      emu:    {:?}",
        first + 1,
        a.len(),
        b.len(),
        la.get(first).unwrap_or(&"<end>"),
        lb.get(first).unwrap_or(&"<end>"),
    );
    let _ = writeln!(
        out,
        "    --- native {what}\n{}\n    --- emu {what}\n{}",
        show(a),
        show(b)
    );
}

fn compare(case: &Case, n: &Outcome, e: &Outcome) -> Option<String> {
    use std::fmt::Write;
    let mut out = String::new();
    for (i, (s, (a, b))) in case
        .steps
        .iter()
        .zip(n.steps.iter().zip(&e.steps))
        .enumerate()
    {
        if a == b {
            continue;
        }
        let _ = writeln!(
            out,
            "  step {} ({:?} {:?}): status native {} emu {}",
            i + 1,
            s.prog,
            s.args,
            a.status,
            b.status
        );
        text_diff("stdout", &a.stdout, &b.stdout, &mut out);
        text_diff("stderr", &a.stderr, &b.stderr, &mut out);
    }
    if n.tree != e.tree {
        text_diff("files", n.tree.as_bytes(), e.tree.as_bytes(), &mut out);
    }
    (!out.is_empty()).then(|| format!("case {}:\n{out}", case.name))
}

fn native_ok(t: &Tools) -> Result<(), String> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("busybox-probe");
    let _ = std::fs::create_dir_all(&dir);
    let step = parse(Prog::Busybox, "echo ok");
    let r = run_cmd(t, Mode::Native, &step, &dir);
    if r.status == 0 && r.stdout == b"ok\n" {
        Ok(())
    } else {
        Err(format!(
            "status {}, {}",
            r.status,
            String::from_utf8_lossy(&r.stderr).trim()
        ))
    }
}

#[test]
fn busybox_and_bash_match_native() {
    let root = i386_root();
    let busybox = root.join("bin/busybox");
    let bash = root.join("bin/bash-static");
    for b in [&busybox, &bash] {
        if !b.is_file() {
            say(&format!(
                "busybox tier SKIPPED: {} is missing (set EMU_I386_ROOT, or dpkg -x Debian's \
                 busybox-static:i386 and bash-static:i386 into target/i386-root as .ci/run does)",
                b.display()
            ));
            return;
        }
    }
    let setarch = Command::new("setarch")
        .args(["i686", "-R", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !setarch {
        // Native runs need the personality emu gives its guests (uname -m
        // i686, no ASLR), as the other native tiers do.
        say("busybox tier SKIPPED: `setarch i686 -R` does not work on this host");
        return;
    }
    let tools = Tools {
        busybox,
        bash,
        setarch,
    };
    if let Err(e) = native_ok(&tools) {
        say(&format!(
            "busybox tier SKIPPED: this host cannot run i386 programs natively ({e})"
        ));
        return;
    }

    let cases = cases();
    {
        let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), cases.len(), "case names must be unique");
    }
    let filter = std::env::var("EMU_BUSYBOX_CASES").ok();
    let selected: Vec<&Case> = cases
        .iter()
        .filter(|c| {
            filter
                .as_deref()
                .map_or(true, |f| f.split(',').any(|p| c.name.contains(p)))
        })
        .collect();
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("busybox");
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::<(usize, String)>::new());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8);
    // EMU_BUSYBOX_DUMP=FILE: write every native output there (for review).
    let dump = std::env::var_os("EMU_BUSYBOX_DUMP");
    let dumped = Mutex::new(Vec::<(usize, String)>::new());
    let times = Mutex::new(Vec::<(Duration, Duration, usize)>::new());
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = selected.get(i) else {
                    break;
                };
                let base = scratch.join(&case.name);
                let t = Instant::now();
                let n = run_case(&tools, case, Mode::Native, &base);
                let tn = t.elapsed();
                let e = run_case(&tools, case, Mode::Emu, &base);
                times.lock().unwrap().push((t.elapsed() - tn, tn, i));
                if let Some(d) = &dump {
                    let mut text = format!("==== {}\n", case.name);
                    for (s, o) in case.steps.iter().zip(&n.steps) {
                        text.push_str(&format!(
                            "-- {:?} {:?} => {}\n{}\n-- stderr\n{}\n",
                            s.prog,
                            s.args,
                            o.status,
                            show(&o.stdout),
                            show(&o.stderr)
                        ));
                    }
                    dumped.lock().unwrap().push((i, text));
                    let _ = d;
                }
                if let Some(d) = compare(case, &n, &e) {
                    failures.lock().unwrap().push((i, d));
                }
            });
        }
    });
    if let Some(d) = &dump {
        let mut v = dumped.into_inner().unwrap();
        v.sort();
        let text: String = v.into_iter().map(|(_, t)| t).collect();
        std::fs::write(d, text).expect("write EMU_BUSYBOX_DUMP");
    }
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    let steps: usize = selected.iter().map(|c| c.steps.len()).sum();
    let passed = selected.len() - failures.len();
    say(&format!(
        "busybox tier: {passed}/{} cases ({steps} commands) equal to native in {:.1?}",
        selected.len(),
        t0.elapsed()
    ));
    let mut times = times.into_inner().unwrap();
    times.sort();
    let slow: Vec<String> = times
        .iter()
        .rev()
        .take(5)
        .map(|(e, n, i)| format!("{} {:.2?} (native {:.2?})", selected[*i].name, e, n))
        .collect();
    say(&format!("  slowest under emu: {}", slow.join(", ")));
    if !failures.is_empty() {
        let names: Vec<&str> = failures
            .iter()
            .map(|(i, _)| selected[*i].name.as_str())
            .collect();
        let report: Vec<String> = failures.into_iter().map(|(_, d)| d).collect();
        panic!(
            "{} of {} cases differ from native: {}\n\n{}",
            names.len(),
            selected.len(),
            names.join(", "),
            report.join("\n")
        );
    }
}
