"""LoRA (low-rank adaptation), as Keras 3's ``Dense``, ``EinsumDense``, ``Embedding`` and ``Conv1D/2D/3D`` have it.

``enable_lora(rank)`` freezes the layer's base weight (``kernel`` or ``embeddings``) and adds two trainable
float32 matrices ``lora_<weight>_a`` (the base shape with its last dim replaced by ``rank``) and
``lora_<weight>_b`` (``(rank, last dim)``). The layer then computes with
``base + (lora_alpha / rank) * (a @ b)``. Saving writes that merged weight in the base's place (re-quantized by
``kerasport.layers.quantization.Quantizable``) and leaves the adapters out; loading sets them to zero, as Keras does.
"""
from kerasport import initializers
from kerasport.backends import B


class LoRA:
    """Mixin of the layers that take LoRA adapters; ``_lora_weight`` names the adapted weight."""

    _lora_weight = "kernel"

    def _init_lora(self, lora_rank, lora_alpha):
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        """Freeze the layer's base weight and train a low-rank update of it instead.

        Args:
            rank: the rank of the update (the inner dimension of ``a @ b``).
            lora_alpha: the update is scaled by ``lora_alpha / rank``; ``rank`` by default.
            a_initializer: initializer of ``lora_<weight>_a`` (``"he_uniform"``).
            b_initializer: initializer of ``lora_<weight>_b`` (``"zeros"``: the layer starts unchanged).
        """
        weight = self._lora_weight
        if getattr(self, f"{weight}_constraint", None):
            noun = "kernel" if weight == "kernel" else "embedding"
            raise ValueError(f"Lora is incompatible with {noun} constraints. In order to enable lora on this layer, "
                             f"remove the `{weight}_constraint` argument.")
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        if not isinstance(rank, int) or isinstance(rank, bool) or rank <= 0:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the LoRA `rank` must be a positive integer, "
                             f"received {rank!r}.")
        shape = self._lora_base_shape()
        regularizer = getattr(self, f"{weight}_regularizer", None)
        a = self.add_weight(shape[:-1] + (rank,), initializers.get(a_initializer), dtype="float32",
                            regularizer=regularizer, name=f"lora_{weight}_a")
        b = self.add_weight((rank, shape[-1]), initializers.get(b_initializer), dtype="float32",
                            regularizer=regularizer, name=f"lora_{weight}_b")
        setattr(self, f"lora_{weight}_a", a)
        setattr(self, f"lora_{weight}_b", b)
        self._freeze_weight(self.__dict__[f"_{weight}"])
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def _lora_base_shape(self):
        """The shape of the (unpacked) base weight the adapters' product adds to."""
        return tuple(self.__dict__[f"_{self._lora_weight}"].shape)

    def _lora_delta(self):
        """``(lora_alpha / lora_rank) * (a @ b)``."""
        weight = self._lora_weight
        return B.multiply(B.matmul(getattr(self, f"lora_{weight}_a"), getattr(self, f"lora_{weight}_b")),
                          self.lora_alpha / self.lora_rank)

    def _with_lora(self, base):
        """``base`` plus the LoRA update, in the compute dtype, when LoRA is enabled; else ``base`` itself."""
        if not self.lora_enabled:
            return base
        return B.cast(B.add(base, self._lora_delta()), self.compute_dtype)

    def _lora_adapters(self):
        weight = self._lora_weight
        return [getattr(self, f"lora_{weight}_a"), getattr(self, f"lora_{weight}_b")] if self.lora_enabled else []

    def _own_variables(self):
        """The layer's variables without the adapters: files hold the base weight with the update merged."""
        adapters = {id(v) for v in self._lora_adapters()}
        return [v for v in super()._own_variables() if id(v) not in adapters]

    def _reset_on_load(self):
        return self._lora_adapters()

    def save_own_variables(self, store):
        """Write the layer's variables into ``store`` (``"0"``, ``"1"``, ...), in Keras's order, with a LoRA
        update merged into the base weight; the adapters are not saved.

        Args:
            store: Dict-like object the layer's state is written into.
        """
        base = self.__dict__.get(f"_{self._lora_weight}")
        for i, v in enumerate(self._own_variables()):
            store[str(i)] = B.convert_to_numpy(self._with_lora(v) if v is base else v)

    def _lora_config(self):
        return {"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha} if self.lora_rank else {}


class LoRAKernel(LoRA):
    """A LoRA layer whose adapted weight is its ``kernel`` variable, held as ``_kernel``."""

    @property
    def kernel(self):
        """The kernel the layer computes with: its variable, plus the LoRA update when LoRA is enabled."""
        return self._with_lora(self._kernel)

    @kernel.setter
    def kernel(self, value):
        self._kernel = value
