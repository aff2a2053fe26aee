#!/usr/bin/env bash
# Build an i386 sysroot for emu from Debian's i386 packages:
#
#   guest/sysroot.sh DIR [PACKAGE...]
#
# downloads PACKAGE:i386 for each PACKAGE (default: libc6 libgcc-s1
# libstdc++6, the C and C++ runtimes) with `apt-get download` into
# DIR/../i386-debs (a cache: a .deb already there is not fetched again) and
# unpacks each with `dpkg -x` into DIR. Then
#
#   emu -L DIR ./prog          (or EMU_SYSROOT=DIR emu ./prog)
#
# runs a dynamically linked i386 program with DIR's /lib/ld-linux.so.2 and
# libraries; paths missing from DIR fall back to the host's. The script
# also writes DIR/etc/ld.so.cache (ldconfig -r DIR), so that ld.so finds
# the libraries of DIR rather than those the host's cache names.
#
# apt must know the i386 architecture. As root the script sets that up
# (dpkg --add-architecture i386; apt-get update); otherwise run those two
# commands once as root first. Nothing is installed on the host.
# Exit status: 0 when every package was unpacked, 1 otherwise (the others
# are still unpacked).
set -uo pipefail

if [ $# -lt 1 ] || [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
    sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
root=$1
shift
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(libc6 libgcc-s1 libstdc++6)

mkdir -p "$root" || exit 1
root=$(cd "$root" && pwd)
cache="$(dirname "$root")/i386-debs"
mkdir -p "$cache" || exit 1

if ! dpkg --print-foreign-architectures 2>/dev/null | grep -qx i386; then
    if [ "$(id -u)" = 0 ]; then
        dpkg --add-architecture i386 && apt-get update -qq ||
            echo "sysroot: could not enable the i386 architecture" >&2
    else
        echo "sysroot: apt does not know i386; as root run:" >&2
        echo "    dpkg --add-architecture i386 && apt-get update" >&2
        exit 1
    fi
fi

status=0
for p in "${pkgs[@]}"; do
    name=${p%%:*}
    deb=$(ls "$cache/${name}"_*_i386.deb 2>/dev/null | head -n1)
    if [ -z "$deb" ]; then
        (cd "$cache" && apt-get download -q "$name:i386" >/dev/null) || {
            echo "sysroot: apt-get download $name:i386 failed" >&2
            status=1
            continue
        }
        deb=$(ls "$cache/${name}"_*_i386.deb 2>/dev/null | head -n1)
    fi
    if [ -z "$deb" ] || ! dpkg -x "$deb" "$root"; then
        echo "sysroot: cannot unpack $name:i386" >&2
        status=1
        continue
    fi
    echo "sysroot: $(basename "$deb")"
done

# ld.so reads /etc/ld.so.cache, which emu finds in the sysroot first: give
# the sysroot its own (the host's ldconfig reads i386 libraries too), or the
# host's cache would send ld.so to the host's /usr/lib32 libraries.
if [ -d "$root/etc/ld.so.conf.d" ] && [ ! -e "$root/etc/ld.so.conf" ]; then
    echo 'include /etc/ld.so.conf.d/*.conf' > "$root/etc/ld.so.conf"
fi
if [ -e "$root/etc/ld.so.conf" ]; then
    ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
    "$ldconfig" -r "$root" 2>/dev/null ||
        echo "sysroot: ldconfig -r $root failed; ld.so may use the host's cache" >&2
fi

# Debian's links are relative (lib/ld-linux.so.2 -> i386-linux-gnu/...), so
# they resolve inside the sysroot; say so if one does not.
if [ -e "$root/lib/ld-linux.so.2" ] || [ -L "$root/lib/ld-linux.so.2" ]; then
    [ -e "$root/lib/ld-linux.so.2" ] ||
        echo "sysroot: $root/lib/ld-linux.so.2 is a dangling link" >&2
fi
exit $status
