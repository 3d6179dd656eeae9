-- `cjson` for scripts: lua-cjson 2.1.0's encode/decode as Redis 7.0 embeds it, with its
-- defaults (numbers as "%.14g", "/" escaped, sparse arrays refused, nesting limited to
-- 1000) and its error texts. Written in Lua so that number formatting is the C
-- library's "%.14g", exactly as lua-cjson's. Runs once per Lua state before the sandbox
-- (same chunk name, so the error handler skips its frames) and returns the module
-- table; `null` is the lightuserdata NULL lua-cjson uses for JSON null. Every exported
-- function returns (true, results...) or (false, error text, how): lua.rs calls them
-- through a C frame (`wrap`, cfuncs.rs's library_call) that raises the text as
-- lua-cjson's C code would: after the caller's position (how = true, luaL_error) or
-- as "bad argument #how to 'f' (text)" (how = a number, luaL_argerror).
local null, wrap, see_through = ...
local type, next, ipairs, error, pcall, tostring, tonumber = type, next, ipairs, error, pcall, tostring, tonumber
local rawget, select, unpack = rawget, select, unpack
local format, sub, find, gsub, char, lower, byte = string.format, string.sub, string.find, string.gsub, string.char, string.lower, string.byte
local concat, floor, huge = table.concat, math.floor, math.huge

-- The settings of the instance whose function is running (each exported function
-- sets it on entry; see `new_instance`).
local cfg

-- ---------------------------------------------------------------------------- encode

local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/', ['\b'] = '\\b',
  ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
for c = 0, 31 do
  local ch = char(c)
  if not escapes[ch] then escapes[ch] = format('\\u%04x', c) end
end
escapes['\127'] = '\\u007f'

local function encode_string(s)
  return '"' .. gsub(s, '[%c"\\/]', escapes) .. '"'
end

-- "%.14g" and the other precisions encode_number_precision allows.
local NUMBER_FORMATS = {}
for p = 1, 14 do NUMBER_FORMATS[p] = '%.' .. p .. 'g' end

local function encode_number(n)
  if n ~= n or n == huge or n == -huge then
    local invalid = cfg.encode_invalid
    if invalid == 2 then return 'null' end
    if invalid == 0 then error('Cannot serialise number: must not be NaN or Inf', 0) end
    if n ~= n then return 'nan' end
  end
  return format(NUMBER_FORMATS[cfg.precision], n)
end

-- lua-cjson's lua_array_length: the largest key if every key is a positive integer
-- (and the array not excessively sparse), 0 for an empty table, -1 for an object.
local function array_length(t)
  local max, items = 0, 0
  for k in next, t do
    if type(k) == 'number' and k >= 1 and floor(k) == k then
      if k > max then max = k end
      items = items + 1
    else
      return -1
    end
  end
  if cfg.sparse_ratio > 0 and max > items * cfg.sparse_ratio and max > cfg.sparse_safe then
    if cfg.sparse_convert == 0 then
      error('Cannot serialise table: excessively sparse array', 0)
    end
    return -1
  end
  return max
end

local encode_value

local function encode_table(t, depth, out)
  t = see_through(t) -- a read-only library table encodes as the table it protects
  depth = depth + 1
  if depth > cfg.encode_depth then
    error(format('Cannot serialise, excessive nesting (%d)', depth), 0)
  end
  local len = array_length(t)
  if len > 0 then
    out[#out + 1] = '['
    for i = 1, len do
      if i > 1 then out[#out + 1] = ',' end
      encode_value(rawget(t, i), depth, out)
    end
    out[#out + 1] = ']'
    return
  end
  out[#out + 1] = '{'
  local first = true
  for k, v in next, t do
    if not first then out[#out + 1] = ',' end
    first = false
    local kt = type(k)
    if kt == 'string' then
      out[#out + 1] = encode_string(k)
    elseif kt == 'number' then
      out[#out + 1] = '"' .. encode_number(k) .. '"'
    else
      error(format('Cannot serialise %s: table key must be a number or string', kt), 0)
    end
    out[#out + 1] = ':'
    encode_value(v, depth, out)
  end
  out[#out + 1] = '}'
end

encode_value = function(v, depth, out)
  local vt = type(v)
  if vt == 'string' then
    out[#out + 1] = encode_string(v)
  elseif vt == 'number' then
    out[#out + 1] = encode_number(v)
  elseif vt == 'boolean' then
    out[#out + 1] = v and 'true' or 'false'
  elseif vt == 'table' then
    encode_table(v, depth, out)
  elseif vt == 'nil' or v == null then
    out[#out + 1] = 'null'
  else
    error(format('Cannot serialise %s: type not supported', vt), 0)
  end
end

-- ---------------------------------------------------------------------------- decode

-- Token kinds, named as lua-cjson names them in its errors.
local T_OBJ_BEGIN, T_OBJ_END, T_ARR_BEGIN, T_ARR_END = 'T_OBJ_BEGIN', 'T_OBJ_END', 'T_ARR_BEGIN', 'T_ARR_END'
local T_STRING, T_NUMBER, T_BOOLEAN, T_NULL = 'T_STRING', 'T_NUMBER', 'T_BOOLEAN', 'T_NULL'
local T_COLON, T_COMMA, T_END, T_ERROR = 'T_COLON', 'T_COMMA', 'T_END', 'T_ERROR'

local single = { ['{'] = T_OBJ_BEGIN, ['}'] = T_OBJ_END, ['['] = T_ARR_BEGIN,
  [']'] = T_ARR_END, [':'] = T_COLON, [','] = T_COMMA }
local unescape = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f',
  n = '\n', r = '\r', t = '\t' }

-- UTF-8 bytes of a code point.
local function utf8(cp)
  if cp < 0x80 then return char(cp) end
  if cp < 0x800 then return char(0xC0 + floor(cp / 0x40), 0x80 + cp % 0x40) end
  if cp < 0x10000 then
    return char(0xE0 + floor(cp / 0x1000), 0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
  end
  return char(0xF0 + floor(cp / 0x40000), 0x80 + floor(cp / 0x1000) % 0x40,
    0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

-- The string starting after the quote at `i`: (value, next position), or (nil, error,
-- position of the error) — lua-cjson reports string errors where they occur.
local function read_string(s, i)
  local parts, n = {}, #s
  while true do
    local j = find(s, '["\\]', i)
    if not j then return nil, 'unexpected end of string', n + 1 end
    parts[#parts + 1] = sub(s, i, j - 1)
    if sub(s, j, j) == '"' then return concat(parts), j + 1 end
    local e = sub(s, j + 1, j + 1)
    if e == 'u' then
      local hex = sub(s, j + 2, j + 5)
      local cp = find(hex, '^%x%x%x%x$') and tonumber(hex, 16)
      if not cp then return nil, 'invalid unicode escape code', j end
      i = j + 6
      if cp >= 0xD800 and cp <= 0xDBFF then
        local lo = sub(s, i, i + 1) == '\\u' and find(sub(s, i + 2, i + 5), '^%x%x%x%x$')
          and tonumber(sub(s, i + 2, i + 5), 16)
        if not lo or lo < 0xDC00 or lo > 0xDFFF then return nil, 'invalid unicode escape code', j end
        cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
        i = i + 6
      elseif cp >= 0xDC00 and cp <= 0xDFFF then
        return nil, 'invalid unicode escape code', j
      end
      parts[#parts + 1] = utf8(cp)
    elseif unescape[e] then
      parts[#parts + 1] = unescape[e]
      i = j + 2
    else
      return nil, 'invalid escape code', j
    end
  end
end

-- A number token at `i`: like strtod, the longest prefix that reads as a number
-- (tonumber is strtod underneath), so "1.5x" is 1.5 followed by an invalid token.
local function number_token(s, i)
  local text = sub(s, find(s, '^[%-%+%w%.]+', i))
  for n = #text, 1, -1 do
    local v = tonumber(sub(text, 1, n))
    if v then return T_NUMBER, v, i, i + n end
  end
  return T_ERROR, 'invalid number', i
end

-- lua-cjson's json_is_invalid_number: numbers JSON does not allow but strtod reads
-- (a leading "+", hex, leading zeros, inf, nan).
local function invalid_number(s, i)
  local c = sub(s, i, i)
  if c == '+' then return true end
  if c == '-' then
    i = i + 1
    c = sub(s, i, i)
  end
  if c == '0' then
    local c2 = sub(s, i + 1, i + 1)
    return c2 == 'x' or c2 == 'X' or find(c2, '^%d') ~= nil
  end
  if c ~= '' and c <= '9' then return false end
  local word = lower(sub(s, i, i + 2))
  return word == 'inf' or word == 'nan'
end

-- The next token at or after `i`: kind, value, start index (0-based as lua-cjson
-- reports it, plus one), next position.
local function next_token(s, i)
  i = find(s, '[^ \t\n\r]', i) or #s + 1
  if i > #s then return T_END, nil, i end
  local c = sub(s, i, i)
  if single[c] then return single[c], nil, i, i + 1 end
  if c == '"' then
    local v, j, err_at = read_string(s, i + 1)
    if not v then return T_ERROR, j, err_at end
    return T_STRING, v, i, j
  end
  if c == '-' or find(c, '%d') then
    if cfg.decode_invalid == 0 and invalid_number(s, i) then return T_ERROR, 'invalid number', i end
    return number_token(s, i)
  end
  if sub(s, i, i + 3) == 'true' then return T_BOOLEAN, true, i, i + 4 end
  if sub(s, i, i + 4) == 'false' then return T_BOOLEAN, false, i, i + 5 end
  if sub(s, i, i + 3) == 'null' then return T_NULL, null, i, i + 4 end
  -- decode_invalid_numbers (on by default): "+1", "inf", "Infinity", "NaN" are numbers.
  if cfg.decode_invalid == 1 and invalid_number(s, i) then return number_token(s, i) end
  return T_ERROR, 'invalid token', i
end

local function expected(what, kind, value, at)
  error(format('Expected %s but found %s at character %d', what,
    kind == T_ERROR and value or kind, at), 0)
end

local parse_value

local function descend(depth, i)
  if depth > cfg.decode_depth then
    error(format('Found too many nested data structures (%d) at character %d', depth, i - 1), 0)
  end
end

-- The elements of an object or array, from just after its opening token to just after
-- `close`: `item(kind, value, at, next)` parses one element starting at the given token
-- and returns the position after it.
local function parse_items(s, i, depth, close, what, item)
  descend(depth, i)
  local kind, v, at, j = next_token(s, i)
  if kind == close then return j end
  while true do
    j = item(kind, v, at, j)
    kind, v, at, j = next_token(s, j)
    if kind == close then return j end
    if kind ~= T_COMMA then expected('comma or ' .. what .. ' end', kind, v, at) end
    kind, v, at, j = next_token(s, j)
  end
end

local function parse_object(s, i, depth)
  local t = {}
  local j = parse_items(s, i, depth, T_OBJ_END, 'object', function(kind, key, at, j)
    if kind ~= T_STRING then expected('object key string', kind, key, at) end
    local v
    kind, v, at, j = next_token(s, j)
    if kind ~= T_COLON then expected('colon', kind, v, at) end
    kind, v, at, j = next_token(s, j)
    t[key], j = parse_value(s, kind, v, at, j, depth)
    return j
  end)
  return t, j
end

local function parse_array(s, i, depth)
  local t, n = {}, 0
  local j = parse_items(s, i, depth, T_ARR_END, 'array', function(kind, v, at, j)
    n = n + 1
    t[n], j = parse_value(s, kind, v, at, j, depth)
    return j
  end)
  return t, j
end

parse_value = function(s, kind, v, at, j, depth)
  if kind == T_STRING or kind == T_NUMBER or kind == T_BOOLEAN or kind == T_NULL then
    return v, j
  elseif kind == T_OBJ_BEGIN then
    return parse_object(s, j, depth + 1)
  elseif kind == T_ARR_BEGIN then
    return parse_array(s, j, depth + 1)
  end
  expected('value', kind, v, at)
end

local function decode_string(s)
  local kind, v, at, j = next_token(s, 1)
  local value
  value, j = parse_value(s, kind, v, at, j, 0)
  kind, v, at = next_token(s, j)
  if kind ~= T_END then expected('the end', kind, v, at) end
  return value
end

local function encode(...)
  if select('#', ...) ~= 1 then
    return false, 'expected 1 argument', 1
  end
  local out = {}
  local ok, err = pcall(encode_value, (...), 0, out)
  if not ok then return false, err, true end
  return true, concat(out)
end

local function decode(...)
  if select('#', ...) ~= 1 then
    return false, 'expected 1 argument', 1
  end
  local s = ...
  if type(s) == 'number' then s = tostring(s) end
  if type(s) ~= 'string' then
    return false, 'string expected, got ' .. type(s), 1
  end
  -- lua-cjson reads its input as a C string: the first NUL ends it. Before that, a
  -- NUL in the first two bytes means UTF-16 or UTF-32 (RFC 4627, section 3).
  if #s >= 2 and (byte(s, 1) == 0 or byte(s, 2) == 0) then
    return false, 'JSON parser does not support UTF-16 or UTF-32', true
  end
  local nul = find(s, '\0', 1, true)
  if nul then s = sub(s, 1, nul - 1) end
  local ok, v = pcall(decode_string, s)
  if not ok then return false, v, true end
  return true, v
end

-- ---------------------------------------------------------------------------- settings

local INT_MAX = 2147483647
local ON_OFF = { 'off', 'on' }

-- The settings functions fail as lua-cjson's C code does, with luaL_argerror, which
-- the C frame raises (see `through_c`): "bad argument #n to 'f' (msg)", naming `f` as
-- the caller sees it ('?' through pcall).
local function arg_error(n, msg) error({ arg = n, msg = msg }, 0) end

-- json_enum_option: nil keeps `current`; true/false or one of `options` (by
-- luaL_checkoption) sets it. Settings are numbers: 0 = off, 1 = on, 2 = ...
local function enum_option(v, current, options)
  if v == nil then return current end
  if type(v) == 'boolean' then return v and 1 or 0 end
  if type(v) ~= 'string' and type(v) ~= 'number' then
    arg_error(1, 'string expected, got ' .. type(v))
  end
  for i, o in ipairs(options) do
    if tostring(v) == o then return i - 1 end
  end
  arg_error(1, format("invalid option '%s'", tostring(v)))
end

-- How lua-cjson returns an enum setting: a boolean for off/on, else the option name.
local function shown(setting, options)
  if setting <= 1 then return setting == 1 end
  return options[setting + 1]
end

-- json_integer_option (its range error always names argument #1, as lua-cjson's does).
local function integer_option(index, v, current, min, max)
  if v == nil then return current end
  local n = tonumber(v)
  if not n then arg_error(index, 'number expected, got ' .. type(v)) end
  n = n >= 0 and floor(n) or -floor(-n)
  if n ~= n or n < min or n > max then
    arg_error(1, format('expected integer between %d and %d', min, max))
  end
  return n
end

-- A settings function of at most `max_args` arguments (json_arg_init); `body` applies
-- them in order (an error in a later argument keeps the earlier ones, as in C) and
-- returns the current values, one per argument (as every lua-cjson setting does).
local function setting(max_args, body)
  return function(...)
    if select('#', ...) > max_args then return false, 'found too many arguments', max_args + 1 end
    local r = { pcall(body, ...) }
    if r[1] then return unpack(r, 1, max_args + 1) end
    if type(r[2]) == 'table' then return false, r[2].msg, r[2].arg end
    return false, r[2]
  end
end

local function new_instance()
  local my = {
    sparse_convert = 0, sparse_ratio = 2, sparse_safe = 10,
    encode_depth = 1000, decode_depth = 1000, precision = 14,
    keep_buffer = 1, encode_invalid = 0, decode_invalid = 1,
  }
  local m = { null = null, _NAME = 'cjson', _VERSION = '2.1.0' }
  local function export(name, f)
    m[name] = wrap(function(...)
      cfg = my
      return f(...)
    end)
  end
  export('encode', encode)
  export('decode', decode)
  export('encode_sparse_array', setting(3, function(convert, ratio, safe)
    my.sparse_convert = enum_option(convert, my.sparse_convert, ON_OFF)
    my.sparse_ratio = integer_option(2, ratio, my.sparse_ratio, 0, INT_MAX)
    my.sparse_safe = integer_option(3, safe, my.sparse_safe, 0, INT_MAX)
    return my.sparse_convert == 1, my.sparse_ratio, my.sparse_safe
  end))
  local function int_setting(name, key, min, max)
    export(name, setting(1, function(v)
      my[key] = integer_option(1, v, my[key], min, max)
      return my[key]
    end))
  end
  int_setting('encode_max_depth', 'encode_depth', 1, INT_MAX)
  int_setting('decode_max_depth', 'decode_depth', 1, INT_MAX)
  int_setting('encode_number_precision', 'precision', 1, 14)
  local function enum_setting(name, key, options)
    export(name, setting(1, function(v)
      my[key] = enum_option(v, my[key], options)
      return shown(my[key], options)
    end))
  end
  enum_setting('encode_keep_buffer', 'keep_buffer', ON_OFF)
  enum_setting('encode_invalid_numbers', 'encode_invalid', { 'off', 'on', 'null' })
  enum_setting('decode_invalid_numbers', 'decode_invalid', ON_OFF)
  export('new', function() return true, new_instance() end)
  return m
end

return new_instance()
