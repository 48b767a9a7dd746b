"""Token buckets in Redis that every worker shares: a rate per key, and no bursts.

No burst, because a provider counts requests in any one-second window: a full
bucket spent at once on top of the steady rate would be throttled. For the
same reason requests are paced a little under the rate (``MARGIN``): network
jitter can bring two evenly spaced requests closer together.

``reserve`` takes a token from each bucket now and says how long to wait
before acting on them, so workers queue up fairly instead of polling. Redis's
own clock is used, so workers on several machines agree.
"""

from ..queue import redis

MARGIN = 0.97

_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local wait = 0
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[i])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(state[1]) or 1
  local at = tonumber(state[2]) or now
  tokens = math.min(1, tokens + (now - at) * rate) - 1
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('EXPIRE', key, 60)
  if tokens < 0 and -tokens / rate > wait then wait = -tokens / rate end
end
return tostring(wait)
"""

_scripts = {}


def reserve(*buckets):
    """Take one token from each ``(key, rate per second)`` bucket; returns the seconds to wait (one round trip)."""
    connection = redis()
    script = _scripts.get(id(connection))
    if script is None:
        script = _scripts[id(connection)] = connection.register_script(_SCRIPT)
    keys = [f"crm_sms:rate:{key}" for key, _ in buckets]
    return float(script(keys=keys, args=[rate * MARGIN for _, rate in buckets]))
