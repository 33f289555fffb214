"""``Discretization``: numbers into bins, the boundaries given or adapted from quantiles of data."""
import numpy as np

from kerasport.backends import B
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.layers.preprocessing_utils import (adapt_batches, batch_features, check_not_sparse, check_output_mode,
                                                  encode_categorical, host_numpy, search_sorted)


def _summarize(values, epsilon):
    """Keras's quantile summary of one batch: every ``step``-th sorted value, each weighing ``step``."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(np.size(values) / (1.0 / epsilon), 1)
    bounds = values[int(step - 1)::int(step)]
    return np.stack([bounds, np.ones_like(bounds) * step])


def _compress(summary, epsilon):
    """Re-bin a summary at the ``epsilon`` quantiles by interpolating its cumulative weights."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    cum_pct = cum / cum[-1]
    new_bins = np.interp(percents, cum_pct, summary[0])
    cum = np.interp(percents, cum_pct, cum)
    return np.stack((new_bins, cum - np.concatenate(([0], cum[:-1])))).astype("float32")


class Discretization(Layer):
    """Buckets numbers by boundaries: bin ``i`` holds ``bin_boundaries[i-1] <= x < bin_boundaries[i]``.

    Args:
        bin_boundaries: sorted boundaries (``len + 1`` bins); or give ``num_bins`` and ``adapt()``.
        num_bins: the number of bins to learn by ``adapt()`` (approximate quantiles, as Keras).
        epsilon: the quantile error tolerance of ``adapt()`` (``0.01``).
        output_mode: ``"int"`` (int32 bin ids), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: only ``False``.
        dtype: the dtype of the encoded outputs (``float32``).

    Example::

        Discretization(bin_boundaries=[0.0, 1.0])([[-1.5, 0.5, 2.0]])   # [[0, 1, 2]]
    """

    _allow_non_tensor_positional_args = True  # as Keras: a data layer takes lists and flags

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        label = f"Discretization {self.name!r}"
        check_not_sparse(label, sparse)
        self.output_mode = check_output_mode(label, output_mode, ("int", "one_hot", "multi_hot", "count"))
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"{label}: `num_bins` must be >= 0, received num_bins={num_bins}.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"{label}: give `bin_boundaries` or `num_bins`, not both; received "
                             f"bin_boundaries={bin_boundaries} and num_bins={num_bins}.")
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{label}: give `bin_boundaries` or `num_bins` (then call adapt()).")
        self.num_bins, self.epsilon, self.sparse = num_bins, epsilon, sparse
        self.bin_boundaries = bin_boundaries
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")
        self.built = True

    @property
    def bin_boundaries(self):
        return self._bin_boundaries

    @bin_boundaries.setter
    def bin_boundaries(self, value):
        self._bin_boundaries = None if value is None else list(value)
        if value is not None:
            self._boundary_tensor = B.convert_to_tensor(np.asarray(value, np.float32).reshape(-1))

    @property
    def output_dtype(self):
        return "int32" if self.output_mode == "int" else self.compute_dtype

    def adapt(self, data, steps=None):
        """Learn ``num_bins - 1`` boundaries at approximate quantiles of ``data`` (an array/tensor or an
        iterable of batches), by Keras's summarize-merge-compress algorithm."""
        if self.num_bins is None:
            raise ValueError(f"Discretization {self.name!r}: adapt() needs `num_bins`; the layer was given "
                             f"bin_boundaries.")
        self.reset_state()
        batches = adapt_batches(data, steps) if not isinstance(data, (list, tuple)) else (b for b in data)
        for batch in [data] if batches is None else batches:
            self.update_state(batch_features(batch))
        self.finalize_state()

    def update_state(self, data):
        summary = _summarize(np.asarray(host_numpy(data)).astype("float32"), self.epsilon)
        merged = np.concatenate((summary, self.summary), axis=1)
        self.summary = _compress(np.take(merged, np.argsort(merged[0]), axis=1), self.epsilon)

    def finalize_state(self):
        if self.num_bins is not None:
            self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        if self.num_bins is not None:
            self.summary = np.array([[], []], dtype="float32")

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(f"Discretization {self.name!r}: no bin boundaries; pass `bin_boundaries` or call "
                             f"adapt() first.")
        n = len(self.bin_boundaries)
        x = B.cast(inputs, "float32")
        indices = search_sorted(self._boundary_tensor, x, n, right=True) if n else B.zeros_like(x, dtype="int64")
        if self.output_mode == "int":
            return B.cast(indices, "int32")
        return encode_categorical(indices, self.output_mode, n + 1, self.output_dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return tuple(input_shape[:-1]) + (depth,)
            return tuple(input_shape) + (depth,)
        return tuple(input_shape[:-1]) + (depth,) if len(input_shape) >= 1 else (depth,)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), self.output_dtype)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name,
                "dtype": super().get_config()["dtype"]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)
