"""String hashes that TensorFlow's ``tf.strings.to_hash_bucket_fast`` / ``_strong`` use, in NumPy.

``fingerprint64`` is FarmHash's ``Fingerprint64`` (farmhashna ``Hash64``, TensorFlow's
``Fingerprint64``); ``siphash64`` is SipHash-2-4 with a 128-bit key (TensorFlow's
``StrongKeyedHash``). Both take a list of ``bytes`` and return ``uint64`` arrays; strings of
equal length are hashed together with NumPy's wrapping ``uint64`` arithmetic, so no framework
is needed and the bins equal Keras's on every backend.
"""
import numpy as np

_U = np.uint64
_K0, _K1, _K2 = _U(0xc3a5c85c97cb3127), _U(0xb492b66fbe98f273), _U(0x9ae16a3b2f90404f)


def _rot(v, s):
    """Rotate right by ``s`` bits (``0 < s < 64``)."""
    return (v >> _U(s)) | (v << _U(64 - s))


def _shift_mix(v):
    return v ^ (v >> _U(47))


def _hash_len16(u, v, mul):
    a = (u ^ v) * mul
    a ^= a >> _U(47)
    b = (v ^ a) * mul
    b ^= b >> _U(47)
    return b * mul


def _fetch64(m, i):
    """Little-endian 64-bit words at byte offset ``i`` of every row of the uint8 matrix ``m``."""
    return np.ascontiguousarray(m[:, i:i + 8]).view("<u8")[:, 0].astype(_U)


def _fetch32(m, i):
    return np.ascontiguousarray(m[:, i:i + 4]).view("<u4")[:, 0].astype(_U)


def _len0to16(m, n):
    rows = m.shape[0]
    if n >= 8:
        mul = _K2 + _U(n * 2)
        a = _fetch64(m, 0) + _K2
        b = _fetch64(m, n - 8)
        c = _rot(b, 37) * mul + a
        d = (_rot(a, 25) + b) * mul
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = _K2 + _U(n * 2)
        a = _fetch32(m, 0)
        return _hash_len16(_U(n) + (a << _U(3)), _fetch32(m, n - 4), mul)
    if n > 0:
        a, b, c = (m[:, i].astype(_U) for i in (0, n >> 1, n - 1))
        y = (a + (b << _U(8))) & _U(0xffffffff)
        z = (_U(n) + (c << _U(2))) & _U(0xffffffff)
        return _shift_mix(y * _K2 ^ z * _K0) * _K2
    return np.full(rows, _K2, _U)


def _len17to32(m, n):
    mul = _K2 + _U(n * 2)
    a = _fetch64(m, 0) * _K1
    b = _fetch64(m, 8)
    c = _fetch64(m, n - 8) * mul
    d = _fetch64(m, n - 16) * _K2
    return _hash_len16(_rot(a + b, 43) + _rot(c, 30) + d, a + _rot(b + _K2, 18) + c, mul)


def _len33to64(m, n):
    mul = _K2 + _U(n * 2)
    a = _fetch64(m, 0) * _K2
    b = _fetch64(m, 8)
    c = _fetch64(m, n - 8) * mul
    d = _fetch64(m, n - 16) * _K2
    y = _rot(a + b, 43) + _rot(c, 30) + d
    z = _hash_len16(y, a + _rot(b + _K2, 18) + c, mul)
    e = _fetch64(m, 16) * mul
    f = _fetch64(m, 24)
    g = (y + _fetch64(m, n - 32)) * mul
    h = (z + _fetch64(m, n - 24)) * mul
    return _hash_len16(_rot(e + f, 43) + _rot(g, 30) + h, e + _rot(f + a, 18) + g, mul)


def _weak32(m, i, a, b):
    w, x, y, z = (_fetch64(m, i + k) for k in (0, 8, 16, 24))
    a = a + w
    b = _rot(b + a + z, 21)
    c = a
    a = a + x + y
    b = b + _rot(a, 44)
    return a + z, b + c


def _len_over64(m, n):
    rows = m.shape[0]
    seed = np.full(rows, 81, _U)
    x = seed
    y = seed * _K1 + _U(113)
    z = _shift_mix(y * _K2 + _U(113)) * _K2
    v0 = v1 = w0 = w1 = np.zeros(rows, _U)
    x = x * _K2 + _fetch64(m, 0)
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    for s in range(0, end, 64):
        x = _rot(x + y + v0 + _fetch64(m, s + 8), 37) * _K1
        y = _rot(y + v1 + _fetch64(m, s + 48), 42) * _K1
        x ^= w1
        y = y + v0 + _fetch64(m, s + 40)
        z = _rot(z + w0, 33) * _K1
        v0, v1 = _weak32(m, s, v1 * _K1, x + w0)
        w0, w1 = _weak32(m, s + 32, z + w1, y + _fetch64(m, s + 16))
        z, x = x, z
    mul = _K1 + ((z & _U(0xff)) << _U(1))
    s = last64
    w0 = w0 + _U((n - 1) & 63)
    v0 = v0 + w0
    w0 = w0 + v0
    x = _rot(x + y + v0 + _fetch64(m, s + 8), 37) * mul
    y = _rot(y + v1 + _fetch64(m, s + 48), 42) * mul
    x ^= w1 * _U(9)
    y = y + v0 * _U(9) + _fetch64(m, s + 40)
    z = _rot(z + w0, 33) * mul
    v0, v1 = _weak32(m, s, v1 * mul, x + w0)
    w0, w1 = _weak32(m, s + 32, z + w1, y + _fetch64(m, s + 16))
    z, x = x, z
    return _hash_len16(_hash_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z, _hash_len16(v1, w1, mul) + x, mul)


def _farm(m, n):
    if n <= 16:
        return _len0to16(m, n)
    if n <= 32:
        return _len17to32(m, n)
    if n <= 64:
        return _len33to64(m, n)
    return _len_over64(m, n)


def _sip_round(v0, v1, v2, v3):
    v0 = v0 + v1
    v1 = _rot(v1, 64 - 13) ^ v0
    v0 = _rot(v0, 32)
    v2 = v2 + v3
    v3 = _rot(v3, 64 - 16) ^ v2
    v0 = v0 + v3
    v3 = _rot(v3, 64 - 21) ^ v0
    v2 = v2 + v1
    v1 = _rot(v1, 64 - 17) ^ v2
    v2 = _rot(v2, 32)
    return v0, v1, v2, v3


def _sip(m, n, key):
    k0, k1 = _U(key[0] & 0xffffffffffffffff), _U(key[1] & 0xffffffffffffffff)
    rows = m.shape[0]
    v0 = np.full(rows, k0 ^ _U(0x736f6d6570736575), _U)
    v1 = np.full(rows, k1 ^ _U(0x646f72616e646f6d), _U)
    v2 = np.full(rows, k0 ^ _U(0x6c7967656e657261), _U)
    v3 = np.full(rows, k1 ^ _U(0x7465646279746573), _U)
    full = n - n % 8
    tail = np.zeros((rows, 8), np.uint8)
    tail[:, :n - full] = m[:, full:n]
    tail[:, 7] = n & 0xff
    words = [_fetch64(m, i) for i in range(0, full, 8)] + [_fetch64(tail, 0)]
    for word in words:
        v3 ^= word
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 ^= word
    v2 ^= _U(0xff)
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


def _by_length(strings, fn):
    """Apply ``fn(uint8 matrix, length)`` to the strings grouped by byte length; one uint64 per string."""
    strings = [s.encode("utf-8") if isinstance(s, str) else bytes(s) for s in strings]
    out = np.zeros(len(strings), _U)
    lengths = np.fromiter((len(s) for s in strings), np.int64, len(strings))
    with np.errstate(over="ignore"):
        for n in np.unique(lengths):
            idx = np.nonzero(lengths == n)[0]
            m = np.frombuffer(b"".join(strings[i] for i in idx) + b"\0" * 8, np.uint8)[:len(idx) * n]
            out[idx] = fn(m.reshape(len(idx), int(n)), int(n))
    return out


def fingerprint64(strings):
    """FarmHash ``Fingerprint64`` of each string (``str`` as UTF-8, or ``bytes``), as a ``uint64`` array."""
    return _by_length(strings, _farm)


def siphash64(strings, key):
    """SipHash-2-4 of each string under ``key`` (two ints, the 128-bit key), as a ``uint64`` array."""
    return _by_length(strings, lambda m, n: _sip(m, n, key))


def hash_bucket_fast(strings, num_buckets):
    """``tf.strings.to_hash_bucket_fast``: ``Fingerprint64(s) % num_buckets`` as int64."""
    return (fingerprint64(strings) % _U(num_buckets)).astype(np.int64)


def hash_bucket_strong(strings, num_buckets, key):
    """``tf.strings.to_hash_bucket_strong``: ``SipHash(key, s) % num_buckets`` as int64."""
    return (siphash64(strings, key) % _U(num_buckets)).astype(np.int64)


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's ``FingerprintCat64``: combine two ``uint64`` fingerprint arrays (``tf.sparse.cross_hashed``)."""
    mul = _U(0xc6a4a7935bd1e995)
    with np.errstate(over="ignore"):
        result = np.asarray(fp1, _U) ^ mul
        result ^= _shift_mix(np.asarray(fp2, _U) * mul) * mul
        result *= mul
        result = _shift_mix(result) * mul
        return _shift_mix(result)
