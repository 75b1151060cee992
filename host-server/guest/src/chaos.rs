//! Deliberate misbehaviour, compiled only with the `chaos` feature, so the host's tests can
//! prove that a looping, hoarding or trapping guest costs one failed call and nothing more.

use std::hint::black_box;

use order_core::Command;

/// Misbehaves when an AddItem names one of the chaos products; otherwise returns.
pub fn misbehave(command: &Command) {
    let Command::AddItem(add) = command else {
        return;
    };
    match add.product_id.as_str() {
        "chaos-loop" => spin_forever(),
        "chaos-alloc" => hoard_memory(),
        "chaos-trap" => panic!("chaos-trap: the guest traps on purpose"),
        _ => {}
    }
}

fn spin_forever() -> ! {
    let mut n: u64 = 0;
    loop {
        // black_box keeps the loop observable so the optimiser cannot remove it.
        n = black_box(n.wrapping_add(1));
    }
}

fn hoard_memory() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        // Reserve without filling: what runs away is memory, not fuel spent writing it.
        let mut chunk = Vec::<u8>::with_capacity(1 << 20);
        chunk.push(1);
        hoard.push(black_box(chunk));
    }
}
