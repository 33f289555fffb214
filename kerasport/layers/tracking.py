"""Lists and dicts of sublayers held as a layer's attributes, kept in their owner's tracking as they grow (Keras's
``TrackedList`` / ``TrackedDict``): ``self.blocks = []`` then ``self.blocks.append(Dense(4))``, or
``self.embeddings = {}`` then ``self.embeddings["age"] = Embedding(...)``, makes the layer a sublayer."""


def list_of_layers(name, value, kind):
    """Whether ``value``, set as attribute ``name``, is a list or tuple whose ``kind`` items are sublayers.

    As Keras's ``TrackedList``, a public list counts when it holds a layer among other things (``[keras.Input(...),
    Dense(4)]``), or nothing yet (layers may be appended later); a private one only when it holds layers alone.
    """
    if not isinstance(value, (list, tuple)):
        return False
    if name.startswith("_"):
        return bool(value) and all(isinstance(v, kind) for v in value)
    return not value or any(isinstance(v, kind) for v in value)


def track_layers(owner, items, kind):
    """Add each ``kind`` (``Layer``) among ``items`` to ``owner``'s sublayers (``owner._layers``), once; ``items``."""
    layers = owner.__dict__.setdefault("_layers", [])
    for item in items:
        if isinstance(item, kind) and item not in layers:
            layers.append(item)
    return items


class TrackedLayers(list):
    """A ``list`` attribute of ``owner`` whose layers, also those put into it later, are ``owner``'s sublayers."""

    def __init__(self, owner, items, kind):
        self._owner, self._kind = owner, kind
        super().__init__(track_layers(owner, list(items), kind))

    def _track(self, items):
        return track_layers(self._owner, items, self._kind)

    def append(self, item):
        super().append(self._track([item])[0])

    def extend(self, items):
        super().extend(self._track(list(items)))

    def insert(self, index, item):
        super().insert(index, self._track([item])[0])

    def __setitem__(self, index, value):
        super().__setitem__(index, self._track(list(value)) if isinstance(index, slice) else self._track([value])[0])

    def __iadd__(self, items):
        self.extend(items)
        return self


class TrackedLayerDict(dict):
    """A ``dict`` attribute of ``owner`` whose layers, also those put into it later, are ``owner``'s sublayers."""

    def __init__(self, owner, items, kind):
        self._owner, self._kind = owner, kind
        super().__init__(items)
        track_layers(owner, list(self.values()), kind)

    def __setitem__(self, key, value):
        super().__setitem__(key, track_layers(self._owner, [value], self._kind)[0])

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]
