-- corelane's admission of one request over all its descriptors, atomically: LiteLLM
-- 1.108.7's BATCH_RATE_LIMITER_SCRIPT, PARALLEL_ACQUIRE_SCRIPT and
-- CHECK_AND_INCREMENT_BY_N_SCRIPT (proxy/hooks/parallel_request_limiter_v3.py), in that
-- order and with their checks, in one script (redis_link.rs).
-- KEYS: per descriptor {d:v}:window, {d:v}:requests, {d:v}:tokens, {d:v}:max_parallel_requests.
-- ARGV: now, window size, slot TTL, slot id, token estimate, then per descriptor rpm, tpm,
-- max parallel (-1: none).
-- Returns {0, per descriptor: window start, requests, tokens, in flight} (-1: not counted)
-- or {1, descriptor (1-based), type (1 requests, 2 tokens, 3 parallel), counter, limit}.
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local slot_ttl = tonumber(ARGV[3])
local slot = ARGV[4]
local estimate = tonumber(ARGV[5])
local n = #KEYS / 4
local function limit(i, j) return tonumber(ARGV[5 + (i - 1) * 3 + j]) end
local function open(i)
  redis.call('DEL', KEYS[i * 4 - 2], KEYS[i * 4 - 1])
  redis.call('SET', KEYS[i * 4 - 3], tostring(now))
  redis.call('EXPIRE', KEYS[i * 4 - 3], window)
end
local start, requests, tokens, flight = {}, {}, {}, {}
-- 1. Count the request where an rpm applies, even if it is refused below.
for i = 1, n do
  local s = redis.call('GET', KEYS[i * 4 - 3])
  if s and (now - tonumber(s)) < window then start[i] = tonumber(s) end
  if limit(i, 1) >= 0 then
    if start[i] then
      requests[i] = redis.call('INCR', KEYS[i * 4 - 2])
      if redis.call('TTL', KEYS[i * 4 - 2]) == -1 then
        redis.call('EXPIRE', KEYS[i * 4 - 2], window)
      end
    else
      open(i)
      redis.call('SET', KEYS[i * 4 - 2], 1)
      redis.call('EXPIRE', KEYS[i * 4 - 2], window)
      start[i] = now
      requests[i] = 1
    end
  end
end
for i = 1, n do
  if requests[i] and requests[i] > limit(i, 1) then
    return {1, i, 1, requests[i], limit(i, 1)}
  end
end
-- 2. A parallel slot where a limit applies; slots past their TTL are dropped first.
for i = 1, n do
  if limit(i, 3) >= 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[i * 4], '-inf', now - slot_ttl)
    local c = redis.call('ZCARD', KEYS[i * 4])
    if c + 1 > limit(i, 3) then return {1, i, 3, c, limit(i, 3)} end
    flight[i] = c
  end
end
-- 3. The token reservation, on every descriptor with a tpm or on none.
for i = 1, n do
  if limit(i, 2) >= 0 then
    local c = 0
    if start[i] then c = tonumber(redis.call('GET', KEYS[i * 4 - 1]) or 0) end
    if c + estimate > limit(i, 2) then return {1, i, 2, c, limit(i, 2)} end
    tokens[i] = c
  end
end
local out = {0}
for i = 1, n do
  if flight[i] then
    redis.call('ZADD', KEYS[i * 4], now, slot)
    redis.call('EXPIRE', KEYS[i * 4], slot_ttl)
    flight[i] = flight[i] + 1
  end
  if tokens[i] then
    if not start[i] then
      open(i)
      start[i] = now
    end
    tokens[i] = redis.call('INCRBY', KEYS[i * 4 - 1], estimate)
    if redis.call('TTL', KEYS[i * 4 - 1]) == -1 then
      redis.call('EXPIRE', KEYS[i * 4 - 1], window)
    end
  end
  table.insert(out, start[i] or -1)
  table.insert(out, requests[i] or -1)
  table.insert(out, tokens[i] or -1)
  table.insert(out, flight[i] or -1)
end
return out
