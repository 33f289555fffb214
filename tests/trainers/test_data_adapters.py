"""Adapters: every kind of input becomes the same ``(x, y, sample_weight)`` batches of backend tensors;
``pack_x_y_sample_weight`` / ``unpack_x_y_sample_weight`` as in Keras."""
import threading
import time

import numpy as np
import pytest

import kerasport
from kerasport import utils
from kerasport.backends import B
from kerasport.trainers.data_adapters import ArrayAdapter, GeneratorAdapter, PyDatasetAdapter, TFDatasetAdapter, TorchDataLoaderAdapter, class_weight_to_sample_weight, get_adapter
from kerasport.trainers.epoch_iterator import EpochIterator
from tests.helpers import keras_module


def ids(batches):
    """The first feature of each sample of each batch (the tests store sample indices there)."""
    return [B.convert_to_numpy(x)[:, 0].astype(int).tolist() for x, _, _ in batches]


def data(n=10):
    x = np.stack([np.arange(n), np.zeros(n)], axis=1).astype("float32")
    return x, np.arange(n).astype("float32")


class Batches(kerasport.utils.PyDataset):
    """Batch ``i`` holds samples ``[i*bs, (i+1)*bs)``; records calls and concurrent loads."""

    def __init__(self, n=10, batch_size=3, delay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = data(n)
        self.batch_size, self.delay = batch_size, delay
        self.epochs_ended = 0
        self.active = self.max_active = 0
        self._lock = threading.Lock()

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i):
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        time.sleep(self.delay * (1 + (i % 3)))  # later batches may finish first
        with self._lock:
            self.active -= 1
        sl = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[sl], self.y[sl]

    def on_epoch_end(self):
        self.epochs_ended += 1


class Plain(kerasport.utils.PyDataset):
    """A dataset picklable for spawned worker processes (module level, no locks)."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return np.full((2, 2), i, "float32"), np.zeros(2, "float32")


# ----------------------------------------------------------------------------- arrays
def test_array_batches_in_order_and_last_batch_partial():
    adapter = ArrayAdapter(*data(10), batch_size=4)
    assert adapter.num_batches == 3
    assert ids(adapter) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y, sw = next(iter(adapter))
    assert B.is_tensor(x) and B.is_tensor(y) and sw is None


def test_array_shuffle_permutes_samples_each_epoch():
    adapter = ArrayAdapter(*data(64), batch_size=8, shuffle=True)
    first, second = sum(ids(adapter), []), sum(ids(adapter), [])
    assert sorted(first) == sorted(second) == list(range(64))
    assert first != list(range(64)) and first != second


def test_array_shuffle_batch_keeps_batches_contiguous():
    adapter = ArrayAdapter(*data(40), batch_size=8, shuffle="batch")
    batches = ids(adapter)
    assert sorted(b[0] for b in batches) == [0, 8, 16, 24, 32]
    assert all(b == list(range(b[0], b[0] + 8)) for b in batches)


def test_array_y_and_sample_weight_follow_x_through_shuffle():
    x, y = data(32)
    adapter = ArrayAdapter(x, y, sample_weight=y * 2, batch_size=5, shuffle=True)
    for xb, yb, swb in adapter:
        np.testing.assert_array_equal(B.convert_to_numpy(xb)[:, 0], B.convert_to_numpy(yb))
        np.testing.assert_array_equal(B.convert_to_numpy(swb), 2 * B.convert_to_numpy(yb))


def test_array_nested_inputs():
    x, y = data(6)
    adapter = ArrayAdapter({"a": x, "b": [x, x]}, y, batch_size=4)
    xb, _, _ = next(iter(adapter))
    assert set(xb) == {"a", "b"} and tuple(B.shape(xb["b"][1])) == (4, 2)


def test_array_cardinality_mismatch_names_sizes():
    x, _ = data(10)
    with pytest.raises(ValueError, match=r"x: \[10\], y: \[9\]"):
        ArrayAdapter(x, np.zeros(9), batch_size=4)


def test_split_keeps_last_fraction_for_validation():
    train, val = ArrayAdapter(*data(10), batch_size=4, shuffle=True).split(0.3)
    assert sorted(sum(ids(train), [])) == list(range(7))
    assert ids(val) == [[7, 8, 9]]


# ----------------------------------------------------------------------------- class weights
def test_class_weight_sparse_and_one_hot_labels():
    cw = {0: 0.5, 2: 3.0}
    np.testing.assert_array_equal(class_weight_to_sample_weight(np.array([0, 1, 2, 2]), cw), [0.5, 1, 3, 3])
    one_hot = np.eye(3)[[2, 0, 1]]
    np.testing.assert_array_equal(class_weight_to_sample_weight(one_hot, cw), [3, 0.5, 1])


def test_class_weight_naming_missing_class_is_an_error():
    with pytest.raises(ValueError, match=r"class\(es\) \[7\].*3 classes"):
        class_weight_to_sample_weight(np.array([0, 1, 2]), {0: 1.0, 7: 2.0})
    with pytest.raises(ValueError, match=r"\[3\]"):
        class_weight_to_sample_weight(np.eye(3), {3: 1.0}, all_classes_seen=False)
    with pytest.raises(ValueError, match="non-negative class indices"):
        class_weight_to_sample_weight(np.array([0, 1]), {"cat": 1.0})


def test_class_weight_of_a_batch_tolerates_classes_absent_from_it():
    np.testing.assert_array_equal(class_weight_to_sample_weight(np.array([0, 0]), {0: 2.0, 4: 3.0},
                                                                all_classes_seen=False), [2, 2])


# ----------------------------------------------------------------------------- dispatch and errors
def test_get_adapter_dispatch():
    x, y = data(4)
    assert isinstance(get_adapter(x, y), ArrayAdapter)
    assert isinstance(get_adapter(iter([(x, y)])), GeneratorAdapter)
    assert isinstance(get_adapter(Batches()), PyDatasetAdapter)


@pytest.mark.parametrize("source", ["generator", "pydataset"])
def test_streams_reject_separate_targets(source):
    x, y = data(4)
    stream = iter([(x, y)]) if source == "generator" else Batches()
    with pytest.raises(ValueError, match="`y` must be None"):
        get_adapter(stream, y)


def test_bad_shuffle_value():
    with pytest.raises(ValueError, match="shuffle must be"):
        get_adapter(*data(4), shuffle="yes")


@pytest.mark.parametrize("elements, message", [
    ([(np.zeros((2, 2)),) * 4], "tuple of 4 items"),
    ([(np.zeros((2, 2)), np.zeros(2)), (np.zeros((2, 2)),)], "changed the structure"),
    ([(np.zeros((2, 2)), np.zeros(3))], r"different numbers of samples \[2, 3\]"),
    ([(np.float32(1.0), np.zeros(1))], "without a batch dimension"),
    ([({"a": object()}, np.zeros(2))], "not an array"),
    ([(None, np.zeros(2))], "without inputs"),
])
def test_generator_with_wrong_structure(elements, message):
    adapter = get_adapter(iter(elements))
    with pytest.raises(ValueError, match=message):
        list(adapter)


def test_stream_of_nested_batches_of_different_sizes_reaches_a_custom_train_step():
    """As in Keras, a stream may yield nested parts of different batch sizes (keras.io's SimCLR zips a dataset
    of 4 unlabeled images with one of 2 labeled ones); a custom ``train_step`` gets them as they are."""
    batches = [((np.zeros((4, 2), "float32"), np.zeros(4)), (np.ones((2, 2), "float32"), np.zeros(2)))]
    (unlabeled, _), (labeled, labels) = next(iter(get_adapter(iter(batches))))[:2]
    assert tuple(B.shape(unlabeled)) == (4, 2) and tuple(B.shape(labeled)) == (2, 2)

    class Sizes(kerasport.Model):
        def __init__(self):
            super().__init__()
            self.dense = kerasport.layers.Dense(1)
            self.built = True  # no call(): Keras on torch asks for this, as the keras.io torch guide does

        def train_step(self, data):
            (unlabeled, _), (labeled, labels) = data
            return {"unlabeled": B.shape(self.dense(unlabeled))[0], "labeled": B.shape(labeled)[0]}

    model = Sizes()
    model.compile()
    history = model.fit(iter(batches), epochs=1, verbose=0)
    assert history.history == {"unlabeled": [4], "labeled": [2]}


def test_empty_generator():
    with pytest.raises(ValueError, match="yielded no batch"):
        get_adapter(iter([])).peek()


# ----------------------------------------------------------------------------- streams
def test_generator_peek_does_not_lose_the_first_batch():
    x, y = data(9)
    adapter = get_adapter((x[i:i + 3], y[i:i + 3]) for i in range(0, 9, 3))
    assert tuple(B.shape(adapter.peek())) == (3, 2)
    assert ids(adapter) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert ids(adapter) == []


def test_generator_class_weight_per_batch():
    x, y = data(4)
    adapter = get_adapter(iter([(x, np.array([0, 1, 1, 0]))]), class_weight={1: 4.0})
    _, _, sw = next(iter(adapter))
    np.testing.assert_array_equal(B.convert_to_numpy(sw), [1, 4, 4, 1])


def test_pydataset_batches_in_index_order_and_shuffled():
    assert ids(get_adapter(Batches())) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    shuffled = ids(get_adapter(Batches(n=30), shuffle=True))
    assert sorted(map(tuple, shuffled)) == [tuple(range(i, i + 3)) for i in range(0, 30, 3)]
    assert shuffled != ids(get_adapter(Batches(n=30)))


def test_pydataset_shuffle_draws_keras_order_from_pythons_generator():
    # Keras shuffles a PyDataset's batch indices with ``random.shuffle``: under the same seed, the same order.
    import random
    random.seed(3)
    want = list(range(10))
    random.shuffle(want)
    random.seed(3)
    assert [batch[0] // 3 for batch in ids(get_adapter(Batches(n=30), shuffle=True))] == want


class Reordered(kerasport.utils.PyDataset):
    """Reverses its samples' order in ``on_epoch_end``, as keras.io's ``keras.utils.Sequence`` datasets reshuffle;
    records the samples of each batch it gives."""

    def __init__(self, n=6):
        super().__init__()
        self.order = np.arange(n)
        self.epochs_begun = 0
        self.reads = []

    def __len__(self):
        return len(self.order) // 3

    def __getitem__(self, i):
        rows = self.order[3 * i:3 * (i + 1)]
        self.reads.append(rows.tolist())
        return np.stack([rows, 0 * rows], axis=1).astype("float32"), rows.astype("float32")

    def on_epoch_begin(self):
        self.epochs_begun += 1

    def on_epoch_end(self):
        self.order = self.order[::-1].copy()


def test_pydataset_peek_is_outside_the_epochs_and_each_pass_reads_afresh():
    # As Keras: the peek reads batch 0 by index and begins no epoch; fit calls on_epoch_end before its first
    # epoch, and that epoch reads the dataset's new order (it used to train on the batch peeked before it).
    dataset = Reordered()
    adapter = get_adapter(dataset)
    np.testing.assert_array_equal(B.convert_to_numpy(adapter.peek())[:, 0], [0, 1, 2])
    assert dataset.epochs_begun == 0
    adapter.on_epoch_end()
    assert ids(adapter) == [[5, 4, 3], [2, 1, 0]]
    assert dataset.epochs_begun == 1
    model = kerasport.Sequential([kerasport.Input((2,)), kerasport.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    dataset = Reordered()
    model.fit(dataset, epochs=2, shuffle=False, verbose=0)
    # The peek reads batches 0 and 1, as Keras's TensorFlow trainer reads two to learn their structure.
    assert dataset.reads == [[0, 1, 2], [3, 4, 5], [5, 4, 3], [2, 1, 0], [0, 1, 2], [3, 4, 5]]


def test_pydataset_whose_length_changes_gives_keras_batches():
    """keras.io depth_estimation's ``Sequence`` shrinks its batch size when it reads the last batch (so ``__len__``
    grows), another dataset grows in ``on_epoch_end``: Keras reads the first two batches to learn their structure,
    and each epoch of ``fit`` (and ``evaluate``, ``predict``) has the batches that ``__len__`` gave at its start."""
    def batches(lib):
        class Shrinking(lib.utils.PyDataset):
            def __init__(self, n, batch_size):
                super().__init__()
                self.n, self.batch_size = n, batch_size

            def __len__(self):
                return int(np.ceil(self.n / self.batch_size))

            def __getitem__(self, index):
                if (index + 1) * self.batch_size > self.n:
                    self.batch_size = self.n - index * self.batch_size
                rows = np.arange(index * self.batch_size, (index + 1) * self.batch_size)[:, None]
                return rows.astype("float32"), rows.astype("float32")

        class Growing(Shrinking):
            def on_epoch_end(self):
                self.n += 1

        seen = []

        class Recorder(lib.Model):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(1)

            def call(self, x):
                return self.dense(x)

            def train_step(self, data):
                seen.append(lib.ops.convert_to_numpy(data[0])[:, 0].astype(int).tolist())
                return {"n": lib.ops.zeros(())}

            def test_step(self, data):
                seen.append(("test", lib.ops.convert_to_numpy(data[0])[:, 0].astype(int).tolist()))
                return {"n": lib.ops.zeros(())}

        model = Recorder()
        model(np.zeros((1, 1), "float32"))
        model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
        model.fit(Shrinking(7, 4), validation_data=Shrinking(3, 4), epochs=2, shuffle=False, verbose=0)
        model.fit(Growing(2, 1), epochs=3, shuffle=False, verbose=0)
        model.evaluate(Shrinking(7, 4), verbose=0)
        seen.append(len(model.predict(Shrinking(7, 4), verbose=0)))
        return seen

    assert batches(kerasport) == batches(keras_module())


def test_empty_pydataset_is_an_error():
    with pytest.raises(ValueError, match="has length 0"):
        get_adapter(Reordered(n=0)).peek()


def test_pydataset_workers_load_in_parallel_and_keep_order():
    dataset = Batches(n=24, delay=0.01, workers=3, max_queue_size=4)
    adapter = get_adapter(dataset)
    try:
        assert ids(adapter) == [[i, i + 1, i + 2] for i in range(0, 24, 3)]
    finally:
        adapter.close()
    assert dataset.max_active >= 2


def test_pydataset_in_worker_processes():
    adapter = get_adapter(Plain(workers=2, use_multiprocessing=True))
    try:
        assert ids(adapter) == ids(adapter) == [[0, 0], [1, 1], [2, 2], [3, 3]]
    finally:
        adapter.close()


def test_pydataset_arguments_are_checked():
    with pytest.raises(ValueError, match="workers"):
        Batches(workers=0)
    with pytest.raises(ValueError, match="max_queue_size"):
        Batches(max_queue_size=0)


def test_torch_dataloader_batches_become_backend_tensors():
    torch = pytest.importorskip("torch")
    x, y = data(10)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                         batch_size=4)
    adapter = get_adapter(loader)
    assert isinstance(adapter, TorchDataLoaderAdapter) and adapter.num_batches == 3
    batches = list(adapter)
    assert ids(batches) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert all(B.is_tensor(xb) and B.is_tensor(yb) and sw is None for xb, yb, sw in batches)


def test_tf_dataset_batches_become_backend_tensors():
    tf = pytest.importorskip("tensorflow")
    x, y = data(10)
    adapter = get_adapter(tf.data.Dataset.from_tensor_slices((x, y)).batch(4))
    assert isinstance(adapter, TFDatasetAdapter) and adapter.num_batches == 3
    batches = list(adapter)
    assert ids(batches) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert all(B.is_tensor(xb) and B.is_tensor(yb) for xb, yb, _ in batches)
    assert get_adapter(tf.data.Dataset.from_tensor_slices(x).batch(4).repeat()).num_batches is None


@pytest.mark.parametrize("steps_per_epoch", [None, 2])
def test_seeded_reshuffling_tf_dataset_gives_each_epoch_keras_order(steps_per_epoch):
    """A ``shuffle(seed=...)`` dataset draws a new order per iterator; Keras opens one more iterator at the end of
    each pass of known length, so its epochs (and validation passes) train on the 1st, 3rd, 5th... orders."""
    tf = pytest.importorskip("tensorflow")

    def orders(lib):
        seen = []

        class Recorder(lib.Model):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(1)

            def call(self, x):
                return self.dense(x)

            def train_step(self, data):
                seen.append(lib.ops.convert_to_numpy(data[0])[:, 0].tolist())
                return {"n": lib.ops.zeros(())}

            def test_step(self, data):
                seen.append(("val", lib.ops.convert_to_numpy(data[0])[:, 0].tolist()))
                return {"n": lib.ops.zeros(())}

        def dataset(n, start):
            x = np.arange(start, start + n, dtype="float32")[:, None]
            return tf.data.Dataset.from_tensor_slices((x, np.zeros(n, "float32"))).shuffle(8, seed=43).batch(4)

        model = Recorder()
        model(np.zeros((1, 1), "float32"))
        model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
        model.fit(dataset(8, 0), epochs=3, steps_per_epoch=steps_per_epoch, validation_data=dataset(4, 10),
                  verbose=0)
        return seen

    assert orders(kerasport) == orders(keras_module())


# ----------------------------------------------------------------------------- epochs
def test_steps_per_epoch_continues_the_pass_and_stops_at_its_end():
    """As in Keras: an epoch continues the pass, stops at its end with the "ran out of data" warning,
    and the next epoch starts a new pass."""
    epochs = EpochIterator(ArrayAdapter(*data(10), batch_size=2), steps=3)
    assert epochs.num_batches == 3
    with pytest.warns(UserWarning, match="ran out of data"):
        got = [ids(epochs) for _ in range(3)]
    assert got == [[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9]], [[0, 1], [2, 3], [4, 5]]]


def test_steps_per_epoch_on_a_generator_runs_out():
    x, y = data(10)
    epochs = EpochIterator(get_adapter((x[i:i + 2], y[i:i + 2]) for i in range(0, 10, 2)), steps=3)
    with pytest.warns(UserWarning, match="ran out of data"):
        assert [len(list(epochs)) for _ in range(3)] == [3, 2, 0]


def test_steps_must_be_positive():
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        EpochIterator(ArrayAdapter(*data(4)), steps=0)


def test_array_adapter_keeps_nested_sample_weight_per_output():
    """``sample_weight={"a": ..., "b": ...}`` (one per output, as Keras accepts) is batched leaf by leaf,
    and ``split`` (``validation_split``) cuts every leaf."""
    x, y = data(10)
    sw = {"a": np.arange(10, dtype="float32"), "b": np.arange(10, dtype="float32") * 2}
    train, val = ArrayAdapter(x, {"a": y, "b": y}, sample_weight=sw, batch_size=4).split(0.2)
    batches = list(train)
    assert [sorted(b[2]) for b in batches] == [["a", "b"]] * 2
    np.testing.assert_array_equal(B.convert_to_numpy(batches[1][2]["b"]), [8, 10, 12, 14])
    (_, _, val_sw), = list(val)
    np.testing.assert_array_equal(B.convert_to_numpy(val_sw["a"]), [8, 9])


# ----------------------------------------------------------------------------- small helpers
def test_pack_unpack_match_keras():
    keras = keras_module()
    for args in [(1,), (1, 2), (1, 2, 3), ([1, 2],), ((1, 2), None, 3)]:
        assert utils.pack_x_y_sample_weight(*args) == keras.utils.pack_x_y_sample_weight(*args)
    for data in [1, (1,), (1, 2), [1, 2, 3]]:
        assert utils.unpack_x_y_sample_weight(data) == keras.utils.unpack_x_y_sample_weight(data)


def test_array_list_inputs_become_tuples_on_tensorflow_as_tf_data_makes_them():
    # As Keras: on TensorFlow its tf.data batches hold tuples where ``fit([a, b])`` passed a list (keras.io's
    # WGAN-graphs ``train_step`` tests ``isinstance(inputs[0], tuple)``); Keras on torch keeps the list.
    x, y = data(6)
    xb, yb, _ = next(iter(ArrayAdapter([x, {"c": [x]}], [y, y], batch_size=4)))
    kind = tuple if kerasport.backend.backend() == "tensorflow" else list
    assert type(xb) is kind and type(xb[1]["c"]) is kind and type(yb) is kind
    assert tuple(B.shape(xb[1]["c"][0])) == (4, 2)
