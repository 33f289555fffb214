"""``kerasport.applications`` plumbing: ``preprocess_input`` against Keras's, ``decode_predictions`` and
``weights="imagenet"`` through ``get_file`` (a local HTTP server, then the offline cache), argument checks."""
import functools
import hashlib
import http.server
import json
import threading

import numpy as np
import pytest

import kerasport
from kerasport import applications, ops
from kerasport.applications import imagenet_utils, mobilenet_v2
from tests.helpers import keras_module


@pytest.fixture
def served(tmp_path):
    """A folder served by an HTTP server on 127.0.0.1; yields ``(folder, base_url, stop)``."""
    folder = tmp_path / "remote"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    def stop():
        httpd.shutdown()
        httpd.server_close()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}/", stop
    stop()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("rank", [3, 4])
def test_preprocess_input_matches_keras(mode, data_format, rank):
    keras = keras_module()
    shape = (4, 5, 3) if data_format == "channels_last" else (3, 4, 5)
    images = np.random.RandomState(0).uniform(0, 255, ((2,) if rank == 4 else ()) + shape).astype("float32")
    expected = keras.applications.imagenet_utils.preprocess_input(images.copy(), data_format=data_format, mode=mode)
    got_numpy = imagenet_utils.preprocess_input(images.copy(), data_format=data_format, mode=mode)
    np.testing.assert_allclose(got_numpy, expected, rtol=1e-6, atol=1e-5)
    tensor = ops.convert_to_tensor(images)
    got_tensor = imagenet_utils.preprocess_input(tensor, data_format=data_format, mode=mode)
    np.testing.assert_allclose(ops.convert_to_numpy(got_tensor), expected, rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(ops.convert_to_numpy(tensor), images)  # a tensor is never changed in place


def test_preprocess_input_integer_images_and_bad_arguments():
    images = np.full((1, 2, 2, 3), 255, dtype="uint8")
    out = applications.resnet_v2.preprocess_input(images)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 1.0)
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(images, mode="bgr")
    with pytest.raises(ValueError, match="data_format"):
        imagenet_utils.preprocess_input(images, data_format="nhwc")


def test_decode_predictions_downloads_the_class_index_once(served, tmp_path, monkeypatch):
    folder, base, stop = served
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (folder / "imagenet_class_index.json").write_text(json.dumps(index))
    md5 = hashlib.md5((folder / "imagenet_class_index.json").read_bytes()).hexdigest()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_PATH", base + "imagenet_class_index.json")
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", md5)
    preds = np.random.RandomState(0).rand(2, 1000).astype("float32")
    top = applications.vgg16.decode_predictions(preds, top=3)
    assert (tmp_path / "home" / "models" / "imagenet_class_index.json").exists()
    for row, result in zip(preds, top):
        best = np.argsort(row)[::-1][:3]
        assert [r[0] for r in result] == [f"n{i:08d}" for i in best]
        assert [r[1] for r in result] == [f"class_{i}" for i in best]
        np.testing.assert_allclose([r[2] for r in result], row[best])
    stop()
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)  # read again from the cache, offline
    assert applications.resnet50.decode_predictions(preds, top=1)[1][0][1] == f"class_{np.argmax(preds[1])}"
    with pytest.raises(ValueError, match=r"\(samples, 1000\).*\(2, 10\)"):
        imagenet_utils.decode_predictions(preds[:, :10])


def test_imagenet_weights_through_get_file_then_offline(served, tmp_path, monkeypatch):
    folder, base, stop = served
    source = applications.MobileNetV2(weights=None, alpha=0.35, include_top=False, input_shape=(96, 96, 3))
    for v in source.weights:
        v.assign(np.random.RandomState(len(v.path)).uniform(-1, 1, tuple(v.shape)).astype("float32"))
    file_name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    source.save_weights(str(folder / file_name))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", base)
    images = np.random.RandomState(1).uniform(0, 255, (2, 96, 96, 3)).astype("float32")
    expected = source.predict(mobilenet_v2.preprocess_input(images.copy()), verbose=0)
    loaded = mobilenet_v2.MobileNetV2(weights="imagenet", alpha=0.35, include_top=False, input_shape=(96, 96, 3))
    assert (tmp_path / "home" / "models" / file_name).exists()
    np.testing.assert_allclose(loaded.predict(mobilenet_v2.preprocess_input(images.copy()), verbose=0), expected,
                               rtol=1e-5, atol=1e-5)
    stop()
    offline = mobilenet_v2.MobileNetV2(weights="imagenet", alpha=0.35, include_top=False, input_shape=(96, 96, 3))
    for a, b in zip(offline.weights, source.weights):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))


def test_argument_errors_name_what_was_received(tmp_path):
    with pytest.raises(ValueError, match="weights.*Received: weights=nope.h5"):
        applications.VGG16(weights="nope.h5")
    with pytest.raises(ValueError, match="classes.*1000"):
        applications.ResNet50(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32.*input_shape=\\(16, 16, 3\\)"):
        applications.VGG16(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="static `input_shape`"):
        applications.ResNet50(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="softmax"):
        applications.DenseNet121(weights="imagenet", classifier_activation="relu")
    with pytest.raises(ValueError, match="alpha"):
        applications.MobileNet(weights="imagenet", alpha=0.3)


def test_every_keras_name_exists_with_keras_defaults():
    keras = keras_module()
    import inspect
    names = [n for n in dir(keras.applications) if n[0].isupper()]
    assert names and all(hasattr(applications, n) for n in names), [n for n in names if not hasattr(applications, n)]
    for n in names:
        ours = inspect.signature(getattr(applications, n)).parameters
        theirs = inspect.signature(getattr(keras.applications, n)).parameters
        assert {k: p.default for k, p in ours.items()} == {k: p.default for k, p in theirs.items()}, n
    for module in ["convnext", "densenet", "efficientnet", "efficientnet_v2", "inception_resnet_v2", "inception_v3",
                   "mobilenet", "mobilenet_v2", "mobilenet_v3", "nasnet", "resnet", "resnet50", "resnet_v2", "vgg16",
                   "vgg19", "xception"]:
        assert callable(getattr(applications, module).preprocess_input)
        assert callable(getattr(applications, module).decode_predictions)


def test_input_tensor_and_transfer_use():
    inputs = kerasport.Input((64, 64, 3))
    base = applications.ResNet50V2(weights=None, include_top=False, input_tensor=inputs, pooling="avg")
    assert base.inputs[0] is inputs and tuple(base.output.shape) == (None, 2048)
    model = applications.MobileNetV3Small(weights=None, input_shape=(64, 64, 3), classes=3)
    assert tuple(model.output.shape) == (None, 3)
    out = model.predict(np.zeros((1, 64, 64, 3), "float32"), verbose=0)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-5)
