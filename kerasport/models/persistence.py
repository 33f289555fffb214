"""``kerasport.models.save_model`` / ``load_model``, as in Keras: they reach ``kerasport.saving`` (the floor
above models) on first use."""


def save_model(model, filepath, overwrite=True, include_optimizer=True, **kwargs):
    """Save a whole model (``.keras`` or ``.h5``): see ``kerasport.saving.save_model``."""
    from kerasport.saving.saving_api import save_model as _save
    _save(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer, **kwargs)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save`` (or by Keras): see ``kerasport.saving.load_model``."""
    from kerasport.saving.saving_api import load_model as _load
    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
