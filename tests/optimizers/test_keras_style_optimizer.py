"""An optimizer written as Keras 3's are: ``build`` adds slots with ``add_variable_from_reference`` /
``add_variable``, ``update_step(gradient, variable, learning_rate)`` updates one variable with ``assign`` /
``assign_add``, finding its slots with ``_get_variable_index``. It trains as under Keras, on both backends."""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program


def momentum_program(keras, sync):
    ops = keras.ops

    class MomentumSGD(keras.optimizers.Optimizer):
        def __init__(self, learning_rate=0.01, momentum=0.9, name="momentum_sgd", **kwargs):
            super().__init__(learning_rate=learning_rate, name=name, **kwargs)
            self.momentum = momentum

        def build(self, variables):
            if self.built:
                return
            super().build(variables)
            self.momentums = [self.add_variable_from_reference(v, name="momentum") for v in variables]
            self.scale = self.add_variable(shape=(), initializer="ones", name="scale")

        def update_step(self, gradient, variable, learning_rate):
            lr = ops.cast(learning_rate, variable.dtype)
            m = self.momentums[self._get_variable_index(variable)]
            self.assign(m, ops.subtract(ops.multiply(m, self.momentum), ops.multiply(gradient, lr)))
            self.assign_add(variable, ops.multiply(m, self.scale))
            local_step = ops.cast(self.iterations + 1, variable.dtype)
            self.assign_sub(variable, ops.multiply(variable, 1e-3 / local_step))

    rng = np.random.RandomState(0)
    x, y = rng.rand(64, 4).astype("float32"), rng.rand(64, 1).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)])
    sync(model)
    model.compile(optimizer=MomentumSGD(0.05, clipnorm=1.0), loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    return {"loss": history.history["loss"], "weights": model.get_weights(),
            "optimizer": [np.asarray(v) for v in model.optimizer.variables],
            "paths": [v.path for v in model.optimizer.variables], "evaluate": model.evaluate(x, y, verbose=0)}


def test_a_keras_style_optimizer_trains_as_under_keras():
    check_program(momentum_program)


def test_an_optimizer_without_an_update_rule_says_which_methods_to_write():
    class NoRule(kerasport.optimizers.Optimizer):
        pass

    variable = kerasport.Variable(np.ones(2, "float32"))
    with pytest.raises(NotImplementedError, match=r"NoRule must implement `update_step\(gradient, variable"):
        NoRule(0.1).apply([kerasport.ops.ones((2,))], [variable])
    np.testing.assert_array_equal(kerasport.ops.convert_to_numpy(variable), [1.0, 1.0])
