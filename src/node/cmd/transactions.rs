//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Queued commands run under a lock of every shard, so an EXEC block is atomic
//! against all other clients. WATCH records each key's change counters; a change to
//! a watched key bumps them (in `db::Keyspace`), and EXEC then answers a null array,
//! as it does for a watched key that expired since (Redis 7.0's rules, see
//! `Keyspace::watch_broken`).

use crate::node::client::Session;
use crate::node::dispatch::{self, global, keyed, keyless, CommandDef, Ctx};
use crate::node::server::Server;
use crate::protocol::errors;
use bytes::Bytes;

/// The transaction commands this node implements.
pub const COMMANDS: &[CommandDef] = &[
    keyless("multi", multi),
    global("exec", exec),
    keyless("discard", discard),
    keyed("watch", watch),
    keyless("unwatch", unwatch),
];

/// Commands that run immediately inside MULTI instead of being queued (as in Redis).
pub fn runs_inside_multi(name: &str) -> bool {
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

fn multi(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    if ctx.session.in_multi() {
        return ctx.out.error(errors::MULTI_NESTED);
    }
    ctx.session.multi = Some(Vec::new());
    ctx.session.multi_error = false;
    ctx.session.info.state.lock().multi = Some(0);
    ctx.out.ok();
}

/// Leave MULTI, returning the queued commands. CLIENT LIST still shows the client in
/// MULTI until [`shown_out_of_multi`] (EXEC runs its commands in between, as in Redis).
fn end_multi(session: &mut Session) -> Option<Vec<crate::protocol::Request>> {
    session.multi_error = false;
    session.multi.take()
}

fn shown_out_of_multi(session: &Session) {
    session.info.state.lock().multi = None;
}

fn exec(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    let aborted = ctx.session.multi_error; // a queuing error: EXECABORT
    let Some(queued) = end_multi(ctx.session) else {
        return ctx.out.error(errors::EXEC_WITHOUT_MULTI);
    };
    run_queued(ctx, &queued, aborted);
    shown_out_of_multi(ctx.session);
}

fn run_queued(ctx: &mut Ctx<'_>, queued: &[crate::protocol::Request], aborted: bool) {
    let watch_broken = watched_changed(ctx);
    release_watches(ctx);
    if aborted {
        return ctx.out.error(errors::EXECABORT);
    }
    if watch_broken {
        return ctx.out.null_array();
    }
    ctx.out.array(queued.len());
    // Blocking commands answer at once inside a transaction.
    ctx.session.blocking.deny = true;
    for req in queued {
        dispatch::run_locked(ctx, req);
    }
    ctx.session.blocking.deny = false;
}

fn discard(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    if end_multi(ctx.session).is_none() {
        return ctx.out.error(errors::DISCARD_WITHOUT_MULTI);
    }
    shown_out_of_multi(ctx.session);
    unwatch_all(ctx.server, ctx.session);
    ctx.out.ok();
}

fn watch(ctx: &mut Ctx<'_>, args: &[Bytes]) {
    if ctx.session.in_multi() {
        return ctx.out.error(errors::WATCH_IN_MULTI);
    }
    for key in &args[1..] {
        if ctx.session.watched.iter().any(|(k, _)| k == key) {
            continue;
        }
        let mark = ctx.ks.watch(key);
        ctx.session
            .watched
            .push((crate::node::db::owned(key), mark));
    }
    ctx.out.ok();
}

fn unwatch(ctx: &mut Ctx<'_>, _args: &[Bytes]) {
    unwatch_all(ctx.server, ctx.session);
    ctx.out.ok();
}

/// Must EXEC abort for a watched key (see `Keyspace::watch_broken`)?
fn watched_changed(ctx: &mut Ctx<'_>) -> bool {
    let watched = std::mem::take(&mut ctx.session.watched);
    let changed = watched.iter().any(|(k, m)| ctx.ks.watch_broken(k, m));
    ctx.session.watched = watched;
    changed
}

/// Drop this session's watches while all shards are already locked (inside EXEC).
fn release_watches(ctx: &mut Ctx<'_>) {
    for (k, _) in std::mem::take(&mut ctx.session.watched) {
        ctx.ks.unwatch(&k);
    }
}

/// End a transaction without running it (a rejected EXEC).
pub fn abort(server: &Server, session: &mut Session) {
    end_multi(session);
    shown_out_of_multi(session);
    unwatch_all(server, session);
}

/// Drop every watch a session holds (UNWATCH, DISCARD, disconnect).
pub fn unwatch_all(server: &Server, session: &mut Session) {
    for (k, _) in std::mem::take(&mut session.watched) {
        server.db.lock_key(&k).unwatch(&k);
    }
}
