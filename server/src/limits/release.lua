-- The end of a request admitted by admit.lua (redis_link.rs): frees its parallel slot and
-- corrects its token reservation to the real usage, in the window it was reserved in only
-- (LiteLLM's PARALLEL_RELEASE_SCRIPT and WINDOW_GUARDED_TOKEN_INCREMENT_SCRIPT).
-- KEYS: per descriptor {d:v}:window, {d:v}:tokens, {d:v}:max_parallel_requests.
-- ARGV: slot id, window size, then per descriptor the window its tokens were reserved in,
-- the correction, and 1 to free its slot.
local slot = ARGV[1]
local window = tonumber(ARGV[2])
for i = 1, #KEYS / 3 do
  local a = 2 + (i - 1) * 3
  if ARGV[a + 3] == '1' then redis.call('ZREM', KEYS[i * 3], slot) end
  local delta = tonumber(ARGV[a + 2])
  if delta ~= 0 and redis.call('GET', KEYS[i * 3 - 2]) == ARGV[a + 1] then
    redis.call('INCRBY', KEYS[i * 3 - 1], delta)
    if redis.call('TTL', KEYS[i * 3 - 1]) == -1 then
      redis.call('EXPIRE', KEYS[i * 3 - 1], window)
    end
  end
end
return 0
