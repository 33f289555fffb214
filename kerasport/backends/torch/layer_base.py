"""``LayerBase``: the class every kerasport layer derives from on torch (``kerasport.layers.Layer(B.LayerBase)``):
a ``torch.nn.Module``, as Keras 3's layers are on its torch backend (``TorchLayer``)."""
import torch


class LayerBase(torch.nn.Module):
    """The framework's side of a layer on torch: a ``torch.nn.Module``, as in Keras 3 on torch.

    What torch sees is what Keras shows: a layer's variables (``torch.nn.Parameter``s; the non-trainable ones do
    not require gradients) are the parameters of its ``torch_params``, a ``torch.nn.ParameterDict`` submodule
    named ``_torch_params`` keyed by variable path in sorted order; a sublayer held as an attribute is the
    submodule of that name (a ``Sequential``'s graph is its ``_functional`` submodule, as in Keras). So
    ``named_parameters()`` yields each variable once, under the first submodule that holds it
    (``"_torch_params.dense/kernel"``), ``state_dict()`` holds it under every one, and ``parameters()``,
    ``to()``, ``train()``, ``eval()``, ``zero_grad()``, ``load_state_dict()`` and
    ``torch.nn.parallel.DistributedDataParallel`` work on a model as on any module.

    Layers keep their own attribute storage: a sublayer stays in the instance ``__dict__`` (plain lookups in a
    step) and is also listed in ``_modules``; ``torch_params`` follows the variables when torch asks for the
    module tree (``named_modules``, so ``named_parameters``; ``state_dict``, ``load_state_dict``, ``_apply``).
    ``__call__`` is the layer's own: torch's forward hooks do not run; ``forward(*args)`` calls the layer.
    """

    _functional_submodule = False  # Sequential: Keras's ``_functional`` submodule holds the variables too

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self.__dict__["_modules"] = {}  # for the sublayers a subclass assigns before calling ``Layer.__init__``
        return self

    def __init__(self):
        modules = self._modules
        torch.nn.Module.__init__(self)
        self._modules.update(modules)

    def __getattr__(self, name):
        try:
            return torch.nn.Module.__getattr__(self, name)
        except AttributeError:
            attribute = getattr(type(self), name, None)
            if isinstance(attribute, property):  # a property that raised: its own error, not torch's
                attribute.__get__(self, type(self))
            raise

    def _note_submodule(self, name, module):
        """Attribute ``name`` now holds ``module`` (a sublayer, a wrapper's module), or no module when None."""
        if module is not None and "." not in name:
            self._modules[name] = module
        else:
            self._modules.pop(name, None)

    def __delattr__(self, name):
        self.__dict__.get("_modules", {}).pop(name, None)
        if name in self.__dict__:
            object.__delattr__(self, name)
        else:
            torch.nn.Module.__delattr__(self, name)

    def forward(self, *args, **kwargs):
        """Call the layer (``layer(*args, **kwargs)``), as Keras's ``forward`` does."""
        return self(*args, **kwargs)

    # ------------------------------------------------------------------ the variables as torch parameters
    @property
    def torch_params(self):
        """The layer's variables, by path, as a ``torch.nn.ParameterDict`` (Keras's ``torch_params``)."""
        self._sync_torch_params()
        params = self._modules.get("_torch_params")
        return torch.nn.ParameterDict() if params is None else params  # an unbuilt layer's: empty, as Keras

    def _sync_torch_params(self):
        """Make ``_torch_params`` hold this layer's variables (and ``_functional``'s, for a ``Sequential``)."""
        if self.__dict__.get("_wraps_a_module"):
            return  # a TorchModuleWrapper's module is its submodule, with its own parameters and buffers
        variables = self.variables
        if not variables and not self.built and "_torch_params" not in self._modules:
            return
        items = {}
        for v in variables:
            if getattr(v, "_torch_buffer", False):
                continue  # a wrapped module's buffer: a buffer of that module, not a parameter here
            key = (v.path or "variable").replace(".", "_")
            while key in items:  # two variables of one path (Keras would keep one of them)
                key += "_"
            items[key] = v
        items = sorted(items.items())
        if self._functional_submodule and self.built:
            inner = self._modules.get("_functional")
            if inner is None:
                inner = self._modules["_functional"] = torch.nn.Module()
                self._modules.pop("_torch_params", None)  # Keras: ``_functional`` comes first
            _fill(inner, items)
        elif self._functional_submodule:
            self._modules.pop("_functional", None)
        _fill(self, items)

    # torch walks the module tree through these: each syncs ``_torch_params`` before torch reads ``_modules``
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        self._sync_torch_params()
        return torch.nn.Module.named_modules(self, memo, prefix, remove_duplicate)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        self._sync_torch_params()
        torch.nn.Module._save_to_state_dict(self, destination, prefix, keep_vars)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        self._sync_torch_params()
        torch.nn.Module._load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                                              unexpected_keys, error_msgs)

    def _apply(self, fn, recurse=True):
        self._sync_torch_params()
        return torch.nn.Module._apply(self, fn, recurse)


def _fill(owner, items):
    """Set ``owner``'s ``_torch_params`` submodule to a ``ParameterDict`` of ``items`` unless it holds them already."""
    current = owner._modules.get("_torch_params")
    if current is not None and [(k, id(v)) for k, v in current._parameters.items()] == \
            [(k, id(v)) for k, v in items]:
        return
    params = torch.nn.ParameterDict()
    for key, value in items:
        params._keys[key] = None  # as ``ParameterDict.__setitem__``, without its per-key attribute checks
        params._parameters[key] = value
    owner._modules["_torch_params"] = params
