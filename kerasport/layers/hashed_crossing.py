"""``HashedCrossing``: crosses categorical features into ``num_bins`` hashed bins."""
import numpy as np

from kerasport.backends import B
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.layers.symbolic import is_symbolic
from kerasport.layers.preprocessing_utils import (as_strings, check_not_sparse, check_output_mode, encode_categorical,
                                                  host_numpy, traced_strings)
from kerasport.utils import farmhash


class HashedCrossing(Layer):
    """Crosses two or more categorical features into ``num_bins`` hashed bins (``tf.sparse.cross_hashed``).

    Integer features combine by their values, string features by their FarmHash fingerprints, with
    TensorFlow's ``FingerprintCat64``; computed in NumPy on the host
    (inside a traced TensorFlow step, by ``tf.sparse.cross_hashed``).

    Args:
        num_bins: the number of bins.
        output_mode: ``"int"`` (int64 bins) or ``"one_hot"``.
        sparse: only ``False``.
        dtype: the output dtype (``"int64"`` for ``"int"``, ``"float32"`` otherwise).

    Call arguments:
        inputs: a list/tuple of at least two equally shaped features, each of shape ``()``,
            ``(batch,)`` or ``(batch, 1)``, of ints or strings.
    """

    supports_jit = False  # as Keras: no XLA / torch.compile for this layer
    _allow_non_tensor_positional_args = True  # as Keras: a data layer takes lists and flags

    _HASH_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default key

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        label = f"HashedCrossing {self.name!r}"
        check_output_mode(label, output_mode, ("int", "one_hot"))
        check_not_sparse(label, sparse)
        self.num_bins, self.output_mode, self.sparse = num_bins, output_mode, sparse
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        if is_symbolic(inputs):
            return super().__call__(inputs, *args, **kwargs)
        return self.call(inputs)

    def call(self, inputs):
        label = f"HashedCrossing {self.name!r}"
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"{label} should be called on a list or tuple of at least two inputs, received "
                             f"{type(inputs).__name__}.")
        if any(traced_strings(x) for x in inputs):
            return self._encode(B.string_cross_hashed(inputs, self.num_bins))
        values = [host_numpy(x) for x in inputs]
        shape = values[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(f"{label}: every input should have shape (), (batch_size,) or (batch_size, 1), "
                             f"received shape {shape}.")
        if any(v.shape != shape for v in values[1:]):
            raise ValueError(f"{label}: every input should have the same shape, received "
                             f"{[v.shape for v in values]}.")
        if any(v.dtype.kind not in "iuSUO" for v in values):
            raise ValueError(f"{label}: inputs should have an integer or string dtype, received "
                             f"{[str(v.dtype) for v in values]}.")
        hashed = np.full(int(np.prod(shape)), self._HASH_KEY, np.uint64)
        for v in values:
            flat = v.reshape(-1)
            feature = (farmhash.fingerprint64(list(as_strings(flat))) if v.dtype.kind in "SUO"
                       else flat.astype(np.int64).view(np.uint64))
            hashed = farmhash.fingerprint_cat64(hashed, feature)
        bins = (hashed % np.uint64(self.num_bins)).astype(np.int64).reshape(shape)
        return self._encode(B.convert_to_tensor(bins))

    def _encode(self, bins):
        """The int64 ``bins`` in the output mode."""
        if self.output_mode == "int":
            return B.cast(bins, self.dtype)
        return encode_categorical(bins, "one_hot", self.num_bins, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        if len(shape) == 0:
            return (self.num_bins,)
        return shape + (self.num_bins,) if shape[-1] != 1 else shape[:-1] + (self.num_bins,)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape([x.shape for x in inputs]), self.compute_dtype)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode, "sparse": self.sparse,
                "name": self.name, "dtype": super().get_config()["dtype"]}
