//! `join!` and `try_join!`: outputs, exact poll counts, rotation of the first polled future,
//! short-circuit on `Err` and the drops it implies. Driven by `futures::executor::block_on`.

mod macros_fixtures;

use futures::executor::block_on;
use macros_fixtures::{never, Countdown, Probe};
use std::future::ready;

#[test]
fn join_returns_every_output_and_polls_each_until_done() {
    let (a, b, c) = (
        Countdown::new(2, 'a'),
        Countdown::new(5, "b"),
        Countdown::new(0, 3u8),
    );
    let probes = [a.probe.clone(), b.probe.clone(), c.probe.clone()];
    let out = block_on(async { zokio::join!(a, b, c) });
    assert_eq!(out, ('a', "b", 3u8));
    // Pending N times then Ready: N + 1 polls, and never polled again once done.
    assert_eq!(probes.each_ref().map(Probe::polls), [3, 6, 1]);
    assert_eq!(probes.each_ref().map(Probe::drops), [1, 1, 1]);
}

#[test]
fn join_of_nothing_is_unit() {
    let () = block_on(async { zokio::join!() });
    let one: (u8,) = block_on(async { zokio::join!(ready(1u8)) });
    assert_eq!(one, (1,));
}

fn poll_order(biased: bool) -> Vec<&'static str> {
    let probe = Probe::default();
    let (a, b) = (
        Countdown::named("a", 2, (), &probe),
        Countdown::named("b", 2, (), &probe),
    );
    block_on(async {
        if biased {
            zokio::join!(biased; a, b)
        } else {
            zokio::join!(a, b)
        }
    });
    probe.log()
}

#[test]
fn join_rotates_the_first_polled_future() {
    assert_eq!(poll_order(false), ["a", "b", "b", "a", "a", "b"]);
    assert_eq!(poll_order(true), ["a", "b", "a", "b", "a", "b"]);
}

#[test]
fn join_accepts_async_blocks_borrowing_locals() {
    let mut log = Vec::new();
    let name = String::from("zokio");
    let (len, upper) = block_on(async {
        zokio::join!(async { name.len() }, async {
            log.push(1);
            name.to_uppercase()
        })
    });
    assert_eq!((len, upper.as_str(), log), (5, "ZOKIO", vec![1]));
}

#[test]
fn try_join_returns_ok_of_all_values() {
    let out = block_on(async {
        zokio::try_join!(
            Countdown::new(1, Ok::<u8, &str>(1)),
            ready(Ok("two")),
            async { Ok(3.0) }
        )
    });
    assert_eq!(out, Ok((1, "two", 3.0)));
    let empty: Result<(), ()> = block_on(async { zokio::try_join!() });
    assert_eq!(empty, Ok(()));
}

#[test]
fn try_join_returns_the_first_err_and_drops_the_rest() {
    let (pending, failing, done) = (Probe::default(), Probe::default(), Probe::default());
    let out: Result<(u8, u8, u8), &str> = block_on(async {
        zokio::try_join!(
            never::<Result<u8, &str>>(&pending),
            Countdown::named("fail", 2, Err("boom"), &failing),
            Countdown::named("ok", 0, Ok(3), &done),
        )
    });
    assert_eq!(out, Err("boom"));
    assert_eq!((pending.polls(), failing.polls(), done.polls()), (3, 3, 1));
    assert_eq!((pending.drops(), failing.drops(), done.drops()), (1, 1, 1));
}

#[test]
fn try_join_stops_polling_at_the_err() {
    let (first, second) = (Probe::default(), Probe::default());
    let out: Result<((), ()), u8> = block_on(async {
        zokio::try_join!(
            biased;
            Countdown::named("err", 0, Err(7), &first),
            never::<Result<(), u8>>(&second),
        )
    });
    assert_eq!(out, Err(7));
    // The error was seen before the second future was ever polled.
    assert_eq!((first.polls(), second.polls(), second.drops()), (1, 0, 1));
}
