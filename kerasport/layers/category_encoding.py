"""``CategoryEncoding``: integer ids as one-hot, multi-hot or count vectors."""
import numpy as np

from kerasport.backends import B
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.layers.symbolic import is_symbolic
from kerasport.layers.preprocessing_utils import (check_not_sparse, check_output_mode, eager_numpy, encode_categorical,
                                                  encoded_shape, host_numpy)


class CategoryEncoding(Layer):
    """Encodes integer ids in ``[0, num_tokens)`` as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the number of ids; outputs have this last dimension.
        output_mode: ``"multi_hot"`` (default; 1 where an id occurs in the last input axis),
            ``"one_hot"`` (one vector per id; a trailing axis of size 1 is replaced) or
            ``"count"`` (how often each id occurs).
        sparse: only ``False``.

    Call arguments:
        inputs: integer tensor; ids outside ``[0, num_tokens)`` raise an error (checked eagerly).
        count_weights: (``"count"`` only) weights, shaped like ``inputs``, summed instead of 1s.

    Example::

        CategoryEncoding(num_tokens=4, output_mode="count")([[0, 1], [3, 3]])  # [[1,1,0,0],[0,0,0,2]]
    """

    _allow_non_tensor_positional_args = True  # as Keras: a data layer takes lists and flags

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        name = f"CategoryEncoding {self.name!r}"
        self.output_mode = check_output_mode(name, output_mode, ("count", "one_hot", "multi_hot"))
        if num_tokens is None:
            raise ValueError(f"{name}: `num_tokens` must be set; to learn the ids, use IntegerLookup instead.")
        if num_tokens < 1:
            raise ValueError(f"{name}: `num_tokens` must be >= 1, received num_tokens={num_tokens}.")
        check_not_sparse(name, sparse)
        self.num_tokens, self.sparse = num_tokens, sparse
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        if not is_symbolic(inputs) and not B.is_tensor(inputs):
            inputs = B.convert_to_tensor(np.asarray(host_numpy(inputs)))
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(f"CategoryEncoding {self.name!r}: `count_weights` is only used when output_mode "
                                 f"is 'count', received output_mode={self.output_mode!r}.")
            count_weights = B.convert_to_tensor(host_numpy(count_weights), self.compute_dtype)
        values = eager_numpy(inputs)
        if values is not None and values.size and (values.min() < 0 or values.max() >= self.num_tokens):
            raise ValueError(f"CategoryEncoding {self.name!r}: every input must be in [0, {self.num_tokens}) "
                             f"(num_tokens={self.num_tokens}), received values in "
                             f"[{values.min()}, {values.max()}].")
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self.compute_dtype, count_weights)

    def compute_output_shape(self, input_shape):
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and len(input_shape) == 1:
            return tuple(input_shape) + (self.num_tokens,)
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def compute_output_spec(self, inputs, count_weights=None):
        return KerasTensor(self.compute_output_shape(inputs.shape), self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode,
                "sparse": self.sparse}
