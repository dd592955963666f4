"""Opaque, time-ordered identifiers: keyset pagination can order by id alone."""
import os
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_RANDOM_BITS = 80
_lock = threading.Lock()
_last = 0


def new_id() -> str:
    """26 characters: 48-bit millisecond timestamp then 80 random bits (ULID layout). Monotonic
    within a process: a second id in the same millisecond is the previous one plus one, so rows
    written one after the other (an audit trail) keep their order."""
    global _last
    value = (int(time.time() * 1000) << _RANDOM_BITS) | int.from_bytes(os.urandom(_RANDOM_BITS // 8), "big")
    with _lock:
        if value >> _RANDOM_BITS <= _last >> _RANDOM_BITS:
            value = _last + 1
        _last = value
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))
