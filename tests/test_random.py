"""kerasport.random: Keras's random ops and SeedGenerator (values follow the framework's RNG, not Keras's)."""
import numpy as np
import pytest

import kerasport
from kerasport import ops, random
from kerasport.backends import B

OPS = {
    "normal": lambda seed: random.normal((3, 4), seed=seed),
    "uniform": lambda seed: random.uniform((3, 4), seed=seed),
    "truncated_normal": lambda seed: random.truncated_normal((3, 4), seed=seed),
    "randint": lambda seed: random.randint((3, 4), 0, 100, seed=seed),
    "categorical": lambda seed: random.categorical(np.zeros((3, 10)), 4, seed=seed),
    "dropout": lambda seed: random.dropout(np.ones((3, 4), "float32"), 0.5, seed=seed),
    "shuffle": lambda seed: random.shuffle(np.arange(12.0), seed=seed),
    "gamma": lambda seed: random.gamma((3, 4), 2.0, seed=seed),
    "beta": lambda seed: random.beta((3, 4), 2.0, 3.0, seed=seed),
    "binomial": lambda seed: random.binomial((3, 4), 20.0, 0.5, seed=seed),
}
SHAPES = {"categorical": (3, 4), "shuffle": (12,)}
DTYPES = {"randint": "int32", "categorical": "int32", "shuffle": "float64"}  # shuffle keeps its float64 array's


def np_(x):
    return ops.convert_to_numpy(x)


@pytest.mark.parametrize("name", sorted(OPS))
def test_shape_dtype_and_int_seed_repeats(name):
    a, b, c = (np_(OPS[name](s)) for s in (7, 7, 8))
    assert a.shape == SHAPES.get(name, (3, 4))
    assert str(a.dtype) == DTYPES.get(name, "float32")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", sorted(OPS))
def test_global_stream_repeats_after_set_random_seed(name):
    kerasport.utils.set_random_seed(3)
    first = [np_(OPS[name](None)) for _ in range(2)]
    kerasport.utils.set_random_seed(3)
    again = [np_(OPS[name](None)) for _ in range(2)]
    assert not np.array_equal(*first)
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", sorted(OPS))
def test_seed_generator_advances_and_repeats(name):
    gen = random.SeedGenerator(42)
    first = [np_(OPS[name](gen)) for _ in range(3)]
    gen = random.SeedGenerator(42)
    again = [np_(OPS[name](gen)) for _ in range(3)]
    assert not np.array_equal(first[0], first[1]) and not np.array_equal(first[1], first[2])
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x, y)


def test_unseeded_seed_generator_repeats_after_set_random_seed():
    kerasport.utils.set_random_seed(5)
    a = np_(random.normal((8,), seed=random.SeedGenerator()))
    kerasport.utils.set_random_seed(5)
    np.testing.assert_array_equal(a, np_(random.normal((8,), seed=random.SeedGenerator())))


def test_seed_generator_next_returns_and_advances_keras_seed_state():
    gen = random.SeedGenerator(42)
    assert [np_(gen.next()).tolist() for _ in range(3)] == [[42, 0], [42, 1], [42, 2]]
    state = gen.state
    assert kerasport.backend.standardize_dtype(state.dtype) == B.RANDOM_SEED_DTYPE and not state.trainable
    assert state.name == "seed_generator_state" and np_(state).tolist() == [42, 3]
    assert np_(gen.next(ordered=False)).tolist() == [42, 3]
    assert np_(state).tolist() == [43 * 5387 % 933199, 4 * 5387 % 933199]  # Keras's unordered sequence
    if B.NAME == "tensorflow":  # the state advances inside a traced function too
        import tensorflow as tf
        traced = tf.function(gen.next)
        first, second = np_(traced()), np_(traced())
        assert second[1] == first[1] + 1


def test_seed_generator_config_round_trip():
    gen = random.SeedGenerator.from_config(random.SeedGenerator(9, name="noise").get_config())
    assert (gen.seed, gen.name) == (9, "noise")
    np.testing.assert_array_equal(np_(random.uniform((4,), seed=gen)),
                                  np_(random.uniform((4,), seed=random.SeedGenerator(9))))


def test_dtype_argument():
    assert str(np_(random.normal((2,), dtype="float16", seed=1)).dtype) == "float16"
    assert str(np_(random.randint((2,), 0, 5, dtype="int64", seed=1)).dtype) == "int64"
    assert str(np_(random.categorical(np.zeros((1, 3)), 2, dtype="int64", seed=1)).dtype) == "int64"


@pytest.mark.parametrize("call", [lambda: random.uniform((2,), dtype="int32"),
                                  lambda: random.normal((2,), dtype="int32"),
                                  lambda: random.randint((2,), 0, 5, dtype="float32"),
                                  lambda: random.categorical(np.zeros((3,)), 2),
                                  lambda: random.normal((2,), seed="1"),
                                  lambda: random.SeedGenerator(1.5)])
def test_invalid_arguments_raise(call):
    with pytest.raises(ValueError):
        call()


def test_normal_and_uniform_statistics():
    x = np_(random.normal((100_000,), mean=2.0, stddev=3.0, seed=1))
    assert abs(x.mean() - 2.0) < 0.05 and abs(x.std() - 3.0) < 0.05
    u = np_(random.uniform((100_000,), minval=-1.0, maxval=3.0, seed=1))
    assert u.min() >= -1.0 and u.max() < 3.0
    assert abs(u.mean() - 1.0) < 0.02 and abs(u.std() - 4 / np.sqrt(12)) < 0.02


def test_truncated_normal_stays_within_two_stddev():
    x = np_(random.truncated_normal((100_000,), mean=1.0, stddev=2.0, seed=1))
    assert x.min() >= 1.0 - 4.0 and x.max() <= 1.0 + 4.0
    assert abs(x.mean() - 1.0) < 0.03 and abs(x.std() - 2.0 * 0.87962566) < 0.03  # std of N(0,1) cut at +-2
    assert x.max() > 4.9 and x.min() < -2.9  # reaches the bounds


def test_randint_covers_its_range_uniformly():
    x = np_(random.randint((100_000,), -3, 7, seed=1))
    counts = np.bincount(x + 3)
    assert x.min() == -3 and x.max() == 6 and len(counts) == 10
    np.testing.assert_allclose(counts / x.size, 0.1, atol=0.01)


def test_categorical_frequencies_follow_the_logits():
    probs = np.array([[0.1, 0.2, 0.7, 0.0], [0.25, 0.25, 0.25, 0.25]])
    with np.errstate(divide="ignore"):
        x = np_(random.categorical(np.log(probs), 20_000, seed=1))
    assert x.shape == (2, 20_000)
    for row, p in zip(x, probs):
        np.testing.assert_allclose(np.bincount(row, minlength=4) / row.size, p, atol=0.015)


def test_dropout_drops_rate_and_scales_the_rest():
    x = np_(random.dropout(np.ones((200, 500), "float32"), 0.3, seed=1))
    assert set(np.unique(x)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((x == 0).mean() - 0.3) < 0.01
    shared = np_(random.dropout(np.ones((4, 1000), "float32"), 0.5, noise_shape=(1, 1000), seed=1))
    assert (shared == shared[:1]).all() and 0 < (shared == 0).mean() < 1


@pytest.mark.parametrize("axis", [0, 1])
def test_shuffle_is_a_permutation_along_axis(axis):
    x = np.arange(40 * 30).reshape(40, 30)
    y = np_(random.shuffle(x, axis=axis, seed=1))
    order = y[:, 0] // 30 if axis == 0 else y[0]
    assert sorted(order) == list(range(x.shape[axis])) and list(order) != sorted(order)
    np.testing.assert_array_equal(y, np.take(x, order, axis=axis))


@pytest.mark.parametrize("alpha", [0.3, 1.0, 4.0])
def test_gamma_mean_and_variance(alpha):
    x = np_(random.gamma((100_000,), alpha, seed=1))
    assert x.min() >= 0
    assert abs(x.mean() - alpha) < 0.03 * max(alpha, 1) and abs(x.var() - alpha) < 0.06 * max(alpha, 1)


def test_beta_and_binomial_statistics():
    b = np_(random.beta((100_000,), 2.0, 6.0, seed=1))
    assert b.min() >= 0 and b.max() <= 1
    assert abs(b.mean() - 0.25) < 0.005 and abs(b.var() - 12 / (64 * 9)) < 0.002
    n = np_(random.binomial((100_000,), 10.0, 0.3, seed=1))
    assert set(np.unique(n)) <= set(range(11))
    assert abs(n.mean() - 3.0) < 0.03 and abs(n.var() - 2.1) < 0.05
    per_entry = np_(random.binomial((2, 50_000), np.array([[2.0], [8.0]]), 0.5, seed=1))
    np.testing.assert_allclose(per_entry.mean(axis=1), [1.0, 4.0], atol=0.03)
    assert per_entry[0].max() == 2


class NoisyDense(kerasport.layers.Layer):
    """Adds seeded noise in training and records its sum, to see each step's draw from a callback."""

    def __init__(self, seed, **kwargs):
        super().__init__(**kwargs)
        self.noise_seed = random.SeedGenerator() if seed is None else seed
        self.dense = kerasport.layers.Dense(1)

    def build(self, input_shape):
        self.noise_sum = self.add_weight(shape=(), initializer="zeros", trainable=False)
        self.dense.build(input_shape)

    def call(self, x, training=False):
        if training:
            noise = random.normal(ops.shape(x), stddev=0.1, seed=self.noise_seed)
            self.noise_sum.assign(ops.sum(noise))
            x = x + noise
        return self.dense(x)


def _fit_noise_sums(layer):
    model = kerasport.Sequential([kerasport.Input((3,)), layer])
    model.compile(optimizer="sgd", loss="mse")
    sums = []
    record = kerasport.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: sums.append(float(np_(layer.noise_sum))))
    x, y = np.random.RandomState(0).randn(64, 3).astype("float32"), np.ones((64, 1), "float32")
    before = np_(layer.dense.kernel).copy()
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[record])
    assert np.isfinite(history.history["loss"]).all() and not np.allclose(before, np_(layer.dense.kernel))
    np.testing.assert_array_equal(np_(model(x)), np_(layer.dense(x)))  # no noise at inference
    return sums


def test_seed_generator_in_a_custom_layer_draws_new_noise_each_fit_step():
    first = _fit_noise_sums(NoisyDense(seed=None))
    assert len(first) == 8 and len(set(first)) == 8
    kerasport.utils.set_random_seed(1337)
    np.testing.assert_array_equal(first, _fit_noise_sums(NoisyDense(seed=None)))


def test_int_seed_in_a_custom_layer_draws_the_same_noise_each_fit_step():
    sums = _fit_noise_sums(NoisyDense(seed=11))
    assert len(sums) == 8 and len(set(sums)) == 1 and sums[0] != 0
