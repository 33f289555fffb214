"""keras.io example "Neural Eikonal Solver" (examples/keras_recipes/eikonal.py).

The example's ``build_model``: per-coordinate ``Input``s concatenated and rescaled, five ``Dense`` layers with a
``tf.math.exp(-(z**2))`` activation, an inner functional model called on the source/receiver pair and on its
permutation (reciprocity), ``Lambda`` velocity scaling, ``Subtract`` / ``tf.norm`` distance factor, and the eikonal
residual built from ``tf.gradients`` of the travel time with respect to the receiver ``Input``s inside a ``Lambda``;
the eikonal model is trained with ``mae`` on dict inputs and the travel-time model predicts. It runs under
``KERASPORT_BACKEND=tensorflow`` only (``tf.gradients`` runs only in a TensorFlow graph), and Keras runs it traced
(``keras_traced``: eagerly, ``tf.gradients`` fails in Keras too). Shrunk: 64 random collocation points and uniform
random velocities instead of the 40,000 points in the ``RandomGaussians`` velocity model, batches of 16, 3 epochs
without shuffling, 20 test pairs instead of the grid; no plots, no finite-difference reference. What it fixed:
kerasport inferred a ``Lambda``'s output shape only by running it eagerly, so ``tf.gradients`` raised when the
model was built; it now tries once more in a TensorFlow graph, as Keras infers shapes.
"""
import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                                reason="tf.gradients in a Lambda runs only in a TensorFlow graph")

def _build(keras, tf, input_scale, velocity_min, velocity_max, num_dim=2):
    layers = keras.layers
    num_layers, num_units = 5, 50
    kernel_activation = lambda z: tf.math.exp(-(z**2))  # noqa: E731
    source_coords_list = [layers.Input(shape=(1,), name=f"source_coord_{i}") for i in range(num_dim)]
    source_coords = layers.Concatenate(name="source_coords", axis=-1)(source_coords_list)
    receiver_coords_list = [layers.Input(shape=(1,), name=f"receiver_coord_{i}") for i in range(num_dim)]
    receiver_coords = layers.Concatenate(name="receiver_coords", axis=-1)(receiver_coords_list)
    velocity_at_receiver = layers.Input(shape=(1,), name="velocity_at_receiver")
    inputs_list = source_coords_list + receiver_coords_list
    source_receiver = layers.Concatenate(name="source_receiver_coords", axis=-1)([source_coords, receiver_coords])
    source_receiver_scaled = layers.Rescaling(1 / input_scale, name="source_receiver_scaled")(source_receiver)
    hidden_state = layers.Dense(num_units, activation=kernel_activation, kernel_initializer="he_normal")(
        source_receiver_scaled)
    for i in range(1, num_layers):
        hidden_state = layers.Dense(num_units, activation=kernel_activation, kernel_initializer="he_normal")(
            hidden_state)
    output_state = layers.Dense(1, activation="sigmoid", kernel_initializer="he_normal")(hidden_state)
    traveltime_initial_model = keras.models.Model(inputs=inputs_list, outputs=output_state,
                                                  name="Traveltime_No_Reciprocity")
    traveltime_source_receiver = traveltime_initial_model(source_coords_list + receiver_coords_list)
    traveltime_receiver_source = traveltime_initial_model(receiver_coords_list + source_coords_list)
    traveltime = layers.Lambda(lambda x: 0.5 * (x[0] + x[1]), name="Reciprocity")(
        [traveltime_source_receiver, traveltime_receiver_source])
    traveltime = layers.Lambda(lambda x: (1 / velocity_min - 1 / velocity_max) * x + 1 / velocity_max,
                               name="velocity_scaling")(traveltime)
    source_receiver_difference = layers.Subtract(name="source_receiver_difference")(
        [receiver_coords, source_coords])
    distance = layers.Lambda(lambda x: tf.norm(x, axis=-1, keepdims=True), name="distance_factor")(
        source_receiver_difference)
    traveltime = layers.Multiply(name="Traveltime")([traveltime, distance])
    traveltime_gradient_list = layers.Lambda(lambda x: tf.gradients(x[0], x[1], unconnected_gradients="zero"),
                                             name="gradients_receiver")([traveltime, receiver_coords_list])
    traveltime_gradient = layers.Concatenate(axis=-1)(traveltime_gradient_list)
    traveltime_gradient_norm = layers.Lambda(lambda x: tf.norm(x, axis=-1, keepdims=True),
                                             name="gradient_norm")(traveltime_gradient)
    eikonal = layers.Lambda(lambda x: ((x[0] * x[1]) ** 2 - 1.0) / 2, name="Eikonal_Equation")(
        [traveltime_gradient_norm, velocity_at_receiver])
    traveltime_model = keras.models.Model(inputs=inputs_list, outputs=traveltime, name="Model_Traveltime")
    eikonal_model = keras.models.Model(inputs=inputs_list + [velocity_at_receiver], outputs=eikonal,
                                       name="Model_Eikonal_Equation")
    return traveltime_model, eikonal_model


def eikonal(keras, sync):
    import tensorflow as tf
    rng = np.random.RandomState(0)
    velocity_min, velocity_max = 1.0, 3.5
    traveltime_model, eikonal_model = _build(keras, tf, 1.0, velocity_min, velocity_max)
    sync(eikonal_model)
    eikonal_model.compile(optimizer=keras.optimizers.Adam(learning_rate=2.5e-3), loss="mae")
    num_train = 64
    inputs_train = {k: rng.uniform(0, 1, num_train) for k in
                    ["source_coord_0", "source_coord_1", "receiver_coord_0", "receiver_coord_1"]}
    inputs_train["velocity_at_receiver"] = rng.uniform(velocity_min, velocity_max, num_train)
    history = eikonal_model.fit(x=inputs_train, y=np.zeros(num_train), batch_size=num_train // 4, epochs=3,
                                verbose=0, shuffle=False)
    inputs_test = {k: rng.uniform(0, 1, 20) for k in
                   ["source_coord_0", "source_coord_1", "receiver_coord_0", "receiver_coord_1"]}
    pred = traveltime_model.predict(inputs_test, batch_size=8, verbose=0)
    return {"history": history.history, "pred": pred, "params": eikonal_model.count_params()}


eikonal.keras_traced = True  # Keras's eager mode cannot run tf.gradients either


def test_eikonal():
    check_program(eikonal)
