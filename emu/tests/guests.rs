//! Guest programs (guest/bin, built from guest/src) run under emu and
//! compared with snapshots recorded from *native* runs of the same binaries.
//!
//! For each program: stdout is masked (flags Intel documents as undefined
//! for the printed instruction become `?`, see guest/README.md), the exit
//! status is appended (`exit: N`, 128+signal for a death by signal), and the
//! result must equal `snapshots/guest_<name>.snap`.  Where the host runs
//! i386 binaries, the test also runs the binary natively and checks the
//! snapshot still matches the hardware, so emulated == native.
//!
//! Snapshots are never taken from emu: record them with guest/record.sh
//! (`EMU_RECORD_NATIVE=1 cargo test -p emu --test guests`).

mod common;

macro_rules! guests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                common::check_guest(stringify!($name));
            }
        )*
        const ALL: &[&str] = &[$(stringify!($name)),*];
    };
}

guests!(
    hello,
    alu,
    mov,
    string,
    cc,
    shift,
    bit,
    muldiv,
    bcd,
    control,
    prefix,
    misc,
    smc,
    segment,
    far,
    fault_read,
    fault_write,
    fault_exec,
    fault_wtext,
    fault_ud2,
    fault_div0,
    fault_div8ov,
    fault_idivov,
    fault_aam0,
    fault_int3,
    fault_int81,
    fault_hlt,
    fault_into,
    fault_bound,
    fault_lockreg,
    fault_toolong,
    fault_icebp,
    fault_tf,
    fault_far_lret,
    fault_far_rpl,
    fault_far_null,
    fault_far_nt,
    fault_far_np,
);

/// Every binary in guest/bin has a test above and a snapshot.
#[test]
fn every_guest_binary_is_tested() {
    let mut missing = Vec::new();
    for e in std::fs::read_dir(common::guest_dir().join("bin")).unwrap() {
        let n = e.unwrap().file_name().into_string().unwrap();
        if !ALL.contains(&n.as_str()) {
            missing.push(n);
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "guest binaries without a test in guests.rs: {missing:?}"
    );
    if !common::record_mode() {
        let nosnap: Vec<&&str> = ALL
            .iter()
            .filter(|n| !common::snapshot_path(n).exists())
            .collect();
        assert!(nosnap.is_empty(), "guests without a snapshot: {nosnap:?}");
    }
}

/// Says whether the native tier runs on this host.
#[test]
fn native_tier() {
    if common::native_available() {
        eprintln!("native tier: host runs i386 binaries; every guest is also checked natively");
    } else {
        common::skip("guests native tier", "this host cannot run i386 binaries");
    }
}

/// The masking itself.
#[test]
fn masking() {
    // add: all six flags defined.
    assert_eq!(
        common::mask_line("x fl=00000a95 op=01d8").unwrap(),
        "x fl=O.S.APC op=01d8"
    );
    // and: AF undefined.
    assert_eq!(
        common::mask_line("x fl=00000a95 op=21d8").unwrap(),
        "x fl=O.S.?PC op=21d8"
    );
    // mul: SF ZF AF PF undefined; um= adds more; several fl= tokens.
    assert_eq!(
        common::mask_line("x fl=00000ad5 fl=00000000 um=00000001 op=f7e3").unwrap(),
        "x fl=O.????? fl=..????? um=00000001 op=f7e3"
    );
    // shl by an immediate 0: flags untouched, nothing undefined.
    assert_eq!(
        common::mask_line("x fl=00000001 op=c1e000").unwrap(),
        "x fl=......C op=c1e000"
    );
    // a sequence: stc then and: CF written by and (cleared), AF undefined.
    assert_eq!(
        common::mask_line("x fl=00000010 op=f921d8").unwrap(),
        "x fl=....?.. op=f921d8"
    );
    // no fl= token: untouched.
    assert_eq!(
        common::mask_line("efl=00000246 op=zz").unwrap(),
        "efl=00000246 op=zz"
    );
}
