"""PyTorch backend, recurrent kernels: the generic step loop (eager: ``unroll`` only drops Keras's extra first
call of the cell, see ``rnn``) and PyTorch's
fused LSTM/GRU, which take right-padded masks (run packed) and raise ``NotImplementedError`` for any other.
Layers call them as ``B.rnn``, ``B.lstm`` and ``B.gru``; sequences are batch-major ``(B, T, ...)``.
"""
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from kerasport.backends.torch import onednn_lstm


def _expand(mask_t, x):
    return mask_t.reshape(mask_t.shape + (1,) * (x.dim() - 1))


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, unroll=False,
        zero_output_for_mask=False, return_all_outputs=True):
    steps = list(inputs.unbind(1))
    masks = list(mask.bool().unbind(1)) if mask is not None else None
    if go_backwards:
        steps.reverse()
        masks = masks[::-1] if masks is not None else None
    if not unroll and steps:
        # As Keras's loop (unroll=False): the cell runs once on the first step before the loop, its output
        # discarded (Keras reads the output's shape from it); the cell's side effects see that extra call.
        with torch.no_grad():
            step_function(steps[0], list(initial_states))
    states, outputs, prev = list(initial_states), [], None
    for t, x in enumerate(steps):
        out, new_states = step_function(x, states)
        if masks is not None:
            m = masks[t]
            if prev is None:
                prev = torch.zeros_like(out)
            out = torch.where(_expand(m, out), out, torch.zeros_like(out) if zero_output_for_mask else prev)
            new_states = [torch.where(_expand(m, n), n, s) for n, s in zip(new_states, states)]
            prev = out
        states = list(new_states)
        if return_all_outputs or t == len(steps) - 1:
            outputs.append(out)
    return outputs[-1], torch.stack(outputs, 1) if return_all_outputs else None, states


def _lengths(mask):
    """Per-row lengths when ``mask`` is right-padded with no empty row, else NotImplementedError."""
    mask = mask.bool()
    lengths = mask.sum(1)
    steps = torch.arange(mask.shape[1], device=mask.device)
    if not torch.equal(mask, steps < lengths[:, None]) or bool((lengths == 0).any()):
        raise NotImplementedError("the fused kernel takes right-padded masks without empty rows")
    return lengths


def _run_fused(kernel_fn, inputs, hx, mask, go_backwards, zero_output_for_mask, return_sequences):
    """Run a fused PyTorch RNN (``kernel_fn(input, batch_sizes, hx) -> (out, hx)``) with Keras's masking."""
    if mask is None:
        out, hx = kernel_fn(inputs.flip(1) if go_backwards else inputs, None, hx)
        return out[:, -1], out if return_sequences else None, hx
    lengths = _lengths(mask)
    steps = torch.arange(inputs.shape[1], device=inputs.device)[None, :]
    last = (lengths - 1)[:, None]
    if go_backwards:  # the valid prefix of each row, reversed, then right-padded again
        inputs = inputs.gather(1, torch.where(steps <= last, last - steps, steps)[..., None].expand_as(inputs))
    packed = pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
    hx = tuple(h.index_select(1, packed.sorted_indices) for h in hx)
    out, hx = kernel_fn(packed.data, packed.batch_sizes, hx)
    hx = tuple(h.index_select(1, packed.unsorted_indices) for h in hx)
    padded, _ = pad_packed_sequence(PackedSequence(out, packed.batch_sizes, packed.sorted_indices,
                                                   packed.unsorted_indices),
                                    batch_first=True, total_length=inputs.shape[1])
    if go_backwards:  # Keras sees the masked steps first: zero outputs, then the valid ones
        index = (steps + lengths[:, None]) % inputs.shape[1]
    elif zero_output_for_mask:
        index = None
    else:  # masked steps repeat the last valid output
        index = torch.minimum(steps, last)
    if index is not None:
        padded = padded.gather(1, index[..., None].expand_as(padded))
    return padded[:, -1], padded if return_sequences else None, hx


def _compiled_cpu(inputs, mask, *tensors):
    """Whether this call is in a ``torch.compile`` trace on CPU, where the fused LSTM is ``onednn_lstm``'s
    op: ``torch._VF.lstm``'s backward does not compile there (pytorch/pytorch#158007). Where that op does
    not apply (a mask, ``torch.export``, another dtype), NotImplementedError: the layer runs its cell loop."""
    if inputs.device.type != "cpu" or not torch.compiler.is_compiling():
        return False
    if mask is not None or not onednn_lstm.supports(inputs, *tensors):
        raise NotImplementedError("the compiled fused CPU LSTM takes float32 inputs without a mask")
    return True


def lstm(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias=None, go_backwards=False, mask=None,
         zero_output_for_mask=False, return_sequences=True):
    compiled_cpu = _compiled_cpu(inputs, mask, initial_h, initial_c, kernel, recurrent_kernel,
                                 *([bias] if bias is not None else []))
    # Keras's gate order i, f, c, o is PyTorch's i, f, g, o: only a transpose is needed. It is made contiguous
    # here, once per call: oneDNN's forward and backward would each copy a transposed view.
    params = [kernel.t().contiguous(), recurrent_kernel.t().contiguous()]
    if bias is not None:
        params += [bias, torch.zeros_like(bias)]

    def kernel_fn(x, batch_sizes, hx):
        if compiled_cpu:
            out, h, c = onednn_lstm.lstm(x, hx, params, bias is not None)
        elif batch_sizes is None:
            out, h, c = torch._VF.lstm(x, hx, params, bias is not None, 1, 0.0, False, False, True)
        else:
            out, h, c = torch._VF.lstm(x, batch_sizes, hx, params, bias is not None, 1, 0.0, False, False)
        return out, (h, c)

    hx = (initial_h[None], initial_c[None])
    last, outputs, (h, c) = _run_fused(kernel_fn, inputs, hx, mask, go_backwards, zero_output_for_mask,
                                       return_sequences)
    return last, outputs, [h[0], c[0]]


def gru(inputs, initial_h, kernel, recurrent_kernel, bias=None, go_backwards=False, mask=None,
        zero_output_for_mask=False, return_sequences=True):
    units = recurrent_kernel.shape[0]
    # PyTorch orders the gates r, z, n (Keras: z, r, h) and applies r after the recurrent matmul, as
    # reset_after=True. One index_select per weight reorders the gate blocks into PyTorch's (3 * units, in)
    # layout; its backward is one index_add. The index is built per call, not cached: ``torch.export`` traces this.
    rzh = torch.tensor([*range(units, 2 * units), *range(units), *range(2 * units, 3 * units)], device=kernel.device)
    params = [kernel.t().index_select(0, rzh), recurrent_kernel.t().index_select(0, rzh)]
    if bias is not None:
        params += list(bias.index_select(-1, rzh).unbind(0))

    def kernel_fn(x, batch_sizes, hx):
        if batch_sizes is None:
            out, h = torch._VF.gru(x, hx[0], params, bias is not None, 1, 0.0, False, False, True)
        else:
            out, h = torch._VF.gru(x, batch_sizes, hx[0], params, bias is not None, 1, 0.0, False, False)
        return out, (h,)

    last, outputs, (h,) = _run_fused(kernel_fn, inputs, (initial_h[None],), mask, go_backwards,
                                     zero_output_for_mask, return_sequences)
    return last, outputs, [h[0]]
