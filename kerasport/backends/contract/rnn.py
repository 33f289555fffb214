"""The backend contract, ``rnn``: recurrent kernels (cuDNN where the device has it).

Each backend implements these in ``backends/<name>/rnn.py``; signatures and docstrings live here, once."""
from typing import Any, Callable  # noqa: F401

import numpy as np  # noqa: F401

from kerasport.backends.contract.types import ArrayLike, Axis, DType, Generator, Shape, Tensor, Variable  # noqa: F401


def gru(
        inputs: ArrayLike,
        initial_h: ArrayLike,
        kernel: ArrayLike,
        recurrent_kernel: ArrayLike,
        bias: ArrayLike | None = None,
        go_backwards: bool = False,
        mask: ArrayLike | None = None,
        zero_output_for_mask: bool = False,
        return_sequences: bool = True,
) -> tuple[Tensor, ...]:
    """Keras's GRU with ``reset_after=True`` (tanh, sigmoid; gates z, r, h), on the framework's fused kernel.

    Args:
        inputs: ``(B, T, I)``; ``initial_h``: ``(B, U)``.
        kernel: ``(I, 3U)``; recurrent_kernel: ``(U, 3U)``; bias: ``(2, 3U)`` (input, recurrent) or None.
        mask: as in ``lstm``.

    Returns:
        ``(last_output (B, U), outputs (B, T, U) or None, [h])``.
    """


def lstm(
        inputs: ArrayLike,
        initial_h: ArrayLike,
        initial_c: ArrayLike,
        kernel: ArrayLike,
        recurrent_kernel: ArrayLike,
        bias: ArrayLike | None = None,
        go_backwards: bool = False,
        mask: ArrayLike | None = None,
        zero_output_for_mask: bool = False,
        return_sequences: bool = True,
) -> tuple[Tensor, ...]:
    """Keras's LSTM (tanh, sigmoid; gates i, f, c, o), on the framework's fused kernel.

    Args:
        inputs: ``(B, T, I)``; ``initial_h``, ``initial_c``: ``(B, U)``.
        kernel: ``(I, 4U)``; recurrent_kernel: ``(U, 4U)``; bias: ``(4U,)`` or None.
        mask: optional ``(B, T)`` bool, with ``rnn``'s masking semantics; a mask the kernel cannot take
            raises ``NotImplementedError`` (the caller then uses ``rnn``).

    Returns:
        ``(last_output (B, U), outputs (B, T, U) or None, [h, c])``.
    """


def rnn(
        step_function,
        inputs: ArrayLike,
        initial_states,
        go_backwards: bool = False,
        mask: ArrayLike | None = None,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        return_all_outputs: bool = True,
) -> tuple[Tensor, ...]:
    """Run ``step_function`` over the time axis of ``inputs``.

    Args:
        step_function: ``(x_t (B, ...), states list) -> (output_t (B, ...), new_states list)``.
        inputs: ``(B, T, ...)``.
        initial_states: list of ``(B, ...)`` tensors.
        go_backwards: process the steps from last to first (outputs stay in processing order).
        mask: optional ``(B, T)`` bool; at a masked step the states are kept, and the output is the
            previous output (zeros when ``zero_output_for_mask``).
        unroll: unroll the loop over a static ``T`` where the backend builds a graph (a backend that runs
            the steps eagerly runs the same loop either way). Without it, as Keras's loop, ``step_function``
            runs once more before the loop, on the first step, its result discarded (a cell's side effects,
            e.g. a list it appends to, see ``T + 1`` calls).
        return_all_outputs: whether to stack every step's output.

    Returns:
        ``(last_output (B, ...), outputs (B, T, ...) or None, new_states list)``.
    """
