"""``OptimizerBase``: the class every kerasport optimizer derives from on torch (a plain base, as Keras 3's torch
optimizers are no ``torch.optim.Optimizer``)."""


class OptimizerBase:
    """The framework's side of an optimizer: a plain base on torch."""

    __slots__ = ()
