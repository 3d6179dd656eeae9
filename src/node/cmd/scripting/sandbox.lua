-- ringcache's Lua sandbox, modelled on Redis 7.0's scripting environment.
-- Runs once per Lua state with the full globals table as its environment; afterwards the
-- state's globals are replaced by the read-only proxy `G` this chunk returns.
-- Frames of this chunk are skipped by the error handler (like C frames in Redis), so
-- errors point at the user script's line.
local real, dbg, errmsg, sha1hex, ccall, cpcall, acl_check, crandom, crandomseed, set_resp, log, set_repl, killed, iterators, raw_functions = ...
local type, tostring, tonumber, error, xpcall, pcall, select = type, tostring, tonumber, error, xpcall, pcall, select
local rawget, rawset, setmetatable = rawget, rawset, setmetatable
local floor, ceil, sub, find, unpack = math.floor, math.ceil, string.sub, string.find, unpack
local loadstring, load, maxn = loadstring, load, table.maxn

-- Read-only tables are empty proxies: reads go through `__index` to the protected table,
-- writes through `__newindex` fail, and the C functions from `iterators` and
-- `raw_functions` (the only ones that could write to a table or reach a metatable
-- around those two) treat a proxy as its table, read-only.
-- proxy -> protected table (weak keys)
local ro = setmetatable({}, { __mode = 'k' })
local function deny() error('Attempt to modify a readonly table', 2) end
local function protect(t)
  local p = {}
  ro[p] = t
  return setmetatable(p, { __index = t, __newindex = deny })
end

-- Redis's error-table text: "-CODE msg" keeps its code, anything else gets "ERR ".
local function trim(s) return (s:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', '')) end
local function error_text(s)
  if sub(s, 1, 1) == '-' then
    local sp = find(s, ' ', 1, true)
    if not sp then return 'ERR ' .. trim(sub(s, 2)) end
    return sub(s, 2, sp - 1) .. ' ' .. trim(sub(s, sp + 1))
  end
  return 'ERR ' .. trim(s)
end

local redis = {}
redis.call = ccall
redis.pcall = cpcall
redis.acl_check_cmd = acl_check
redis.error_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return { err = 'ERR wrong number or type of arguments' }
  end
  if sub(s, 1, 1) ~= '-' then s = '-' .. s end
  return { err = error_text(s) }
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return { err = 'ERR wrong number or type of arguments' }
  end
  return { ok = s }
end
-- These raise from Rust (C frames), so `return redis.log()` keeps the script's line.
redis.sha1hex = sha1hex
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.log = log
redis.setresp = set_resp
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.set_repl = set_repl
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.REDIS_VERSION = '7.0.15'
redis.REDIS_VERSION_NUM = 458767

-- Redis's math.random: rand48, process-wide, not reseeded per script.
real.math.random = crandom
real.math.randomseed = crandomseed

-- Functions that could reach around the read-only proxies: C functions (see cfuncs.rs)
-- that see through them (`next`, `pairs`, `rawget`) without ever returning what they
-- protect (`pairs(p)` gives `p` as the state), refuse them (`rawset`, `setmetatable`,
-- `table.insert`) or hide their metatables (`getmetatable`); as C functions, their
-- errors point at the script, as in Redis.
real.next, real.pairs = iterators(ro)
real.rawget, real.rawset, real.setmetatable, real.getmetatable, real.table.insert = raw_functions(ro)
-- No bytecode: precompiled chunks can break out of any Lua sandbox.
real.loadstring = function(s, name)
  if type(s) == 'string' and sub(s, 1, 1) == '\27' then return nil, 'binary chunks are not allowed' end
  return loadstring(s, name)
end
real.load = function(f, name)
  local first = true
  return load(function()
    local piece = f()
    if first and type(piece) == 'string' and sub(piece, 1, 1) == '\27' then
      error('binary chunks are not allowed', 0)
    end
    first = false
    return piece
  end, name)
end
-- After a time-limit abort, errors must not be swallowed by the script's own pcall.
-- Redis's pcall hands back the `err` text of an error table, not the table.
real.pcall = function(...)
  local res = { pcall(...) }
  if killed() then error(res[2], 0) end
  if not res[1] and type(res[2]) == 'table' then
    local e = rawget(res[2], 'err')
    if type(e) == 'string' or type(e) == 'number' then res[2] = e end
  end
  return unpack(res, 1, maxn(res))
end
real.xpcall = function(...)
  local res = { xpcall(...) }
  if killed() then error(res[2], 0) end
  return unpack(res, 1, maxn(res))
end

for _, name in ipairs({ 'print', 'getfenv', 'setfenv', 'newproxy', 'dofile', 'loadfile', 'module',
  'require', 'package', 'debug', 'os', 'io' }) do
  real[name] = nil
end

for _, name in ipairs({ 'string', 'math', 'table', 'coroutine', 'cjson', 'bit', 'cmsgpack', 'struct' }) do
  real[name] = protect(real[name])
end
real.redis = protect(redis)

-- Strings' metatable: methods through the read-only string proxy; scripts see a
-- read-only table holding just that `__index`, as in Redis.
local smt = dbg.getmetatable('')
smt.__index = real.string
smt.__metatable = protect({ __index = real.string })

local G = {}
ro[G] = real
local gmt = {
  __index = function(_, k)
    local v = rawget(real, k)
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end,
  __newindex = deny,
}
-- What getmetatable(_G) shows: Redis's global-protection metatable holds just `__index`.
gmt.__metatable = protect({ __index = gmt.__index })
setmetatable(G, gmt)
real._G = G

-- Redis's error handler: the error as a table {err=..., source=..., line=...}.
local getinfo = dbg.getinfo
local function handler(err)
  local lvl = 2
  local i = getinfo(lvl, 'Sl')
  if i and i.what == 'C' then
    lvl = lvl + 1
    i = getinfo(lvl, 'Sl')
  end
  while i and i.source == '=redis_sandbox' do
    lvl = lvl + 1
    i = getinfo(lvl, 'Sl')
  end
  if type(err) == 'userdata' then err = errmsg(err) end
  if type(err) ~= 'table' then err = { err = 'ERR ' .. tostring(err) } end
  if i and i.what ~= 'C' then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end
real.__redis__err__handler = handler

-- Run a compiled script with KEYS/ARGV set.
local function run(f, keys, argv)
  rawset(real, 'KEYS', keys)
  rawset(real, 'ARGV', argv)
  return xpcall(f, handler)
end

-- `ro` goes to the registry, for the serialisers (see `see_through` in lua.rs).
return G, run, ro
