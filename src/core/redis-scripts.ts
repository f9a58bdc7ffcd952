// The Lua scripts that change a registry on Redis. Each runs atomically on the server (no other
// command runs in between), so two writers of one record never lose each other's fields, and
// each takes its time from the server's own clock (TIME), so the writers' clocks never matter.
// Every script gets the key prefix as ARGV[1] and builds its key names from it, as laid out in
// redis-layout.ts (so a registry needs a single Redis, not a Cluster: scripts touch many keys).
// A record is a string key holding the record's JSON object (redis-records.ts); the scripts
// change it field by field in the text, so every other field keeps its exact bytes.

/** Helpers shared by the scripts: server time, ISO 8601, record text, journal events, notifications. */
const PRELUDE = `
local P = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Epoch ms to 'YYYY-MM-DDTHH:MM:SS.mmmZ' (days to civil date: proleptic Gregorian calendar).
local function iso(ms)
  local s = math.floor(ms / 1000)
  local milli = ms - s * 1000
  local days = math.floor(s / 86400)
  local sod = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(sod / 3600), math.floor(sod / 60) % 60, sod % 60, milli)
end
local function q(s) return cjson.encode(s) end

-- Record text. cjson decodes it (to check it and read values), but the record is rewritten from
-- the text's own pieces: re-encoding would turn [] into {}, round big numbers and reorder fields.
local byte, find, sub = string.byte, string.find, string.sub
-- Plain finds and byte tests where possible: pattern classes cost far more per call, and a
-- heartbeat scans the record once.
local function skip_ws(s, i)
  local c = byte(s, i)
  if c ~= 32 and c ~= 9 and c ~= 10 and c ~= 13 then return i end
  return find(s, '[^ \\t\\r\\n]', i) or (#s + 1)
end
-- s[i] is the opening quote of a string; the index of its closing quote (one not escaped: an
-- even number of backslashes before it).
local function string_end(s, i)
  local j = i + 1
  while true do
    local k = find(s, '"', j, true)
    local b = k - 1
    while byte(s, b) == 92 do b = b - 1 end
    if (k - 1 - b) % 2 == 0 then return k end
    j = k + 1
  end
end
-- The index of the last character of the JSON value that starts at i.
local function value_end(s, i)
  local c = byte(s, i)
  if c == 34 then return string_end(s, i) end
  if c == 123 or c == 91 then
    local depth, j = 0, i
    while true do
      local k = find(s, '["%[%]{}]', j)
      local d = byte(s, k)
      if d == 34 then
        k = string_end(s, k)
      elseif d == 123 or d == 91 then
        depth = depth + 1
      else
        depth = depth - 1
        if depth == 0 then return k end
      end
      j = k + 1
    end
  end
  -- A number, true, false or null: up to the next delimiter.
  local j = i
  while true do
    local d = byte(s, j + 1)
    if d == nil or d == 44 or d == 125 or d == 93 or d == 32 or d == 9 or d == 10 or d == 13 then return j end
    j = j + 1
  end
end
-- A record text as {obj = decoded, names = field names in order, vals = name -> JSON text of the
-- value, keys = name -> JSON text of the name}, or nil when it is not a JSON object. Only valid
-- JSON (checked by cjson first) is scanned. A name given twice keeps its first place, last value.
local function parse_record(text)
  local ok, obj = pcall(cjson.decode, text)
  local i = skip_ws(text, 1)
  if not ok or type(obj) ~= 'table' or byte(text, i) ~= 123 then return nil end
  local r = { obj = obj, names = {}, vals = {}, keys = {} }
  i = skip_ws(text, i + 1)
  while byte(text, i) == 34 do
    local ke = string_end(text, i)
    local key = sub(text, i, ke)
    -- Only a name with an escape needs decoding.
    local name = find(key, '\\\\', 1, true) and cjson.decode(key) or sub(key, 2, -2)
    i = skip_ws(text, skip_ws(text, ke + 1) + 1)
    local ve = value_end(text, i)
    if not r.keys[name] then r.names[#r.names + 1] = name; r.keys[name] = key end
    r.vals[name] = sub(text, i, ve)
    i = skip_ws(text, ve + 1)
    if byte(text, i) == 44 then i = skip_ws(text, i + 1) end
  end
  return r
end
local function set_field(r, name, json)
  if not r.keys[name] then r.names[#r.names + 1] = name; r.keys[name] = cjson.encode(name) end
  r.vals[name] = json
end
local function record_text(r)
  local parts = {}
  for _, name in ipairs(r.names) do
    local v = r.vals[name]
    if v ~= nil then parts[#parts + 1] = r.keys[name] .. ':' .. v end
  end
  return '{' .. table.concat(parts, ',') .. '}'
end
-- The record at key: nil when there is none; error BADRECORD when it is not a JSON object.
local function load(key)
  local text = redis.call('GET', key)
  if not text then return nil end
  local r = parse_record(text)
  if not r then error({ err = 'BADRECORD' }) end
  return r
end
local function is_open(r)
  return r.obj.closedAt == nil or r.obj.closedAt == cjson.null
end
-- A field's value as the cleanup decision compares it: '' when absent, 'null' for null.
local function decided(v)
  if v == nil then return '' end
  if v == cjson.null then return 'null' end
  return tostring(v)
end

local function event(jkey, name, id, at, writer, host, reason)
  local e = { event = name, at = at, sessionId = id, writerPid = tonumber(writer), hostname = host }
  if reason ~= nil and reason ~= '' then e.reason = reason end
  redis.call('XADD', jkey, '*', 'json', cjson.encode(e))
end
local function publish(op, id)
  redis.call('PUBLISH', P .. ':events', cjson.encode({ op = op, id = id }))
end
`;

/**
 * create: ARGV = prefix, id, writerPid, hostname, the record's JSON text (createdAt and
 * heartbeatAt are set from the server clock). Error `EXISTS` when the id is taken. Returns the
 * record text.
 */
export const CREATE = `${PRELUDE}
local id = ARGV[2]
local key = P .. ':session:' .. id
if redis.call('EXISTS', key) == 1 then return redis.error_reply('EXISTS') end
local r = parse_record(ARGV[5])
local at = iso(now_ms())
set_field(r, 'createdAt', q(at))
set_field(r, 'heartbeatAt', q(at))
local text = record_text(r)
redis.call('SET', key, text)
redis.call('SADD', P .. ':sessions', id)
event(P .. ':journal:' .. id, 'created', id, at, ARGV[3], ARGV[4], '')
publish('created', id)
return text
`;

/**
 * heartbeat: ARGV = prefix, id, writerPid, hostname, n, n field/JSON-value pairs to set (timing
 * changes), m, m fields to delete, the record text the writer knows ('' when none: what to
 * register again from when the record is gone). Errors `CLOSED`, `NOTFOUND`, `BADRECORD`. A
 * record archived meanwhile comes back from the writer's copy, else from the archived copy,
 * unless that one is closed: the archive has the latest word. Removes staleSince (a heartbeat
 * is a sign of life). Returns the record text.
 */
export const HEARTBEAT = `${PRELUDE}
local id = ARGV[2]
local key = P .. ':session:' .. id
local i = 5
local sets = {}
for _ = 1, tonumber(ARGV[i]) do sets[#sets + 1] = { ARGV[i + 1], ARGV[i + 2] }; i = i + 2 end
i = i + 1
local dels = {}
for _ = 1, tonumber(ARGV[i]) do dels[#dels + 1] = ARGV[i + 1]; i = i + 1 end
local known = ARGV[i + 1]
local at = iso(now_ms())
local why = nil
local revived = false
local r = load(key)
if r then
  if not is_open(r) then return redis.error_reply('CLOSED') end
  revived = r.obj.staleSince ~= nil
else
  local where = redis.call('HGET', P .. ':archived', id)
  if known ~= '' then r = parse_record(known) end
  if where then
    local day, name = string.match(where, '^([^/]+)/(.+)$')
    local archived = load(P .. ':archive:' .. day .. ':session:' .. name)
    if archived and not is_open(archived) then return redis.error_reply('CLOSED') end
    if not r then r = archived end
    why = 'record was archived'
  else
    why = 'record was missing'
  end
  if not r then return redis.error_reply('NOTFOUND') end
  if not is_open(r) then return redis.error_reply('CLOSED') end
  redis.call('SADD', P .. ':sessions', id)
end
for _, s in ipairs(sets) do set_field(r, s[1], s[2]) end
for _, name in ipairs(dels) do r.vals[name] = nil end
r.vals.staleSince = nil
set_field(r, 'heartbeatAt', q(at))
set_field(r, 'closedAt', 'null')
local text = record_text(r)
redis.call('SET', key, text)
if why then
  event(P .. ':journal:' .. id, 're-registered', id, at, ARGV[3], ARGV[4], why .. ' at heartbeat')
  publish('re-registered', id)
elseif revived or #sets > 0 or #dels > 0 then
  publish('heartbeat', id)
end
return text
`;

/**
 * update: ARGV = prefix, id, then field/JSON-value pairs (label, status, workspaceFolders).
 * Errors `NOTFOUND`, `CLOSED`, `BADRECORD`. Also refreshes heartbeatAt. Returns the record text.
 */
export const UPDATE = `${PRELUDE}
local id = ARGV[2]
local key = P .. ':session:' .. id
local r = load(key)
if not r then return redis.error_reply('NOTFOUND') end
if not is_open(r) then return redis.error_reply('CLOSED') end
for i = 3, #ARGV - 1, 2 do set_field(r, ARGV[i], ARGV[i + 1]) end
set_field(r, 'heartbeatAt', q(iso(now_ms())))
local text = record_text(r)
redis.call('SET', key, text)
publish('updated', id)
return text
`;

/**
 * close: ARGV = prefix, id, writerPid, hostname. Returns 1 when it closed the session, 0 when it
 * was closed or archived already; errors `NOTFOUND` when there is no such session, `BADRECORD`.
 */
export const CLOSE = `${PRELUDE}
local id = ARGV[2]
local key = P .. ':session:' .. id
local r = load(key)
if not r then
  if redis.call('HEXISTS', P .. ':archived', id) == 1 then return 0 end
  return redis.error_reply('NOTFOUND')
end
if not is_open(r) then return 0 end
local at = iso(now_ms())
set_field(r, 'closedAt', q(at))
redis.call('SET', key, record_text(r))
event(P .. ':journal:' .. id, 'closed', id, at, ARGV[3], ARGV[4], '')
publish('closed', id)
return 1
`;

/**
 * markStale: ARGV = prefix, id, heartbeatAt as judged. Writes staleSince = now only when the
 * record is unchanged since the judgement (same heartbeatAt, still open): compare-and-set
 * instead of a lock. Returns 1 when written.
 */
export const MARK_STALE = `${PRELUDE}
local id = ARGV[2]
local key = P .. ':session:' .. id
local r = load(key)
if not r or decided(r.obj.heartbeatAt) ~= ARGV[3] or not is_open(r) then return 0 end
set_field(r, 'staleSince', q(iso(now_ms())))
redis.call('SET', key, record_text(r))
publish('stale', id)
return 1
`;

/**
 * archive: ARGV = prefix, id, condition ('' = archive whatever the state, else the
 * heartbeatAt, closedAt and staleSince values the decision was made on, as decisionState()
 * in redis-records.ts joins them), reason, writerPid, hostname. Moves record and journal
 * (RENAME: nothing is copied or deleted) under the current UTC day as `<id>`, or `<id>.<n>` when
 * that day has it already, after journalling an `archived` event. Returns {day, name,
 * movedRecord (0/1), movedJournal (0/1)}, or nil when there is nothing to archive or the record
 * changed since the decision.
 */
export const ARCHIVE = `${PRELUDE}
local id = ARGV[2]
local key = P .. ':session:' .. id
local jkey = P .. ':journal:' .. id
local has_record = redis.call('EXISTS', key) == 1
local has_journal = redis.call('EXISTS', jkey) == 1
if ARGV[3] ~= '' then
  if not has_record then return nil end
  local r = parse_record(redis.call('GET', key))
  if not r then return nil end
  local now_state = decided(r.obj.heartbeatAt) .. '\\n' .. decided(r.obj.closedAt) .. '\\n' .. decided(r.obj.staleSince)
  if now_state ~= ARGV[3] then return nil end
elseif not has_record and not has_journal then
  return nil
end
local at = iso(now_ms())
local day = string.sub(at, 1, 10)
local name = id
local n = 1
while redis.call('SISMEMBER', P .. ':archive:' .. day, name) == 1 do
  n = n + 1
  name = id .. '.' .. n
end
if has_journal then
  event(jkey, 'archived', id, at, ARGV[5], ARGV[6], ARGV[4])
  redis.call('RENAME', jkey, P .. ':archive:' .. day .. ':journal:' .. name)
end
if has_record then redis.call('RENAME', key, P .. ':archive:' .. day .. ':session:' .. name) end
redis.call('SREM', P .. ':sessions', id)
redis.call('SADD', P .. ':archive:' .. day, name)
redis.call('SADD', P .. ':archive-days', day)
redis.call('HSET', P .. ':archived', id, day .. '/' .. name)
publish('archived', id)
return { day, name, has_record and 1 or 0, has_journal and 1 or 0 }
`;
