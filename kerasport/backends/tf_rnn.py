"""TensorFlow recurrent kernels: one ``tf.while_loop`` over time, inside the compiled step.

Star-imported at the end of ``tf_backend`` so that layers call them as
``B.rnn``, ``B.lstm`` and ``B.gru``. Sequences are batch-major ``(B, T, ...)``.
"""
import tensorflow as tf

__all__ = ["rnn", "lstm", "gru"]


def _expand(mask_t, x):
    return tf.reshape(mask_t, tf.concat([tf.shape(mask_t), tf.ones([x.shape.rank - 1], tf.int32)], 0))


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, unroll=False,
        zero_output_for_mask=False, return_all_outputs=True):
    """Run ``step_function`` over the time axis of ``inputs``.

    Args:
        step_function: ``(x_t (B, ...), states list) -> (output_t (B, ...), new_states list)``.
        inputs: ``(B, T, ...)``.
        initial_states: list of ``(B, ...)`` tensors.
        go_backwards: process the steps from last to first (outputs stay in processing order).
        mask: optional ``(B, T)`` bool; at a masked step the states are kept, and the output is the
            previous output (zeros when ``zero_output_for_mask``).
        unroll: unroll the loop in the graph (needs a static ``T``) instead of a ``tf.while_loop``.
        return_all_outputs: whether to stack every step's output.

    Returns:
        ``(last_output (B, ...), outputs (B, T, ...) or None, new_states list)``.
    """
    perm = [1, 0] + list(range(2, inputs.shape.rank))
    xs = tf.transpose(inputs, perm)
    ms = None if mask is None else tf.transpose(tf.cast(mask, tf.bool))
    if go_backwards:
        xs = tf.reverse(xs, [0])
        ms = None if ms is None else tf.reverse(ms, [0])

    def step(x, m, prev, states):
        out, new_states = step_function(x, list(states))
        if m is None:
            return out, list(new_states)
        keep = _expand(m, out)
        fill = tf.zeros_like(out) if zero_output_for_mask or prev is None else prev
        return tf.where(keep, out, fill), [tf.where(_expand(m, n), n, s) for n, s in zip(new_states, states)]

    if unroll:
        if xs.shape[0] is None:
            raise ValueError("Cannot unroll an RNN over an unknown number of time steps.")
        outputs, out, states = [], None, list(initial_states)
        for t in range(xs.shape[0]):
            out, states = step(xs[t], None if ms is None else ms[t], out, states)
            outputs.append(out)
        return out, tf.stack(outputs, 1) if return_all_outputs else None, states

    n = tf.shape(xs)[0]
    x_ta = tf.TensorArray(xs.dtype, size=n).unstack(xs)
    m_ta = None if ms is None else tf.TensorArray(tf.bool, size=n).unstack(ms)
    # The first step runs outside the loop: it gives the output's shape and the masked-step fill.
    out0, states0 = step(x_ta.read(0), None if m_ta is None else m_ta.read(0), None, initial_states)
    outs = (tf.TensorArray(out0.dtype, size=n, element_shape=out0.shape).write(0, out0),) \
        if return_all_outputs else ()

    def body(t, prev, states, *outs):
        out, states = step(x_ta.read(t), None if m_ta is None else m_ta.read(t), prev, states)
        return (t + 1, out, states) + tuple(ta.write(t, out) for ta in outs)

    _, last, states, *outs = tf.while_loop(lambda t, *_: t < n, body, (tf.constant(1), out0, states0) + outs,
                                           maximum_iterations=n, parallel_iterations=32)
    outputs = tf.transpose(outs[0].stack(), perm) if return_all_outputs else None
    return last, outputs, list(states)


def lstm(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias=None, go_backwards=False, mask=None,
         zero_output_for_mask=False, return_sequences=True):
    """Keras's LSTM (tanh, sigmoid; gates i, f, c, o) as one ``tf.while_loop`` of fused steps.

    Args:
        inputs: ``(B, T, I)``; ``initial_h``, ``initial_c``: ``(B, U)``.
        kernel: ``(I, 4U)``; recurrent_kernel: ``(U, 4U)``; bias: ``(4U,)`` or None.
        mask: optional ``(B, T)`` bool, with Keras's masking semantics (see ``rnn``).

    Returns:
        ``(last_output (B, U), outputs (B, T, U) or None, [h, c])``.
    """
    def step(x, states):
        h, c = states
        z = tf.matmul(x, kernel) + tf.matmul(h, recurrent_kernel)
        if bias is not None:
            z = z + bias
        i, f, g, o = tf.split(z, 4, axis=-1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        return h, [h, c]

    return rnn(step, inputs, [initial_h, initial_c], go_backwards, mask, False, zero_output_for_mask,
               return_sequences)


def gru(inputs, initial_h, kernel, recurrent_kernel, bias=None, go_backwards=False, mask=None,
        zero_output_for_mask=False, return_sequences=True):
    """Keras's GRU with ``reset_after=True`` (tanh, sigmoid; gates z, r, h) as one ``tf.while_loop``.

    Args:
        inputs: ``(B, T, I)``; ``initial_h``: ``(B, U)``.
        kernel: ``(I, 3U)``; recurrent_kernel: ``(U, 3U)``; bias: ``(2, 3U)`` (input, recurrent) or None.
        mask: as in ``lstm``.

    Returns:
        ``(last_output (B, U), outputs (B, T, U) or None, [h])``.
    """
    def step(x, states):
        h = states[0]
        mx, mh = tf.matmul(x, kernel), tf.matmul(h, recurrent_kernel)
        if bias is not None:
            mx, mh = mx + bias[0], mh + bias[1]
        xz, xr, xh = tf.split(mx, 3, axis=-1)
        hz, hr, hh = tf.split(mh, 3, axis=-1)
        z = tf.sigmoid(xz + hz)
        h = z * h + (1 - z) * tf.tanh(xh + tf.sigmoid(xr + hr) * hh)
        return h, [h]

    return rnn(step, inputs, [initial_h], go_backwards, mask, False, zero_output_for_mask, return_sequences)
