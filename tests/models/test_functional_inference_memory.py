"""A Functional model's inference memory: activations are freed after their last reader, and a
BatchNormalization or ReLU whose input no one else reads may compute in that input's memory
(torch, no gradient) without changing any number, any input or any output the caller gets."""
import numpy as np

import kerasport
from kerasport import layers
from kerasport.backends import B


def _model():
    """conv -> BN -> ReLU6 -> conv -> BN -> ReLU6, with the first conv's output also added at the end,
    the first ReLU's output also a model output, and a ReLU straight on the Input."""
    inp = kerasport.Input((6, 6, 3))
    c1 = layers.Conv2D(4, 3, padding="same", name="c1")(inp)
    r1 = layers.ReLU(6.0, name="r1")(layers.BatchNormalization(name="bn1")(c1))
    c2 = layers.Conv2D(4, 1, name="c2")(r1)
    r2 = layers.ReLU(6.0, name="r2")(layers.BatchNormalization(name="bn2")(c2))
    out = layers.Add(name="add")([r2, c1])
    on_input = layers.ReLU(name="r0")(inp)
    return kerasport.Model(inp, [out, r1, on_input])


def _randomize_statistics(model):
    rng = np.random.RandomState(3)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            for v in (layer.gamma, layer.beta, layer.moving_mean):
                v.assign(rng.normal(0, 0.5, v.shape).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, layer.moving_variance.shape).astype("float32"))


def _eager_reference(model, x):
    """The same layers called one by one, outside the Functional graph (never in place)."""
    get = model.get_layer
    c1 = get("c1")(x)
    r1 = get("r1")(get("bn1")(c1, training=False))
    r2 = get("r2")(get("bn2")(get("c2")(r1), training=False))
    return [B.convert_to_numpy(t) for t in (get("add")([r2, c1]), r1, get("r0")(x))]


def test_plan_overwrites_only_an_input_no_one_else_reads():
    model = _model()
    scratch = {plan[0].name: plan[5] for plan in model._plan}
    # bn2 and r2 read a conv's / a BN's output that nothing else reads
    assert scratch["bn2"] and scratch["r2"]
    # bn1 reads c1, which the Add also reads; r1's output is a model output, and its input is bn1's fresh
    # output read by r1 alone; r0 reads the model's Input; the Add is not a layer that overwrites
    assert not scratch["bn1"] and scratch["r1"] and not scratch["r0"] and not scratch["add"] and not scratch["c2"]


def test_plan_frees_each_activation_after_its_last_reader():
    model = _model()
    freed = [tid for plan in model._plan for tid in plan[4]]
    assert len(freed) == len(set(freed))
    kept = {id(t) for t in model.inputs + model.outputs}
    assert not kept & set(freed)
    c1 = model.get_layer("c1").output
    add_index = [plan[0].name for plan in model._plan].index("add")
    assert id(c1) in model._plan[add_index][4]  # c1 lives until the Add, its last reader


def test_predict_and_no_grad_call_match_the_layers_called_one_by_one():
    model = _model()
    _randomize_statistics(model)
    x = np.random.RandomState(0).normal(0, 3, (2, 6, 6, 3)).astype("float32")
    expected = _eager_reference(model, B.convert_to_tensor(x))
    for got in (model.predict(x, verbose=0), model.predict(x, batch_size=1, verbose=0)):
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    xt = B.convert_to_tensor(x)
    with B.no_grad():
        got = [B.convert_to_numpy(t) for t in model(xt, training=False)]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(B.convert_to_numpy(xt), x)  # the caller's input is untouched


def test_overwriting_kernels_give_the_plain_kernels_numbers():
    rng = np.random.RandomState(1)
    x = rng.normal(0, 4, (2, 3, 3, 5)).astype("float32")
    mean, var, beta, gamma = (rng.normal(0, 1, 5).astype("float32") for _ in range(4))
    mean, var, beta, gamma = (B.convert_to_tensor(v) for v in (mean, np.abs(var) + 0.1, beta, gamma))
    bn_expected = B.convert_to_numpy(B.batch_normalization(B.convert_to_tensor(x), mean, var, -1, beta, gamma, 1e-3))
    with B.no_grad():
        for overwrite in (False, True):
            bn = B.batch_normalization_inference(B.convert_to_tensor(x), mean, var, -1, beta, gamma, 1e-3, overwrite)
            np.testing.assert_allclose(B.convert_to_numpy(bn), bn_expected, rtol=1e-5, atol=1e-5)
        for cap, expected in ((None, np.maximum(x, 0)), (6.0, np.clip(x, 0, 6)), (2.5, np.clip(x, 0, 2.5))):
            out = B.relu_overwriting(B.convert_to_tensor(x), cap)
            np.testing.assert_array_equal(B.convert_to_numpy(out), expected)
    if B.NAME == "torch":  # mutable tensors: the result is written into the input's memory
        import torch
        with torch.no_grad():
            xt = torch.from_numpy(x.copy())
            assert B.relu_overwriting(xt, 6.0).data_ptr() == xt.data_ptr()
        xt = torch.from_numpy(x.copy())
        B.relu_overwriting(xt, 6.0)  # gradient recording on: a new tensor, the input kept
        np.testing.assert_array_equal(xt.numpy(), x)


class _BatchNormPlusInput(layers.BatchNormalization):
    """Reads its input after ``super().call``: its own ``call`` is unmarked, so it must get it intact."""

    def call(self, inputs, training=None, mask=None):
        return super().call(inputs, training=training) + inputs


def test_a_subclass_overriding_call_never_gets_a_scratch_input():
    inp = kerasport.Input((4, 4, 2))
    conv = layers.Conv2D(3, 1, name="conv")
    norm = _BatchNormPlusInput(name="norm")
    model = kerasport.Model(inp, norm(conv(inp)))
    _randomize_statistics(model)
    assert not [plan for plan in model._plan if plan[5]]
    x = np.random.RandomState(2).normal(0, 1, (2, 4, 4, 2)).astype("float32")
    c = conv(B.convert_to_tensor(x))
    expected = B.convert_to_numpy(layers.BatchNormalization.call(norm, c, training=False)) + B.convert_to_numpy(c)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
