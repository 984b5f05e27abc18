//! `select!`: which branch wins, fairness, disabling by pattern and precondition, `else`,
//! control flow in handlers, and what gets dropped. Driven by `futures::executor::block_on`.

mod macros_fixtures;

use futures::executor::block_on;
use macros_fixtures::{never, Countdown, Probe};
use std::future::{pending, ready};

#[test]
fn the_ready_branch_wins() {
    let won = block_on(async {
        zokio::select! {
            _ = pending::<()>() => 0,
            v = ready(5) => v,
        }
    });
    assert_eq!(won, 5);
}

#[test]
fn the_first_to_complete_wins_and_the_losers_are_dropped() {
    let (slow, fast) = (Countdown::new(5, "slow"), Countdown::new(2, "fast"));
    let (slow_probe, fast_probe) = (slow.probe.clone(), fast.probe.clone());
    let won = block_on(async {
        zokio::select! {
            biased;
            v = slow => v,
            v = fast => v,
        }
    });
    assert_eq!(won, "fast");
    assert_eq!((fast_probe.polls(), slow_probe.polls()), (3, 3));
    assert_eq!((fast_probe.drops(), slow_probe.drops()), (1, 1));
}

fn count_winners(biased: bool) -> [u32; 2] {
    let mut counts = [0u32; 2];
    for _ in 0..1_000 {
        let branch = block_on(async {
            if biased {
                zokio::select! { biased; _ = ready(()) => 0, _ = ready(()) => 1 }
            } else {
                zokio::select! { _ = ready(()) => 0, _ = ready(()) => 1 }
            }
        });
        counts[branch] += 1;
    }
    counts
}

#[test]
fn biased_always_polls_in_written_order() {
    assert_eq!(count_winners(true), [1_000, 0]);
}

#[test]
fn unbiased_starts_at_a_random_branch() {
    let counts = count_winners(false);
    assert_eq!(counts[0] + counts[1], 1_000);
    assert!(counts[0] >= 100 && counts[1] >= 100, "{counts:?}");
}

#[test]
fn a_pattern_mismatch_disables_the_branch() {
    let none = Countdown::new(0, None::<u32>);
    let later = Countdown::new(3, 9u32);
    let (none_probe, later_probe) = (none.probe.clone(), later.probe.clone());
    let won = block_on(async {
        zokio::select! {
            biased;
            Some(v) = none => v,
            v = later => v + 100,
        }
    });
    assert_eq!(won, 109);
    // Completed once with `None`, then never polled again while the other branch went on.
    assert_eq!((none_probe.polls(), later_probe.polls()), (1, 4));
}

#[test]
fn a_false_precondition_disables_without_polling() {
    let probe = Probe::default();
    let mut evaluated = 0;
    let won = block_on(async {
        zokio::select! {
            v = { evaluated += 1; Countdown::named("off", 0, 1u32, &probe) }, if false => v,
            v = Countdown::new(1, 2u32), if true => v,
        }
    });
    assert_eq!(won, 2);
    assert_eq!(
        evaluated, 1,
        "the future expression is evaluated even when disabled"
    );
    assert_eq!((probe.polls(), probe.drops()), (0, 1));
}

#[test]
fn else_runs_when_every_branch_is_disabled() {
    let by_pattern = block_on(async {
        zokio::select! {
            Some(v) = ready(None::<u32>) => v,
            Ok(v) = ready(Err::<u32, ()>(())) => v,
            else => 77,
        }
    });
    assert_eq!(by_pattern, 77);
    let probe = Probe::default();
    let by_precondition = block_on(async {
        zokio::select! {
            _ = never::<()>(&probe), if 1 > 2 => 1,
            else => 2,
        }
    });
    assert_eq!(by_precondition, 2);
    assert_eq!((probe.polls(), probe.drops()), (0, 1));
    assert_eq!(
        block_on(async {
            zokio::select! { else => 3 }
        }),
        3
    );
}

#[test]
#[should_panic(expected = "all branches are disabled and there is no else branch")]
fn panics_when_every_branch_is_disabled_and_no_else() {
    block_on(async {
        zokio::select! {
            Some(v) = ready(None::<u32>) => v,
            v = ready(1), if false => v,
        }
    });
}

async fn returns_from_handler(early: bool) -> &'static str {
    zokio::select! {
        _ = ready(()), if early => return "returned",
        else => {}
    }
    "fell through"
}

async fn question_mark_in_handler(input: &str) -> Result<u32, std::num::ParseIntError> {
    let n = zokio::select! {
        s = ready(input) => s.parse::<u32>()?,
    };
    Ok(n + 1)
}

#[test]
fn handlers_can_return_and_use_question_mark() {
    assert_eq!(block_on(returns_from_handler(true)), "returned");
    assert_eq!(block_on(returns_from_handler(false)), "fell through");
    assert_eq!(block_on(question_mark_in_handler("41")), Ok(42));
    assert!(block_on(question_mark_in_handler("x")).is_err());
}

#[test]
fn handlers_can_break_and_continue_the_enclosing_loop() {
    let (iterations, continued) = block_on(async {
        let (mut iterations, mut continued) = (0, 0);
        'outer: loop {
            iterations += 1;
            for i in 0..3 {
                zokio::select! {
                    biased;
                    _ = ready(()), if i == 1 => continue,
                    _ = ready(()), if iterations == 4 => break 'outer,
                    _ = ready(()) => {}
                }
                continued += 1;
            }
        }
        (iterations, continued)
    });
    assert_eq!((iterations, continued), (4, 6));
}

#[test]
fn futures_are_dropped_before_the_handler_runs() {
    let mut seen = vec![1];
    let out = block_on(async {
        zokio::select! {
            mut n = async { seen.push(2); seen.len() } => {
                // The future borrowed `seen` mutably; it is gone by now.
                seen.push(3);
                n += 10;
                n
            }
        }
    });
    assert_eq!((out, seen), (12, vec![1, 2, 3]));
}

#[test]
fn a_pinned_future_can_be_reused_across_iterations() {
    let slow = Countdown::new(3, "done");
    let probe = slow.probe.clone();
    let ticks = block_on(async {
        zokio::pin!(slow);
        let mut ticks = 0;
        loop {
            zokio::select! {
                biased;
                v = &mut slow => break (ticks, v),
                _ = ready(()) , if ticks < 5 => ticks += 1,
            }
        }
    });
    // `slow` is Pending three times, so the ready branch wins three rounds; the fourth is `slow`'s.
    assert_eq!(ticks, (3, "done"));
    assert_eq!((probe.polls(), probe.drops()), (4, 1));
}

macro_rules! sixty_four_branches {
    ($($i:literal)*) => {
        zokio::select! {
            $( v = ready($i), if $i == 63 => v, )*
        }
    };
}

#[test]
fn sixty_four_branches_are_supported() {
    let won = block_on(async {
        sixty_four_branches!(
            0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
            32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63
        )
    });
    assert_eq!(won, 63);
}

#[test]
fn accepts_into_future_values() {
    struct Later(u8);
    impl std::future::IntoFuture for Later {
        type Output = u8;
        type IntoFuture = std::future::Ready<u8>;
        fn into_future(self) -> Self::IntoFuture {
            ready(self.0 * 2)
        }
    }
    assert_eq!(
        block_on(async {
            zokio::select! { v = Later(4) => v }
        }),
        8
    );
}
