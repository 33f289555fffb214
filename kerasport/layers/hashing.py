"""``Hashing``: strings (or integers) into ``num_bins`` FarmHash or SipHash bins, as Keras does."""
import numpy as np

from kerasport import backend
from kerasport.backends import B
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.layers.symbolic import is_symbolic
from kerasport.layers.preprocessing_utils import (as_strings, check_not_sparse, check_output_mode, encode_categorical,
                                                  host_numpy, traced_strings)
from kerasport.utils import farmhash


class Hashing(Layer):
    """Hashes strings (or integers, as their decimal text) into ``num_bins`` bins, as Keras does.

    Bins are ``Fingerprint64(value) % num_bins`` (FarmHash, ``tf.strings.to_hash_bucket_fast``), or
    ``SipHash(salt, value) % num_bins`` with a ``salt`` (``to_hash_bucket_strong``), computed in NumPy
    on the host, so the bins are Keras's on every backend.

    Args:
        num_bins: the number of bins, mask bin included.
        mask_value: a value sent to bin 0; the others then use bins ``1..num_bins-1``.
        salt: an int or a pair of ints: use the keyed SipHash.
        output_mode: ``"int"`` (default), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: only ``False``.
        dtype: the output dtype (``"int64"`` for ``"int"``, ``"float32"`` otherwise).
    """

    supports_jit = False  # as Keras: no XLA / torch.compile for this layer
    _allow_non_tensor_positional_args = True  # as Keras: a data layer takes lists and flags

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        label = f"Hashing {self.name!r}"
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"{label}: `num_bins` must be a positive int, received num_bins={num_bins}.")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(f"{label}: with output_mode='int', `dtype` must be 'int32' or 'int64', received "
                             f"dtype={self.dtype!r}.")
        check_output_mode(label, output_mode, ("int", "one_hot", "multi_hot", "count"))
        check_not_sparse(label, sparse)
        if salt is not None:
            if isinstance(salt, int):
                salt = [salt, salt]
            elif not (isinstance(salt, (tuple, list)) and len(salt) == 2):
                raise ValueError(f"{label}: `salt` must be an int or a pair of ints, received salt={salt!r}.")
            salt = list(salt)
        self.num_bins, self.mask_value, self.salt = num_bins, mask_value, salt
        self.strong_hash = salt is not None
        self.output_mode, self.sparse = output_mode, sparse
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        if is_symbolic(inputs):
            return super().__call__(inputs, *args, **kwargs)
        return self.call(inputs)

    def call(self, inputs):
        masked = self.mask_value is not None and self.num_bins > 1
        bins = self.num_bins - 1 if masked else self.num_bins
        mask_text = (self.mask_value.decode("utf-8") if isinstance(self.mask_value, bytes)
                     else str(self.mask_value))
        if traced_strings(inputs):
            strings = B.as_strings(inputs)
            hashed = B.string_hash_bucket(strings, bins, self.salt)
            if masked:
                hashed = B.where(B.string_equal(strings, mask_text), 0, hashed + 1)
        else:
            values = host_numpy(inputs)
            if values.dtype.kind == "f":
                values = values.astype(np.int64)
            strings = as_strings(values)
            flat = list(strings.reshape(-1))
            hashed = (farmhash.hash_bucket_strong(flat, bins, self.salt) if self.strong_hash
                      else farmhash.hash_bucket_fast(flat, bins)).reshape(strings.shape)
            if masked:
                hashed = np.where(strings == mask_text, 0, hashed + 1)
            hashed = B.convert_to_tensor(hashed.astype(np.int64))
        if self.output_mode == "int":
            return B.cast(hashed, self.dtype)
        shape = B.shape(hashed)
        if self.output_mode == "one_hot" and len(shape) and shape[-1] == 1:
            hashed = B.squeeze(hashed, -1)
        return encode_categorical(hashed, self.output_mode, self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), self.dtype)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode, "sparse": self.sparse}
