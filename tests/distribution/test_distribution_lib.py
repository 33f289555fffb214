"""``kerasport.distribution`` in one process: the API, the backend's part of the contract, batch sharding."""
import importlib

import numpy as np
import pytest

import kerasport
from kerasport.backends import B, NAME, contract
from kerasport.trainers.data_adapters import ArrayAdapter, get_adapter
from kerasport.distribution.training_hooks import ShardedAdapter, global_logs, is_chief, shard


@pytest.fixture(autouse=True)
def _no_distribution():
    yield
    kerasport.distribution.set_distribution(None)


def test_backend_fills_the_distribute_contract():
    module = importlib.import_module(f"kerasport.backends.{NAME}.distribute")
    assert [n for n in contract.DISTRIBUTE if not callable(getattr(module, n, None))] == []


def test_list_devices_and_default_distribution():
    devices = kerasport.distribution.list_devices("cpu")
    assert devices == ["cpu:0"]
    assert kerasport.distribution.list_devices()[0].split(":")[0] in ("cpu", "gpu")
    assert kerasport.distribution.get_device_count("cpu") == 1
    assert kerasport.distribution.get_device_count() == len(kerasport.distribution.list_devices())
    assert kerasport.distribution.distribution() is None
    with pytest.raises(ValueError, match="device type"):
        kerasport.distribution.list_devices("abacus")
    with pytest.raises(ValueError, match="device type"):
        kerasport.distribution.get_device_count("abacus")
    with pytest.raises(TypeError, match="DataParallel or None"):
        kerasport.distribution.set_distribution("data")


def test_data_parallel_in_one_process_trains_as_without():
    x = np.random.RandomState(0).randn(10, 3).astype("float32")
    dp = kerasport.distribution.DataParallel()
    assert (dp.rank, dp.num_processes, dp.data_shard_id) == (0, 1, 0)
    with dp.scope():
        assert kerasport.distribution.distribution() is dp and is_chief()
        model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(2)])
        model.compile("sgd", "mse")
        adapter = ArrayAdapter(x, x[:, :2], batch_size=4)
        assert shard(adapter) is adapter  # one process: nothing to shard
        loss = model.fit(x, x[:, :2], batch_size=4, epochs=2, verbose=0).history["loss"]
        assert global_logs(model) == model.get_metrics_result()
    assert kerasport.distribution.distribution() is None
    assert len(loss) == 2 and loss[1] < loss[0]
    with pytest.raises(NotImplementedError, match="device_mesh"):
        kerasport.distribution.DataParallel(device_mesh="mesh")


def _source(kind, x, batch):
    if kind == "arrays":
        return ArrayAdapter(x, x, batch_size=batch)
    return get_adapter((x[i:i + batch], x[i:i + batch]) for i in range(0, len(x), batch))


@pytest.mark.parametrize("kind", ["arrays", "generator"])
@pytest.mark.parametrize("n, batch, world", [(21, 8, 2), (10, 4, 3), (5, 5, 4), (7, 3, 4)])
def test_shards_cover_each_batch_once(kind, n, batch, world):
    x = np.arange(n, dtype="float32")[:, None]
    shards = [list(ShardedAdapter(_source(kind, x, batch), r, world)) for r in range(world)]
    assert all(len(s) == len(shards[0]) for s in shards)  # every process runs every step, even an empty one
    for step in range(len(shards[0])):
        parts = [B.convert_to_numpy(s[step][0])[:, 0] for s in shards]
        np.testing.assert_array_equal(np.concatenate(parts), x[step * batch:(step + 1) * batch, 0])
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
        np.testing.assert_array_equal(np.concatenate([B.convert_to_numpy(s[step][1])[:, 0] for s in shards]),
                                      np.concatenate(parts))


@pytest.mark.skipif(NAME != "tensorflow", reason="tf.distribute strategies are TensorFlow's")
def test_a_one_replica_strategy_scope_trains_as_without_and_each_new_scope_is_adopted():
    """``MirroredStrategy()`` on a one-device machine: the variables made in its scope are mirrored (over one
    device) and the train step runs in its replica context; a program that opens a new strategy's scope for
    each run (keras.io's fault-tolerance recipe) trains under the new one."""
    import tensorflow as tf

    rng = np.random.RandomState(0)
    x, y = rng.randn(12, 3).astype("float32"), rng.randn(12, 2).astype("float32")

    def build():
        model = kerasport.Sequential([kerasport.Input((3,)), kerasport.layers.Dense(2)])
        model.set_weights([np.full((3, 2), 0.1, "float32"), np.zeros(2, "float32")])
        model.compile(kerasport.optimizers.Adam(0.1), "mse", metrics=["mae"])
        return model

    plain = build()
    expected = plain.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history
    first, second = tf.distribute.MirroredStrategy(), tf.distribute.MirroredStrategy()
    for strategy in (first, second):
        with strategy.scope():
            model = build()
            history = model.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history
        assert isinstance(model.weights[0], tf.distribute.DistributedValues)
        assert kerasport.distribution.distribution()._strategy is strategy
        for key, values in expected.items():
            np.testing.assert_allclose(history[key], values, rtol=1e-6, err_msg=key)
        for got, want in zip(model.get_weights(), plain.get_weights()):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
