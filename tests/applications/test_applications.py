"""Every ``kerasport.applications`` architecture gives Keras's numbers from Keras's weight files.

CI runs a fixed representative subset (one configuration per family, small images; VGG19 and
InceptionResNetV2 share their builders with VGG16 and InceptionV3 and are left to the sweep); the full
sweep over every model function is marked ``sweep``.
"""
import importlib
import json
import os
import tempfile

import numpy as np
import pytest

from tests.applications.oracle import case, generate
from tests.helpers import shared_answer

CI_CASES = [
    case("vgg16", "VGG16", (32, 32, 3), include_top=False, input_shape=(32, 32, 3)),
    case("resnet", "ResNet50", (64, 64, 3), include_top=False, pooling="avg", input_shape=(64, 64, 3)),
    case("resnet_v2", "ResNet50V2", (64, 64, 3), legacy=False, include_top=True, classes=7,
         input_shape=(64, 64, 3)),
    case("mobilenet", "MobileNet", (64, 64, 3), alpha=0.25, classes=5, input_shape=(64, 64, 3)),
    case("mobilenet_v2", "MobileNetV2", (96, 96, 3), legacy=False, alpha=0.35, include_top=False, pooling="avg",
         input_shape=(96, 96, 3)),
    case("densenet", "DenseNet121", (32, 32, 3), include_top=False, pooling="max", input_shape=(32, 32, 3)),
    case("xception", "Xception", (71, 71, 3), legacy=False, include_top=False, input_shape=(71, 71, 3)),
    case("inception_v3", "InceptionV3", (75, 75, 3), include_top=False, pooling="avg", input_shape=(75, 75, 3)),
    case("efficientnet", "EfficientNetB0", (32, 32, 3), classes=3, input_shape=(32, 32, 3)),
    case("efficientnet_v2", "EfficientNetV2B0", (32, 32, 3), legacy=False, include_top=False, pooling="avg",
         input_shape=(32, 32, 3)),
    case("mobilenet_v3", "MobileNetV3Small", (32, 32, 3), classes=4, input_shape=(32, 32, 3)),
    case("convnext", "ConvNeXtTiny", (32, 32, 3), include_top=False, pooling="avg", input_shape=(32, 32, 3)),
    case("nasnet", "NASNetMobile", (32, 32, 3), legacy=False, include_top=False, pooling="max",
         input_shape=(32, 32, 3)),
]


@pytest.fixture(scope="module")
def keras_files(request, tmp_path_factory):
    """Keras's files for every case selected in this session, written by one child process per Keras (once
    per ``make test`` run: ``shared_answer``)."""
    selected = [item.callspec.params["c"] for item in request.session.items if hasattr(item, "callspec")
                and "c" in item.callspec.params and not item.get_closest_marker("skip")]

    def write():
        folder = tempfile.mkdtemp(prefix="applications",
                                  dir=os.environ.get("KERASPORT_TEST_ORACLE_CACHE") or tmp_path_factory.getbasetemp())
        generate(selected, folder)
        return folder
    return shared_answer("applications " + json.dumps(selected, sort_keys=True), write)


def check_case(c, folder):
    module = importlib.import_module(f"kerasport.applications.{c['module']}")
    path = os.path.join(folder, c["id"] + (".h5" if c["legacy"] else ".weights.h5"))
    model = getattr(module, c["fn"])(weights=path, **c["kwargs"])
    images = np.load(os.path.join(folder, c["id"] + "_images.npy"))
    got = model.predict(module.preprocess_input(images.copy()), verbose=0)
    expected = np.load(os.path.join(folder, c["id"] + "_pred.npy"))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("c", CI_CASES, ids=[c["id"] for c in CI_CASES])
def test_same_numbers_as_keras(c, keras_files):
    check_case(c, keras_files)


def _sweep():
    """Every model function once against Keras: legacy ``.h5`` with the top at the default size where it is
    small enough, ``.weights.h5`` without the top and a non-default input shape, each pooling option."""
    functions = {
        "vgg16": ["VGG16"], "vgg19": ["VGG19"], "resnet": ["ResNet50", "ResNet101", "ResNet152"],
        "resnet_v2": ["ResNet50V2", "ResNet101V2", "ResNet152V2"], "inception_v3": ["InceptionV3"],
        "inception_resnet_v2": ["InceptionResNetV2"], "xception": ["Xception"], "mobilenet": ["MobileNet"],
        "mobilenet_v2": ["MobileNetV2"], "mobilenet_v3": ["MobileNetV3Small", "MobileNetV3Large"],
        "densenet": ["DenseNet121", "DenseNet169", "DenseNet201"],
        "efficientnet": [f"EfficientNetB{i}" for i in range(8)],
        "efficientnet_v2": [f"EfficientNetV2{s}" for s in ("B0", "B1", "B2", "B3", "S", "M", "L")],
        "convnext": [f"ConvNeXt{s}" for s in ("Tiny", "Small", "Base", "Large", "XLarge")],
        "nasnet": ["NASNetMobile", "NASNetLarge"],
    }
    small = {"inception_v3": 75, "inception_resnet_v2": 75, "xception": 71}
    cases = []
    for module, fns in functions.items():
        for i, fn in enumerate(fns):
            side = small.get(module, 32) + 8
            pooling = ["avg", "max", None][i % 3]
            cases.append(case(module, fn, (side, side, 3), legacy=False, include_top=False, pooling=pooling,
                              input_shape=(side, side, 3)))
            top = 224 if module in {"mobilenet", "mobilenet_v2", "mobilenet_v3", "resnet", "densenet"} else None
            if top and i == 0:
                cases.append(case(module, fn, (top, top, 3)))
    return cases


SWEEP = _sweep()


@pytest.mark.sweep
@pytest.mark.parametrize("c", SWEEP, ids=[c["id"] for c in SWEEP])
def test_full_sweep_same_numbers_as_keras(c, keras_files):
    check_case(c, keras_files)
