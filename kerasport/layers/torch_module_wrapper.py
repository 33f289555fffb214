"""``TorchModuleWrapper``: a ``torch.nn.Module`` as a layer, its parameters trained and saved with the model."""
import numpy as np

from kerasport.backends import B
from kerasport.core.serialization import in_safe_mode
from kerasport.layers.layer import KerasTensor, Layer
from kerasport.layers.symbolic import spec_by_running


class TorchModuleWrapper(Layer):
    """Torch module wrapper layer: any ``torch.nn.Module`` as a Keras layer, its parameters tracked.

    Only on the torch backend. The module's parameters become the layer's variables (kerasport's variables are
    ``torch.nn.Parameter``s, put back into the module, which keeps computing with them), so that ``fit`` trains
    them and the optimizer, ``get_weights`` and saving see them. Its persistent buffers (a ``BatchNorm``'s running
    statistics) become non-trainable variables, so that saving keeps them too. As in Keras on torch, a
    ``torch.nn.Module`` assigned to an attribute of a layer is wrapped in this layer.

    Args:
        module: a ``torch.nn.Module``. A lazy module must be initialized (called once) first.
        name: the layer's name.
        output_shape: the output shape, for shape inference without running the module.

    Example (``nn`` is ``torch.nn``, ``F`` is ``torch.nn.functional``, imported by the user's program):

    ```python
    class Classifier(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.conv = keras.layers.TorchModuleWrapper(nn.Conv2d(1, 32, (3, 3)))
            self.pool = nn.MaxPool2d((2, 2))   # wrapped when assigned
            self.fc = keras.layers.TorchModuleWrapper(nn.Linear(32 * 13 * 13, 10))

        def call(self, inputs):
            x = self.pool(F.relu(self.conv(inputs)))
            return F.softmax(self.fc(x.flatten(1)), dim=1)
    ```
    """

    _wraps_a_module = True   # its own ``module`` attribute is not wrapped again (Layer.__setattr__)

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        if not B.is_module(module):
            raise ValueError(f"TorchModuleWrapper wraps a torch.nn.Module and runs on the torch backend only "
                             f"(KERASPORT_BACKEND=torch; this one is {B.NAME!r}). Received module={module!r}.")
        if getattr(module, "has_uninitialized_params", lambda: False)():
            raise ValueError("LazyModules are not supported unless they are already initialized. "
                             f"Received uninitialized LazyModule: module={module}")
        super().__init__(name=name, **kwargs)
        self.module = module.to(B.device_name())
        self._given_output_shape = output_shape
        self._track_module_state()
        self.built = True

    def _track_module_state(self):
        """Replace each parameter and persistent buffer of the module (shared ones once) by a variable."""
        made = {}
        for prefix, sub in self.module.named_modules(remove_duplicate=False):
            for kind, store in (("parameter", sub._parameters), ("buffer", sub._buffers)):
                for attr, tensor in list(store.items()):
                    if tensor is None or kind == "buffer" and attr in sub._non_persistent_buffers_set:
                        continue
                    if id(tensor) not in made:
                        made[id(tensor)] = variable = self.add_weight(
                            tuple(tensor.shape), lambda shape, dtype, t=tensor: t.detach(),
                            dtype=B.standardize_dtype(tensor.dtype), name=f"{prefix}.{attr}" if prefix else attr,
                            trainable=kind == "parameter" and tensor.requires_grad, autocast=False)
                        variable._torch_buffer = kind == "buffer"  # a buffer to torch, not a parameter of a layer
                    store[attr] = made[id(tensor)]

    def save_own_variables(self, store):
        """The module's ``state_dict()`` (parameters and persistent buffers, by name), as Keras's wrapper saves it."""
        for key, value in self.module.state_dict().items():
            store[key] = B.convert_to_numpy(value)

    def load_own_variables(self, store):
        """Load a ``state_dict`` saved by ``save_own_variables`` (kerasport's or Keras's), checked whole first."""
        state = {k.decode() if isinstance(k, bytes) else k: store[k] for k in store.keys()}
        own = self.module.state_dict()
        if sorted(state) != sorted(own) or any(tuple(own[k].shape) != tuple(np.shape(v)) for k, v in state.items()):
            raise ValueError(f"Layer {self.name!r} (TorchModuleWrapper) expected the module's state "
                             f"{ {k: tuple(v.shape) for k, v in own.items()} }, received "
                             f"{ {k: tuple(np.shape(v)) for k, v in state.items()} }.")
        self.module.load_state_dict({k: B.convert_to_tensor(np.asarray(v)) for k, v in state.items()})

    def call(self, *args, training=None, **kwargs):
        self.module.train(training is not False)
        return self.module(*args, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        if self._given_output_shape is None:
            return spec_by_running(self, args, kwargs)
        return KerasTensor(self._given_output_shape, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "module": B.module_to_text(self.module),
                "output_shape": self._given_output_shape}

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuild the layer; the pickled module loads only when ``safe_mode=False`` is in effect."""
        config = dict(config)
        if "module" in config:
            if in_safe_mode() if safe_mode is None else safe_mode:
                raise ValueError(
                    "Requested the deserialization of a `torch.nn.Module` object via `torch.load()`. This carries a "
                    "potential risk of arbitrary code execution and thus it is disallowed by default. If you trust "
                    "the source of the artifact, you can override this error by passing `safe_mode=False` to the "
                    "loading function, or calling `keras.config.enable_unsafe_deserialization()`.")
            config["module"] = B.module_from_text(config["module"])
        return cls(**config)
