"""``FeatureSpace``: Keras's one-stop preprocessing of structured data (a dict of columns) into one
vector per sample, or a dict of encoded features, built from kerasport's preprocessing layers."""
import numpy as np

from kerasport import layers
from kerasport.backends import B
from kerasport.core import nest as tree
from kerasport.core.naming import uniquify
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object
from kerasport.layers.preprocessing_utils import host_numpy

# Keras's module for the FeatureSpace helper classes; written in configs so Keras reads kerasport's files.
_KERAS_MODULE = "keras.src.layers.preprocessing.feature_space"
_ADAPT_BATCH_SIZE = 32  # Keras batches unbatched adapt() data by 32 (its quantile sketches depend on it)


def _serialize_helper(obj):
    """A FeatureSpace helper object (``Feature``, ``Cross``, ...) in the form Keras 3 writes it."""
    return {"module": _KERAS_MODULE, "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": type(obj).__name__}


class TFDIdentity(layers.Layer):
    """The preprocessor of ``"float"`` features: the values as they are, cast to the layer's dtype (float32)."""

    def call(self, inputs):
        return B.cast(inputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


class TFDConcat(layers.Layer):
    """Concatenates the encoded features of a FeatureSpace (``output_mode="concat"``) along ``axis``."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return B.concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape[0])
        sizes = [s[self.axis] for s in input_shape]
        shape[self.axis] = None if any(s is None for s in sizes) else sum(sizes)
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Cross:
    """A feature cross of a ``FeatureSpace``: the named features hashed together into ``crossing_dim`` bins.

    Args:
        feature_names: the names of the crossed features (two or more).
        crossing_dim: the number of hashing bins.
        output_mode: ``"one_hot"`` (multi-hot vector of ``crossing_dim`` values) or ``"int"`` (the bin).
    """

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in {"int", "one_hot"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot'}. "
                             f"Received: output_mode={output_mode}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        """The cross's name: its feature names joined by ``"_X_"``."""
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """A feature of a ``FeatureSpace``: its input dtype, its preprocessing layer and how it is encoded.

    Args:
        dtype: the input dtype (``"float32"``, ``"int32"``, ``"string"``...).
        preprocessor: the preprocessing layer applied to the feature (or its serialized config).
        output_mode: ``"float"`` (used as is), ``"int"`` (integer indices, kept as is) or
            ``"one_hot"`` (integer indices, multi-hot encoded).
    """

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in {"int", "one_hot", "float"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot', "
                             f"'float'}}. Received: output_mode={output_mode}")
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = deserialize_keras_object(preprocessor, layers.layer_classes(), printable_module_name="layer")
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "preprocessor": _serialize_layer(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _serialize_layer(layer):
    config = serialize_keras_object(layer)
    if isinstance(layer, TFDIdentity):
        config.update(module=_KERAS_MODULE, registered_name="TFDIdentity")
    return config


_HELPERS = {"Feature": Feature, "Cross": Cross}
_PRESETS = ("float", "float_normalized", "float_rescaled", "float_discretized", "integer_categorical",
            "string_categorical", "integer_hashed", "string_hashed")


class FeatureSpace(layers.Layer):
    """One-stop utility for preprocessing and encoding structured data.

    Each feature (a column of a dict of data) gets a preprocessing layer (normalization, lookup,
    hashing, discretization...); categorical features are multi-hot encoded, crosses of features
    hashed into bins, and everything concatenated into one float vector per sample (or returned as
    a dict). ``adapt()`` the FeatureSpace on training data first.

    Args:
        features: a dict mapping each feature's name to its type: a preset name (``"float"``,
            ``"float_normalized"``, ``"float_rescaled"``, ``"float_discretized"``,
            ``"integer_categorical"``, ``"string_categorical"``, ``"integer_hashed"``,
            ``"string_hashed"``) or a ``FeatureSpace.<preset>(...)`` / ``FeatureSpace.feature(...)``.
        output_mode: ``"concat"`` (one vector per sample) or ``"dict"`` (a dict of encoded features,
            crosses included).
        crosses: features to cross, e.g. ``[("f1", "f2")]`` or ``[FeatureSpace.cross(...)]``.
        crossing_dim: the number of hashing bins of crosses given as tuples (``32``).
        hashing_dim: the number of bins of ``"integer_hashed"`` / ``"string_hashed"`` presets (``32``).
        num_discretization_bins: the number of bins of ``"float_discretized"`` presets (``32``).
        name: the layer's name.

    The encoded features come in sorted order of feature names, then crosses in sorted order of
    their names (``"f1_X_f2"``). ``.preprocessors[name]`` and ``.crossers[cross_name]`` hold the layers.

    Example::

        fs = FeatureSpace({"age": "float_normalized", "city": "string_categorical"},
                          crosses=[("age", "city")])
        fs.adapt({"age": ages, "city": cities})      # dict of arrays, or an iterable of dict batches
        x = fs({"age": ages, "city": cities})        # (n, 1 + vocabulary size + 32) float32
        inputs, encoded = fs.get_inputs(), fs.get_encoded_features()   # for a Functional model
    """

    _allow_non_tensor_positional_args = True  # as Keras: a data layer takes lists and flags

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        """A cross of ``feature_names`` hashed into ``crossing_dim`` bins (``output_mode`` ``"one_hot"``/``"int"``)."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        """A feature of input ``dtype`` preprocessed by the layer ``preprocessor`` (see ``Feature``)."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        """Float values used as they are."""
        name = name or uniquify("float")
        return Feature("float32", TFDIdentity(dtype="float32", name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        """Float values rescaled to ``x * scale + offset`` (a ``Rescaling`` layer)."""
        name = name or uniquify("float_rescaled")
        return Feature("float32", layers.Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor"),
                       "float")

    @classmethod
    def float_normalized(cls, name=None):
        """Float values standardized by their adapted mean and variance (a ``Normalization`` layer)."""
        name = name or uniquify("float_normalized")
        return Feature("float32", layers.Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        """Float values put into ``num_bins`` bins at adapted quantiles (or given ``bin_boundaries``, with
        ``num_bins=None``), by a ``Discretization`` layer; ``output_mode`` ``"one_hot"`` or ``"int"``."""
        name = name or uniquify("float_discretized")
        return Feature("float32", layers.Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                                                        name=f"{name}_preprocessor"), output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        """Integer values indexed by an adapted vocabulary (an ``IntegerLookup`` layer)."""
        name = name or uniquify("integer_categorical")
        return Feature("int32", layers.IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                                     num_oov_indices=num_oov_indices), output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        """String values indexed by an adapted vocabulary (a ``StringLookup`` layer)."""
        name = name or uniquify("string_categorical")
        return Feature("string", layers.StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                                     num_oov_indices=num_oov_indices), output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """String values hashed into ``num_bins`` bins (a ``Hashing`` layer)."""
        name = name or uniquify("string_hashed")
        return Feature("string", layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """Integer values hashed into ``num_bins`` bins (a ``Hashing`` layer)."""
        name = name or uniquify("integer_hashed")
        return Feature("int32", layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32, hashing_dim=32,
                 num_discretization_bins=32, name=None):
        super().__init__(name=name)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        if output_mode not in {"dict", "concat"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                             f"Received: output_mode={output_mode}")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {key: self._standardize_feature(key, value) for key, value in features.items()}
        self.crosses = [self._standardize_cross(cross) for cross in crosses or ()]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        self.inputs = {key: layers.Input(shape=(1,), dtype=f.dtype, name=key) for key, f in self.features.items()}
        self.preprocessors = {key: f.preprocessor for key, f in self.features.items()}
        self.crossers = {cross.name: layers.HashedCrossing(cross.crossing_dim, name=cross.name)
                         for cross in self.crosses}
        self.one_hot_encoders = {}
        self.concat = None
        self.encoded_features = None
        self._is_adapted = False
        self._sublayers_built = False

    def _standardize_feature(self, key, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return deserialize_keras_object(feature, _HELPERS, printable_module_name="FeatureSpace feature")
        if feature == "float_discretized":
            return self.float_discretized(num_bins=self.num_discretization_bins, name=key)
        if feature in ("integer_hashed", "string_hashed"):
            return getattr(self, feature)(self.hashing_dim, name=key)
        if isinstance(feature, str) and feature in _PRESETS:
            return getattr(self, feature)(name=key)
        raise ValueError(f"Invalid feature type: {feature} (feature {key!r}). Expected one of {list(_PRESETS)} or "
                         f"a `FeatureSpace.feature(...)`.")

    def _standardize_cross(self, cross):
        if isinstance(cross, dict):
            cross = deserialize_keras_object(cross, _HELPERS, printable_module_name="FeatureSpace cross")
        if isinstance(cross, Cross):
            return cross
        if not self.crossing_dim:
            raise ValueError("When specifying `crosses`, the argument `crossing_dim` (dimensionality of the "
                             "crossing space) should be specified as well.")
        unknown = [key for key in cross if key not in self.features]
        if unknown:
            raise ValueError("All features referenced in the `crosses` argument should be present in the "
                             f"`features` dict. Received unknown features: {cross} ({unknown} not in "
                             f"{list(self.features)})")
        return Cross(cross, crossing_dim=self.crossing_dim)

    # ------------------------------------------------------------------ adapt
    def _list_adaptable_preprocessors(self):
        """The features whose preprocessor learns state in ``adapt()`` (not given its statistics)."""
        names = []
        for key, preprocessor in self.preprocessors.items():
            if isinstance(preprocessor, layers.Normalization) and preprocessor.input_mean is not None:
                continue
            if isinstance(preprocessor, layers.TextVectorization) and preprocessor._has_input_vocabulary:
                continue
            if isinstance(preprocessor, layers.Discretization) and preprocessor.num_bins is None:
                continue
            if hasattr(preprocessor, "adapt"):
                names.append(key)
        return names

    def adapt(self, dataset):
        """Learn the state of every preprocessor (vocabularies, means and variances, bin boundaries).

        Args:
            dataset: a dict of arrays or lists (one entry per feature, one value per sample), or an
                iterable of such dicts (batches, or single samples, which are batched by 32), such
                as a ``tf.data.Dataset`` of dicts on the TensorFlow backend. No labels.
        """
        columns = self._adapt_columns(dataset)
        for key in self._list_adaptable_preprocessors():
            self.preprocessors[key].adapt(iter(columns[key]))
        self._is_adapted = True
        self.get_encoded_features()  # finishes building the sublayers
        self.built = True
        self._sublayers_built = True

    def _adapt_columns(self, dataset):
        """``{feature: [batch, ...]}`` of ``dataset``, each batch an array of shape ``(batch, 1, ...)``."""
        if isinstance(dataset, dict):
            self._check_keys(dataset, "adapt()")
            arrays = {key: host_numpy(value) for key, value in dataset.items()}
            lengths = {key: len(value) for key, value in arrays.items()}
            n = lengths[next(iter(self.features))]
            if any(length != n for length in lengths.values()):
                raise ValueError(f"`adapt()` needs one value per sample in every column; the columns have "
                                 f"different lengths: {lengths}.")
            dataset = [{key: value[i:i + _ADAPT_BATCH_SIZE] for key, value in arrays.items()}
                       for i in range(0, n, _ADAPT_BATCH_SIZE)]
        elif isinstance(dataset, (str, bytes)) or not hasattr(dataset, "__iter__"):
            raise ValueError("`adapt()` can only be called on a dict of arrays/lists, an iterable of such dicts "
                             f"or a tf.data.Dataset of dicts. Received instead: {dataset} (of type "
                             f"{type(dataset)})")
        adaptable = self._list_adaptable_preprocessors()
        columns, pending = {key: [] for key in adaptable}, {key: [] for key in adaptable}
        for element in dataset:
            if not isinstance(element, dict):
                raise ValueError("`adapt()` expects dicts of feature values (no labels); received an element of "
                                 f"type {type(element).__name__}: {element!r:.200}")
            self._check_keys(element, "adapt()")
            for key in adaptable:
                value = np.asarray(host_numpy(element[key]))
                if value.ndim == 0:
                    pending[key].append(value)
                    if len(pending[key]) == _ADAPT_BATCH_SIZE:
                        columns[key].append(np.stack(pending[key])[:, None])
                        pending[key] = []
                else:
                    columns[key].append(value[:, None] if value.ndim == 1 else value)
        for key in adaptable:
            if pending[key]:
                columns[key].append(np.stack(pending[key])[:, None])
            if not columns[key]:
                raise ValueError(f"`adapt()` received no data for feature {key!r}.")
        return columns

    def _check_keys(self, data, where):
        missing = [key for key in self.features if key not in data]
        if missing:
            raise KeyError(f"FeatureSpace {where}: missing feature(s) {missing}; the data has keys {list(data)}, "
                           f"the FeatureSpace expects {list(self.features)}.")

    # ------------------------------------------------------------------ symbolic graph
    def get_inputs(self):
        """The dict of ``Input`` tensors, one ``(None, 1)`` input per feature, for a Functional model."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The encoded features of ``get_inputs()`` (a symbolic vector, or a dict in ``"dict"`` mode)."""
        self._check_if_adapted()
        if self.encoded_features is None:
            preprocessed = self._preprocess_features(self.inputs)
            self.encoded_features = self._merge_features(preprocessed, self._cross_features(preprocessed))
        return self.encoded_features

    def _preprocess_features(self, features):
        return {key: self.preprocessors[key](features[key]) for key in self.features}

    def _cross_features(self, features):
        return {cross.name: self.crossers[cross.name]([features[key] for key in cross.feature_names])
                for cross in self.crosses}

    def _encoded_names(self):
        return sorted(self.features) + sorted(self.crosses_by_name)

    def _merge_features(self, preprocessed, crossed):
        """Encode (multi-hot) and concatenate or collect the features; builds the encoders on first use."""
        if not self._sublayers_built and self.encoded_features is None:
            self._build_encoders({**preprocessed, **crossed})
        outputs = {}
        for key in self._encoded_names():
            feature = preprocessed[key] if key in preprocessed else crossed[key]
            encoder = self.one_hot_encoders.get(key)
            outputs[key] = encoder(feature) if encoder is not None else feature
        if self.output_mode == "dict":
            return outputs
        return self.concat(list(outputs.values()))

    def _build_encoders(self, features):
        for key in self._encoded_names():
            spec = self.features[key] if key in self.features else self.crosses_by_name[key]
            dtype = str(tree.flatten(features[key])[0].dtype)
            if spec.output_mode == "one_hot":
                if not dtype.startswith("int"):
                    raise ValueError(f"Feature '{key}' has `output_mode='one_hot'`. Thus its preprocessor should "
                                     f"return an integer dtype. Instead it returns a {dtype} dtype.")
                preprocessor = self.preprocessors.get(key) or self.crossers.get(key)
                self.one_hot_encoders[key] = layers.CategoryEncoding(
                    num_tokens=_cardinality(key, preprocessor), output_mode="multi_hot")
                dtype = "float32"
            if self.output_mode == "concat" and (dtype.startswith("int") or dtype == "string"):
                raise ValueError(f"Cannot concatenate features because feature '{key}' has not been encoded (it "
                                 f"has dtype {dtype}). Consider using `output_mode='dict'`.")
        if self.output_mode == "concat":
            self.concat = TFDConcat(axis=-1)

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._list_adaptable_preprocessors():
                raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace before you can start "
                                 "using it.")
            self._is_adapted = True

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    # ------------------------------------------------------------------ eager call
    def __call__(self, data):
        """Encode ``data``, a dict of arrays, lists or tensors (a batch, or a single sample of scalars).

        Returns a float32 tensor of shape ``(batch, dim)`` (``(dim,)`` for a single sample) in
        ``"concat"`` mode, or a dict of tensors in ``"dict"`` mode.
        """
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(f"A FeatureSpace can only be called with a dict. Received: data={data!r:.200} (of "
                             f"type {type(data)})")
        self._check_keys(data, "call")
        unknown = [key for key in data if key not in self.features]
        if unknown:
            raise KeyError(f"FeatureSpace call: unknown feature(s) {unknown}; the FeatureSpace expects "
                           f"{list(self.features)}.")
        columns, rebatched = {}, False
        for key, value in data.items():
            value = host_numpy(value) if not B.is_tensor(value) else value
            rank = len(B.shape(value)) if B.is_tensor(value) else np.ndim(value)
            if rank == 0:
                rebatched = True
            if rank <= 1:
                value = B.reshape(value, (-1, 1)) if B.is_tensor(value) else np.reshape(value, (-1, 1))
            columns[key] = value
        preprocessed = self._preprocess_features(columns)
        merged = self._merge_features(preprocessed, self._cross_features(preprocessed))
        if not rebatched:
            return merged
        if self.output_mode == "concat":
            return B.squeeze(merged, 0)
        return {key: B.squeeze(x, 0) if len(B.shape(x)) == 2 and B.shape(x)[0] == 1 else x
                for key, x in merged.items()}

    # ------------------------------------------------------------------ serialization
    def get_config(self):
        return {"features": {key: _serialize_helper(f) for key, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [_serialize_helper(cross) for cross in self.crosses],
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {key: f.preprocessor.get_build_config() or {} for key, f in self.features.items()}

    def build_from_config(self, config):
        for key, build_config in config.items():
            preprocessor = self.features[key].preprocessor
            if not preprocessor.built:
                preprocessor.build_from_config(build_config)
        self._is_adapted = True

    def save(self, filepath):
        """Save the FeatureSpace, with its adapted state, as a ``.keras`` file.

        Reload it with ``kerasport.saving.load_model(filepath)`` (or ``kerasport.models.load_model``).
        """
        from kerasport.saving import keras_v3
        if not str(filepath).endswith(".keras"):
            raise ValueError(f"Invalid `filepath` argument: expected a `.keras` extension. Received: "
                             f"filepath={filepath}")
        keras_v3.save_model(self, filepath, include_optimizer=False)


def _cardinality(key, preprocessor):
    """The number of values of an integer-encoded feature, for its multi-hot encoder."""
    if isinstance(preprocessor, (layers.IntegerLookup, layers.StringLookup)):
        return preprocessor.vocabulary_size()
    if isinstance(preprocessor, layers.CategoryEncoding):
        return preprocessor.num_tokens
    if isinstance(preprocessor, layers.Discretization):
        return preprocessor.num_bins if preprocessor.num_bins is not None else len(preprocessor.bin_boundaries) + 1
    if isinstance(preprocessor, (layers.HashedCrossing, layers.Hashing)):
        return preprocessor.num_bins
    raise ValueError(f"Feature '{key}' has `output_mode='one_hot'`. However it isn't a standard feature and the "
                     "dimensionality of its output space is not known, thus it cannot be one-hot encoded. Try "
                     "using `output_mode='int'`.")
