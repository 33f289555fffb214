"""TensorFlow recurrent kernels: one ``tf.while_loop`` over time, inside the compiled step.

The package gathers them, so that layers call them as
``B.rnn``, ``B.lstm`` and ``B.gru``. Sequences are batch-major ``(B, T, ...)``.
With a GPU, unmasked ``lstm`` and ``gru`` run cuDNN's fused kernel (``CudnnRNNV3``),
with the weights laid out as Keras lays them out for it; masked or on a CPU they run the loop.
"""
import tensorflow as tf

__all__ = ["rnn", "lstm", "gru"]


def _gpu_available():
    return bool(tf.config.list_logical_devices("GPU"))


def _cudnn_rnn(**kwargs):
    return tf.raw_ops.CudnnRNNV3(**kwargs)


def _cudnn(mode, inputs, states, weights, biases, go_backwards, return_sequences):
    """Run cuDNN's ``mode`` ("lstm" | "gru") RNN over batch-major ``inputs``.

    ``weights`` are the per-gate input kernels ``(I, U)`` then recurrent kernels ``(U, U)``
    and ``biases`` the per-gate input then recurrent biases ``(U,)``, all in cuDNN's gate
    order; cuDNN takes the kernels transposed, flattened into one parameter buffer.
    Returns ``(last_output, outputs or None, states)`` as ``rnn`` does.
    """
    params = tf.concat([tf.reshape(tf.transpose(w), [-1]) for w in weights] +
                       [tf.reshape(b, [-1]) for b in biases], 0)
    x = tf.reverse(inputs, [1]) if go_backwards else inputs  # outputs stay in processing order
    lengths = tf.fill([tf.shape(inputs)[0]], tf.shape(inputs)[1])
    outputs, h, c, _, _ = _cudnn_rnn(
        input=x, input_h=tf.expand_dims(states[0], 1),
        input_c=tf.expand_dims(states[1], 1) if mode == "lstm" else 0, params=params, is_training=True,
        rnn_mode=mode, sequence_lengths=lengths, time_major=False)
    h = tf.squeeze(h, 1)
    new_states = [h, tf.squeeze(c, 1)] if mode == "lstm" else [h]
    return h, outputs if return_sequences else None, new_states


def _cudnn_lstm(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, go_backwards, return_sequences):
    units = recurrent_kernel.shape[0]
    weights = tf.split(kernel, 4, axis=1) + tf.split(recurrent_kernel, 4, axis=1)  # gates i, f, c, o
    bias = tf.zeros([4 * units], kernel.dtype) if bias is None else bias
    biases = tf.split(tf.concat([tf.zeros_like(bias), bias], 0), 8)  # cuDNN's extra input biases are zero
    if tf.sysconfig.get_build_info().get("is_rocm_build"):  # MIOpen orders the gates i, f, o, c
        order = (0, 1, 3, 2, 4, 5, 7, 6)
        weights, biases = [weights[i] for i in order], [biases[i] for i in order]
    return _cudnn("lstm", inputs, [initial_h, initial_c], weights, biases, go_backwards, return_sequences)


def _cudnn_gru(inputs, initial_h, kernel, recurrent_kernel, bias, go_backwards, return_sequences):
    units = recurrent_kernel.shape[0]
    weights = tf.split(kernel, 3, axis=1) + tf.split(recurrent_kernel, 3, axis=1)  # Keras: z, r, h
    bias = tf.zeros([2, 3 * units], kernel.dtype) if bias is None else bias
    biases = tf.split(tf.reshape(bias, [-1]), 6)
    if not tf.sysconfig.get_build_info().get("is_rocm_build"):  # cuDNN: r, z, h
        for group in (weights, biases):
            group[0], group[1], group[3], group[4] = group[1], group[0], group[4], group[3]
    return _cudnn("gru", inputs, [initial_h], weights, biases, go_backwards, return_sequences)


def _expand(mask_t, x):
    return tf.reshape(mask_t, tf.concat([tf.shape(mask_t), tf.ones([x.shape.rank - 1], tf.int32)], 0))


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, unroll=False,
        zero_output_for_mask=False, return_all_outputs=True):
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
    if ms is None:  # as Keras's loop: no output carried, each step's output written to a TensorArray
        spec, _ = step_function(xs[0], list(initial_states))  # shape and dtype only; pruned from the graph
        out_ta = tf.TensorArray(spec.dtype, size=n if return_all_outputs else 1, element_shape=spec.shape)

        def plain_body(t, out_ta, states):
            out, states = step_function(x_ta.read(t), list(states))
            return t + 1, out_ta.write(t if return_all_outputs else 0, out), list(states)

        _, out_ta, states = tf.while_loop(lambda t, *_: t < n, plain_body, (tf.constant(0), out_ta, initial_states),
                                          maximum_iterations=n, parallel_iterations=32, swap_memory=True)
        if not return_all_outputs:
            return out_ta.read(0), None, list(states)
        stacked = out_ta.stack()
        return stacked[-1], tf.transpose(stacked, perm), list(states)
    m_ta = tf.TensorArray(tf.bool, size=n).unstack(ms)
    step_function(xs[0], list(initial_states))  # as Keras: one discarded call before the loop (its side effects)
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
    if mask is None and _gpu_available():
        return _cudnn_lstm(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias, go_backwards,
                           return_sequences)

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
    if mask is None and _gpu_available():
        return _cudnn_gru(inputs, initial_h, kernel, recurrent_kernel, bias, go_backwards, return_sequences)

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
