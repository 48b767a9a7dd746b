"""A token bucket in Redis that every worker shares: a rate per key, with a burst of one second.

``reserve`` takes a token now and says how long to wait before using it, so
workers queue up fairly instead of polling. Redis's own clock is used, so
workers on several machines agree.
"""

from ..queue import redis

_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], 60)
if tokens >= 0 then return '0' end
return tostring(-tokens / rate)
"""

_scripts = {}


def reserve(key, rate):
    """Take one token from ``key``'s bucket; returns the seconds to wait before acting on it."""
    connection = redis()
    script = _scripts.get(id(connection))
    if script is None:
        script = _scripts[id(connection)] = connection.register_script(_SCRIPT)
    return float(script(keys=[f"crm_sms:rate:{key}"], args=[rate, max(1.0, rate)]))
