"""``pad_sequences``: lists of sequences as one padded NumPy array."""
import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (or truncate) a list of sequences to one length: ``(n, maxlen)`` NumPy array.

    ``padding``/``truncating`` are ``"pre"`` (at the start, the default) or ``"post"``.
    ``pad_sequences([[1, 2], [3]])`` is ``[[1, 2], [0, 3]]``.
    """
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"padding and truncating must be 'pre' or 'post'; received {padding!r}, {truncating!r}.")
    lengths = [len(s) for s in sequences]
    sample_shape = next((np.asarray(s).shape[1:] for s in sequences if len(s)), ())
    maxlen = max(lengths, default=0) if maxlen is None else maxlen
    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for row, s in zip(out, sequences):
        if len(s) and maxlen:
            kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
            if padding == "post":
                row[:len(kept)] = kept
            else:
                row[-len(kept):] = kept
    return out
