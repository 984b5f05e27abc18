//! Task lifecycles as `tracing` spans (feature `tracing`): which tasks get a span, its fields,
//! its parent, how often it is entered, and how it closes, over every scheduler flavor.
//!
//! One recording layer is the process's global subscriber (worker threads log through it), so
//! the tests take turns: each holds `serial()` and starts from an empty record.
#![cfg(feature = "tracing")]

use std::collections::HashMap;
use std::fmt;
use std::panic::Location;
use std::sync::{Mutex, MutexGuard, Once};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use zokio::runtime::{Builder, Runtime};
use zokio::sync::oneshot;
use zokio::task::JoinHandle;

// ---- the recording layer ----

/// One span as the layer saw it.
#[derive(Debug, Clone, Default)]
struct SpanRec {
    name: &'static str,
    target: String,
    level: String,
    fields: HashMap<String, String>,
    /// Index in `Store::spans` of its tracing parent.
    parent: Option<usize>,
    enters: u32,
    exits: u32,
    closes: u32,
}

impl SpanRec {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    fn u64(&self, name: &str) -> u64 {
        let v = self
            .field(name)
            .unwrap_or_else(|| panic!("no {name} in {self:?}"));
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a u64"))
    }
}

#[derive(Default)]
struct Store {
    spans: Vec<SpanRec>,
    /// Open spans by tracing id (ids are reused after a close).
    open: HashMap<u64, usize>,
    /// Events: (message, index of the span they were recorded in).
    events: Vec<(String, Option<usize>)>,
}

static STORE: Mutex<Option<Store>> = Mutex::new(None);

fn store() -> MutexGuard<'static, Option<Store>> {
    STORE.lock().unwrap_or_else(|e| e.into_inner())
}

fn with_store<R>(f: impl FnOnce(&mut Store) -> R) -> R {
    f(store().get_or_insert_with(Store::default))
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

struct Recorder;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let parent = ctx.span(id).and_then(|s| s.parent()).map(|p| p.id());
        let mut rec = SpanRec {
            name: attrs.metadata().name(),
            target: attrs.metadata().target().to_owned(),
            level: attrs.metadata().level().to_string(),
            ..SpanRec::default()
        };
        attrs.record(&mut Fields(&mut rec.fields));
        with_store(|st| {
            rec.parent = parent.and_then(|p| st.open.get(&p.into_u64()).copied());
            st.spans.push(rec);
            st.open.insert(id.into_u64(), st.spans.len() - 1);
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        with_store(|st| {
            let i = st.open[&id.into_u64()];
            values.record(&mut Fields(&mut st.spans[i].fields));
        });
    }

    fn on_enter(&self, id: &Id, _ctx: Context<'_, S>) {
        with_store(|st| {
            let i = st.open[&id.into_u64()];
            st.spans[i].enters += 1;
        });
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        with_store(|st| {
            let i = st.open[&id.into_u64()];
            st.spans[i].exits += 1;
        });
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        with_store(|st| {
            let i = st.open.remove(&id.into_u64()).expect("closed an open span");
            st.spans[i].closes += 1;
        });
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let span = ctx.event_span(event).map(|s| s.id());
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let message = fields.remove("message").unwrap_or_default();
        with_store(|st| {
            let span = span.and_then(|s| st.open.get(&s.into_u64()).copied());
            st.events.push((message, span));
        });
    }
}

static TURN: Mutex<()> = Mutex::new(());

/// Installs the recorder once, takes this test's turn, and empties the record.
fn serial() -> MutexGuard<'static, ()> {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(Recorder);
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    });
    let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    std::env::remove_var("ZOKIO_TRACE_TASKS");
    *store() = Some(Store::default());
    turn
}

/// The record so far.
fn recorded() -> Store {
    store().take().unwrap_or_default()
}

/// The `task` spans, in creation order.
fn task_spans(st: &Store) -> Vec<&SpanRec> {
    st.spans.iter().filter(|s| s.name == "task").collect()
}

// ---- fixtures ----

const FLAVORS: [&str; 3] = ["current_thread", "multi_thread_1", "multi_thread_4"];

/// A runtime of `flavor`, sampling task spans one in `sample` (`None`: the default).
fn runtime(flavor: &str, sample: Option<u32>) -> Runtime {
    let mut b = match flavor {
        "current_thread" => Builder::new_current_thread(),
        _ => Builder::new_multi_thread(),
    };
    match flavor {
        "multi_thread_1" => b.worker_threads(1),
        "multi_thread_4" => b.worker_threads(4),
        _ => &mut b,
    };
    if let Some(n) = sample {
        b.trace_tasks(n);
    }
    b.build().unwrap()
}

/// `zokio::spawn` at the caller's location, and that location as the span shows it.
#[track_caller]
fn spawn_here<F>(f: F) -> (JoinHandle<F::Output>, String)
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    (zokio::spawn(f), Location::caller().to_string())
}

/// Spawns `n` tasks from `block_on` (outside any task), each logging one event, and joins
/// them: their ids in spawn order, and where they were spawned.
fn spawn_n(rt: &Runtime, n: usize) -> (Vec<u64>, String) {
    rt.block_on(async move {
        let mut handles = Vec::new();
        let mut location = String::new();
        for i in 0..n {
            let (h, loc) = spawn_here(async move {
                tracing::info!("task {i} runs");
                i
            });
            handles.push(h);
            location = loc;
        }
        let mut ids = Vec::new();
        for (i, h) in handles.into_iter().enumerate() {
            ids.push(h.id().as_u64());
            assert_eq!(h.await.unwrap(), i);
        }
        (ids, location)
    })
}

/// Checks one closed `task` span of a task that completed in one poll.
fn assert_completed_once(s: &SpanRec, id: u64, location: &str) {
    assert_eq!(s.target, "zokio::task");
    assert_eq!(s.level, "INFO");
    assert_eq!(s.u64("task.id"), id);
    assert_eq!(s.field("task.name"), Some(""));
    assert_eq!(s.u64("task.parent"), 0, "spawned outside any task");
    assert_eq!(s.field("spawn.location"), Some(location));
    assert_eq!(s.field("task.outcome"), Some("ok"));
    assert_eq!(s.u64("task.polls"), 1);
    assert_eq!((s.enters, s.exits, s.closes), (1, 1, 1));
    assert_eq!(s.parent, None, "no span was current at the spawn");
}

/// Checks the `runtime` field: the runtime id when telemetry gives one, else absent.
fn assert_one_runtime(spans: &[&SpanRec]) {
    let ids: Vec<Option<&str>> = spans.iter().map(|s| s.field("runtime")).collect();
    if zokio::runtime::metrics::ENABLED {
        let first = ids[0].expect("a runtime id");
        assert_ne!(first, "0");
        assert!(ids.iter().all(|r| *r == Some(first)), "{ids:?}");
    } else {
        assert!(ids.iter().all(Option::is_none), "{ids:?}");
    }
}

// ---- tests ----

#[test]
fn sample_1_gives_every_task_a_span_closed_ok() {
    let _turn = serial();
    for flavor in FLAVORS {
        let rt = runtime(flavor, Some(1));
        let (ids, location) = spawn_n(&rt, 100);
        drop(rt);
        let st = recorded();
        let spans = task_spans(&st);
        assert_eq!(spans.len(), 100, "{flavor}");
        for (s, id) in spans.iter().zip(&ids) {
            assert_completed_once(s, *id, &location);
        }
        assert_one_runtime(&spans);
        // Each task's event was recorded inside its own span.
        assert_eq!(st.events.len(), 100, "{flavor}");
        for (msg, span) in &st.events {
            let i: u64 = msg["task ".len()..msg.len() - " runs".len()]
                .parse()
                .unwrap();
            let s = &st.spans[span.expect("inside a span")];
            assert_eq!(s.u64("task.id"), ids[i as usize], "{flavor}: {msg}");
        }
        *store() = Some(Store::default());
    }
}

#[test]
fn sample_4_gives_one_task_in_4_a_span() {
    let _turn = serial();
    for flavor in FLAVORS {
        let rt = runtime(flavor, Some(4));
        let (ids, location) = spawn_n(&rt, 100);
        drop(rt);
        let st = recorded();
        let spans = task_spans(&st);
        assert_eq!(spans.len(), 25, "{flavor}");
        // The runtime counts its spawns: the 1st, 5th, 9th... are sampled.
        for (s, id) in spans.iter().zip(ids.iter().step_by(4)) {
            assert_completed_once(s, *id, &location);
        }
        // Events of unsampled tasks are in no span.
        let in_span = st.events.iter().filter(|(_, s)| s.is_some()).count();
        assert_eq!((st.events.len(), in_span), (100, 25), "{flavor}");
        *store() = Some(Store::default());
    }
}

#[test]
fn sampling_is_off_by_default() {
    let _turn = serial();
    for flavor in FLAVORS {
        let rt = runtime(flavor, None);
        spawn_n(&rt, 100);
        drop(rt);
        let st = recorded();
        assert_eq!(st.spans.len(), 0, "{flavor}: no spans at all");
        assert_eq!(
            st.events.len(),
            100,
            "{flavor}: the subscriber was listening"
        );
        assert!(st.events.iter().all(|(_, s)| s.is_none()));
        *store() = Some(Store::default());
    }
}

#[test]
fn sample_0_turns_spans_off() {
    let _turn = serial();
    let rt = runtime("multi_thread_4", Some(0));
    spawn_n(&rt, 10);
    drop(rt);
    assert_eq!(recorded().spans.len(), 0);
}

#[test]
fn env_var_is_the_default_and_the_builder_wins() {
    let _turn = serial();
    std::env::set_var("ZOKIO_TRACE_TASKS", "2");
    let rt = runtime("current_thread", None);
    spawn_n(&rt, 10);
    drop(rt);
    assert_eq!(task_spans(&recorded()).len(), 5, "ZOKIO_TRACE_TASKS=2");

    *store() = Some(Store::default());
    let rt = runtime("current_thread", Some(0));
    spawn_n(&rt, 10);
    drop(rt);
    assert_eq!(
        recorded().spans.len(),
        0,
        "the builder's 0 over the variable's 2"
    );

    std::env::set_var("ZOKIO_TRACE_TASKS", "often");
    let err = Builder::new_current_thread().build().unwrap_err();
    std::env::remove_var("ZOKIO_TRACE_TASKS");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("ZOKIO_TRACE_TASKS"), "{err}");
}

#[test]
fn a_child_task_nests_under_its_parent_task() {
    let _turn = serial();
    for flavor in FLAVORS {
        let rt = runtime(flavor, Some(1));
        let (parent_id, child_id) = rt.block_on(async {
            let parent = zokio::task::Builder::new()
                .name("parent")
                .spawn(async {
                    let child = zokio::task::Builder::new()
                        .name("child")
                        .spawn(async { zokio::task::id().as_u64() })
                        .unwrap();
                    child.await.unwrap()
                })
                .unwrap();
            let parent_id = parent.id().as_u64();
            (parent_id, parent.await.unwrap())
        });
        drop(rt);
        let st = recorded();
        let spans = task_spans(&st);
        assert_eq!(spans.len(), 2, "{flavor}");
        let (p, c) = (spans[0], spans[1]);
        assert_eq!(
            (p.field("task.name"), p.u64("task.id")),
            (Some("parent"), parent_id)
        );
        assert_eq!(
            (c.field("task.name"), c.u64("task.id")),
            (Some("child"), child_id)
        );
        assert_eq!(p.u64("task.parent"), 0, "{flavor}");
        assert_eq!(c.u64("task.parent"), parent_id, "{flavor}");
        // The child's tracing parent is the parent task's span (spawned in its poll).
        let p_index = st.spans.iter().position(|s| std::ptr::eq(s, p)).unwrap();
        assert_eq!(c.parent, Some(p_index), "{flavor}");
        assert_eq!(p.parent, None, "{flavor}");
        for s in [p, c] {
            assert_eq!(s.field("task.outcome"), Some("ok"), "{flavor}");
            assert_eq!(s.closes, 1, "{flavor}");
        }
        // The parent is polled once to spawn the child and wait, and once more when the child
        // finished, unless another worker ran the child first (multi-thread only).
        let polls = p.u64("task.polls");
        if flavor == "current_thread" {
            assert_eq!(polls, 2);
        }
        assert!(polls == 1 || polls == 2, "{flavor}: {polls}");
        assert_eq!(
            (p.enters, p.exits),
            (polls as u32, polls as u32),
            "{flavor}"
        );
        assert_eq!(
            (c.u64("task.polls"), c.enters, c.exits),
            (1, 1, 1),
            "{flavor}"
        );
        *store() = Some(Store::default());
    }
}

#[test]
fn a_task_spawned_in_a_request_span_nests_under_it() {
    let _turn = serial();
    for flavor in FLAVORS {
        let rt = runtime(flavor, Some(1));
        rt.block_on(async {
            let request = tracing::info_span!("request", path = "/orders");
            let h = request.in_scope(|| zokio::spawn(async { 1 }));
            drop(request);
            assert_eq!(h.await.unwrap(), 1);
        });
        drop(rt);
        let st = recorded();
        let request = st.spans.iter().position(|s| s.name == "request").unwrap();
        let spans = task_spans(&st);
        assert_eq!(spans.len(), 1, "{flavor}");
        assert_eq!(spans[0].parent, Some(request), "{flavor}");
        assert_eq!(
            spans[0].u64("task.parent"),
            0,
            "{flavor}: no task spawned it"
        );
        // The request span stays open while its task's span is, then both close.
        assert_eq!(
            (spans[0].closes, st.spans[request].closes),
            (1, 1),
            "{flavor}"
        );
        *store() = Some(Store::default());
    }
}

#[test]
fn a_task_polled_k_times_is_entered_k_times() {
    const K: u64 = 5;
    let _turn = serial();
    for flavor in FLAVORS {
        let rt = runtime(flavor, Some(1));
        rt.block_on(async {
            let h = zokio::spawn(async {
                for i in 1..K {
                    tracing::info!("poll {i}");
                    zokio::task::yield_now().await;
                }
                tracing::info!("poll {K}");
            });
            h.await.unwrap();
        });
        drop(rt);
        let st = recorded();
        let spans = task_spans(&st);
        assert_eq!(spans.len(), 1, "{flavor}");
        let s = spans[0];
        assert_eq!(s.u64("task.polls"), K, "{flavor}");
        assert_eq!(
            (s.enters, s.exits, s.closes),
            (K as u32, K as u32, 1),
            "{flavor}"
        );
        assert_eq!(s.field("task.outcome"), Some("ok"), "{flavor}");
        assert_eq!(st.events.len(), K as usize, "{flavor}");
        assert!(
            st.events.iter().all(|(_, span)| *span == Some(0)),
            "{flavor}"
        );
        *store() = Some(Store::default());
    }
}

#[test]
fn a_panicking_task_closes_with_outcome_panic() {
    let _turn = serial();
    for flavor in FLAVORS {
        let rt = runtime(flavor, Some(1));
        let err = rt.block_on(async {
            zokio::spawn(async {
                zokio::task::yield_now().await;
                panic!("boom (expected by the test)");
            })
            .await
            .unwrap_err()
        });
        drop(rt);
        assert!(err.is_panic(), "{flavor}");
        let st = recorded();
        let spans = task_spans(&st);
        assert_eq!(spans.len(), 1, "{flavor}");
        let s = spans[0];
        assert_eq!(s.field("task.outcome"), Some("panic"), "{flavor}");
        assert_eq!(s.u64("task.polls"), 2, "{flavor}");
        assert_eq!((s.enters, s.exits, s.closes), (2, 2, 1), "{flavor}");
        *store() = Some(Store::default());
    }
}

#[test]
fn an_aborted_task_closes_with_outcome_cancelled() {
    let _turn = serial();
    for flavor in FLAVORS {
        let rt = runtime(flavor, Some(1));
        let err = rt.block_on(async {
            let (started_tx, started_rx) = oneshot::channel();
            let h = zokio::spawn(async move {
                started_tx.send(()).unwrap();
                std::future::pending::<()>().await;
            });
            started_rx.await.unwrap();
            h.abort();
            h.await.unwrap_err()
        });
        drop(rt);
        assert!(err.is_cancelled(), "{flavor}");
        let st = recorded();
        let spans = task_spans(&st);
        assert_eq!(spans.len(), 1, "{flavor}");
        let s = spans[0];
        assert_eq!(s.field("task.outcome"), Some("cancelled"), "{flavor}");
        assert_eq!(s.u64("task.polls"), 1, "{flavor}");
        // One poll, and once more to drop the future inside the span.
        assert_eq!((s.enters, s.exits, s.closes), (2, 2, 1), "{flavor}");
        *store() = Some(Store::default());
    }
}

#[test]
fn tasks_left_at_shutdown_close_cancelled() {
    let _turn = serial();
    for flavor in FLAVORS {
        let rt = runtime(flavor, Some(1));
        rt.block_on(async {
            let (started_tx, started_rx) = oneshot::channel();
            zokio::spawn(async move {
                started_tx.send(()).unwrap();
                std::future::pending::<()>().await;
            });
            started_rx.await.unwrap();
        });
        drop(rt);
        let st = recorded();
        let spans = task_spans(&st);
        assert_eq!(spans.len(), 1, "{flavor}");
        let s = spans[0];
        assert_eq!(s.field("task.outcome"), Some("cancelled"), "{flavor}");
        assert_eq!(s.u64("task.polls"), 1, "{flavor}");
        assert_eq!((s.enters, s.exits, s.closes), (2, 2, 1), "{flavor}");
        *store() = Some(Store::default());
    }
}
