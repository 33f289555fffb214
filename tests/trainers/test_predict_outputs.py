"""``predict``'s outputs in host memory: preallocated arrays where the rows are known, chunks otherwise, and the
switch between them when an overridden ``predict_step`` gives outputs that do not fit; always what concatenating
every batch's outputs gives."""
import numpy as np
import pytest

import kerasport
from kerasport.backends import B
from kerasport.trainers.predict_outputs import HostOutputs


def _batches(rng, sizes, width=3, dtype="float32"):
    return [{"a": rng.rand(n, width).astype(dtype), "b": rng.rand(n).astype(dtype)} for n in sizes]


def _tensors(batch):
    return {key: B.convert_to_tensor(value, str(value.dtype)) for key, value in batch.items()}


def _expected(batches):
    return {key: np.concatenate([b[key] for b in batches]) for key in ("a", "b")}


@pytest.mark.parametrize("rows", [10, None])
def test_executions_come_back_and_the_result_is_the_concatenation(rows):
    batches = _batches(np.random.RandomState(0), [4, 4, 2])
    outputs = HostOutputs(rows)
    first = outputs.add([_tensors(b) for b in batches[:2]])
    np.testing.assert_array_equal(first["a"], np.concatenate([batches[0]["a"], batches[1]["a"]]))
    last = outputs.add([_tensors(batches[2])])
    np.testing.assert_array_equal(last["b"], batches[2]["b"])
    result = outputs.result()
    assert outputs.batches == 3 and sorted(result) == ["a", "b"]
    for key, value in _expected(batches).items():
        np.testing.assert_array_equal(result[key], value)


@pytest.mark.parametrize("sizes, dtype", [([4, 4, 4], "float32"), ([4, 1], "float32"), ([4, 4, 2], "float64")],
                         ids=["more_rows_than_inputs", "fewer_rows", "another_dtype"])
def test_outputs_that_do_not_fit_still_concatenate(sizes, dtype):
    rng = np.random.RandomState(1)
    batches = _batches(rng, sizes[:1]) + _batches(rng, sizes[1:], dtype=dtype)
    outputs = HostOutputs(10)
    within = [outputs.add([_tensors(b)]) for b in batches]
    for got, batch in zip(within, batches):
        np.testing.assert_array_equal(got["a"], batch["a"])
    result = outputs.result()
    for key, value in _expected(batches).items():
        np.testing.assert_array_equal(result[key], value)


def test_an_overridden_predict_step_with_more_rows():
    class Summary(kerasport.Sequential):
        def predict_step(self, data):
            x = data[0] if isinstance(data, tuple) else data
            y = self(x, training=False)
            return B.concatenate([y, 2 * y], axis=0)  # twice the rows: the second batch overflows the arrays

    model = Summary([kerasport.Input((3,)), kerasport.layers.Dense(2)])
    x = np.random.RandomState(2).rand(10, 3).astype("float32")
    y = x @ model.get_weights()[0] + model.get_weights()[1]
    want = np.concatenate([y[:4], 2 * y[:4], y[4:8], 2 * y[4:8], y[8:], 2 * y[8:]])
    np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0), want, rtol=1e-5, atol=1e-6)
