#!/bin/sh
# Re-record snapshots/guest_*.snap from NATIVE runs of guest/bin/* (never
# from emu).  Needs a host that runs i386 binaries.  Extra arguments go to
# the test binary, e.g. `guest/record.sh shift` to re-record one program.
set -e
cd "$(dirname "$0")/.."
EMU_RECORD_NATIVE=1 cargo test -p emu --test guests -- "$@"
