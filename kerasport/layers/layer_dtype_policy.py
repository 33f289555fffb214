"""What a layer does with its dtype policy: the ``dtype_policy`` it computes and keeps its variables under (a
``DTypePolicyMap`` gives the entry of the layer's ``path``), the dtypes that policy names, and ``quantize``."""
from kerasport import config, dtype_policies
from kerasport.config import policy_property


class LayerDTypePolicy:
    """``Layer``'s dtype-policy properties; ``_apply_policy`` caches what each call reads of the policy."""

    _statistics_in_float32 = False  # normalization layers: float32 inputs and variables under a mixed policy

    @property
    def dtype_policy(self):
        """The layer's ``DTypePolicy``."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        policy = config.dtype_policy() if value is None else dtype_policies.get(value)
        current = self.__dict__.get("_dtype_policy")
        if isinstance(current, dtype_policies.DTypePolicyMap) and self.path:  # as Keras: the map's entry of the path
            current.pop(self.path, None)
            current[self.path] = policy
        else:
            self._dtype_policy = policy
        self._apply_policy()

    def _apply_policy(self):
        """Cache what calls read of the layer's policy (of a ``DTypePolicyMap``, the entry of ``path``)."""
        policy = self._policy = dtype_policies.for_path(self._dtype_policy, self.path)
        self._compute_dtype = policy.compute_dtype
        self._autocast_variables = policy.is_mixed and not self._statistics_in_float32
        self._input_dtype = policy.variable_dtype if self._statistics_in_float32 else policy.compute_dtype
        if policy.quantization_mode is not None and self.__dict__.get("built") and \
                not self.__dict__.get("_is_quantized"):
            self.quantize(policy.quantization_mode)  # Keras: a quantized policy on a built layer quantizes it

    dtype = policy_property("_policy", "variable_dtype")
    variable_dtype = policy_property("_policy", "variable_dtype")
    quantization_mode = policy_property("_policy", "quantization_mode")

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations (``float16`` under ``"mixed_float16"``)."""
        return self._compute_dtype

    @property
    def input_dtype(self):
        """The dtype the layer's inputs are converted to (its ``compute_dtype``)."""
        return self._compute_dtype

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize the layer's weights (``"int8"``, ``"int4"``, ``"float8"``); only ``Dense``,
        ``EinsumDense`` and ``Embedding`` implement it, as in Keras: this raises ``NotImplementedError``.

        Args:
            mode: the quantization mode; optional when ``config`` is given.
            type_check: refuse subclasses of the quantizable layers (their ``call`` may differ).
            config: a ``kerasport.quantizers.QuantizationConfig``.
        """
        from kerasport.layers.quantization import check_quantize_args
        from kerasport.quantizers.quantization_config import validate_and_resolve_config
        check_quantize_args(self, validate_and_resolve_config(mode, config).mode)
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `quantize` method implemented.")
