"""What every ImageNet model shares: input checks and construction, the classifier head, weight files,
``preprocess_input`` (caffe / tf / torch modes) and ``decode_predictions``, as in Keras's ``imagenet_utils``."""
import json
import os
import warnings

import numpy as np

from kerasport import activations, backend, layers, ops
from kerasport.models import Functional
from kerasport.utils import file_utils, graph_utils

CLASS_INDEX = None
CLASS_INDEX_PATH = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
KERAS_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"
CAFFE_MEAN = (103.939, 116.779, 123.68)
TORCH_MEAN, TORCH_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocess a batch of images (values in [0, 255]) the way an ImageNet model was trained.

    Args:
        x: float NumPy array or backend tensor, 3D or 4D, with 3 colour channels.
            A float NumPy array is modified in place, as in Keras.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            ``kerasport.backend.image_data_format()``.
        mode: ``"caffe"`` (RGB to BGR, then subtract the ImageNet channel means),
            ``"tf"`` (scale to [-1, 1]) or ``"torch"`` (scale to [0, 1], then
            normalise each channel with the ImageNet mean and std).

    Returns:
        The preprocessed array or tensor (float32 for integer input).
    """
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}")
    if data_format is None:
        data_format = backend.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Expected data_format to be one of `channels_first` or `channels_last`. "
                         f"Received: data_format={data_format}")
    numpy = isinstance(x, np.ndarray)
    if numpy and not issubclass(x.dtype.type, np.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        if numpy:
            x /= 127.5
            x -= 1.0
            return x
        return x / 127.5 - 1.0
    axis = (0 if len(x.shape) == 3 else 1) if data_format == "channels_first" else len(x.shape) - 1
    shape = [1] * len(x.shape)
    shape[axis] = 3
    if mode == "torch":
        x = x / 255.0
        mean, std = TORCH_MEAN, TORCH_STD
    else:
        if numpy:
            x = np.flip(x, axis)
        else:
            x = ops.flip(x, axis=axis)
        mean, std = CAFFE_MEAN, None
    if numpy:
        x -= np.reshape(np.asarray(mean, x.dtype), shape)
        if std is not None:
            x /= np.reshape(np.asarray(std, x.dtype), shape)
        return x
    x = x - ops.reshape(ops.convert_to_tensor(np.asarray(mean), dtype=x.dtype), shape)
    if std is not None:
        x = x / ops.reshape(ops.convert_to_tensor(np.asarray(std), dtype=x.dtype), shape)
    return x


def decode_predictions(preds, top=5):
    """Turn a batch of ImageNet predictions into ``(class_id, class_name, score)`` lists, best first.

    The class index (``imagenet_class_index.json``) comes through ``kerasport.utils.get_file``:
    read from Keras's cache (``~/.keras/models`` or ``$KERAS_HOME/models``) when present,
    downloaded otherwise.

    Args:
        preds: array or tensor of shape ``(samples, 1000)``.
        top: how many classes to return per sample.

    Returns:
        One list of ``top`` tuples per sample.
    """
    global CLASS_INDEX
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
                         f"(samples, 1000)). Received array with shape: {tuple(preds.shape)}")
    if CLASS_INDEX is None:
        path = file_utils.get_file("imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models",
                                   file_hash=CLASS_INDEX_HASH)
        with open(path) as f:
            CLASS_INDEX = json.load(f)
    results = []
    for pred in ops.convert_to_numpy(preds):
        best = pred.argsort()[-top:][::-1]
        results.append(sorted((tuple(CLASS_INDEX[str(i)]) + (pred[i],) for i in best), key=lambda t: t[2],
                              reverse=True))
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """The model's input shape: ``input_shape`` checked, or the default (``None`` sides without a top)."""
    first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was passed an "
                          f"input_shape with {channels} input channels.", stacklevel=3)
        default_shape = (channels, default_size, default_size) if first else (default_size, default_size, channels)
    else:
        default_shape = (3, default_size, default_size) if first else (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, `input_shape` should "
                             f"be {default_shape}.  Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(f"`input_shape` must be a tuple of three integers. Received: input_shape={input_shape}")
        channels, sides = (input_shape[0], input_shape[1:]) if first else (input_shape[-1], input_shape[:2])
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        if any(s is not None and s < min_size for s in sides):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. Received: "
                         f"input_shape={input_shape}")
    return input_shape


def correct_pad(inputs, kernel_size):
    """The ``ZeroPadding2D`` padding that makes a stride-2 ``valid`` convolution match TF's ``same``."""
    axis = 2 if backend.image_data_format() == "channels_first" else 1
    size = inputs.shape[axis:axis + 2]
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    return ((kernel[0] // 2 - adjust[0], kernel[0] // 2), (kernel[1] // 2 - adjust[1], kernel[1] // 2))


def validate_activation(classifier_activation, weights):
    """With pretrained weights only ``None`` and ``"softmax"`` may end the classifier."""
    if weights is None:
        return
    if activations.get(classifier_activation) not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError("Only `None` and `softmax` activations are allowed for the `classifier_activation` "
                         "argument when using pretrained weights, with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


def check_weights(weights, include_top, classes):
    """Reject a ``weights`` that is neither ``None``, ``"imagenet"`` nor an existing file, and a 1000-class mismatch."""
    if not (weights in {"imagenet", None} or os.path.exists(os.fspath(weights))):
        raise ValueError("The `weights` argument should be either `None` (random initialization), 'imagenet' "
                         "(pre-training on ImageNet), or the path to the weights file to be loaded.  Received: "
                         f"weights={weights}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000.  "
                         f"Received classes={classes}")


def image_input(input_tensor, input_shape):
    """The image tensor the network starts from: a new ``Input``, or one wrapping / reusing ``input_tensor``."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not graph_utils.is_keras_tensor(input_tensor):
        return layers.Input(tensor=input_tensor, shape=input_shape)
    return input_tensor


def channel_axis():
    """The channel axis of a 4D image batch under the current image data format."""
    return 1 if backend.image_data_format() == "channels_first" else -1


def pool(x, pooling, avg_name=None, max_name=None):
    """``include_top=False``'s optional global pooling: ``"avg"``, ``"max"`` or none."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def dense_top(x, classes, classifier_activation, weights, pool_name="avg_pool", dropout=None):
    """The usual classifier: global average pooling, optional dropout, a ``predictions`` Dense layer."""
    x = layers.GlobalAveragePooling2D(name=pool_name)(x)
    if dropout:
        x = layers.Dropout(dropout, name="top_dropout")(x)
    validate_activation(classifier_activation, weights)
    return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)


def build(input_tensor, img_input, x, name, weights, imagenet_file=None):
    """Make the Functional model and load its weights.

    Args:
        input_tensor: the user's ``input_tensor`` (its source inputs become the model's inputs) or ``None``.
        img_input: the tensor the network was built from.
        x: the network's output.
        name: the model's name.
        weights: ``None``, ``"imagenet"`` or a weights file path.
        imagenet_file: ``(file_name, origin, file_hash)`` of the ImageNet file that fits this
            configuration; the file is fetched with ``get_file`` into the ``models`` cache folder.
    """
    inputs = img_input if input_tensor is None else graph_utils.get_source_inputs(input_tensor)
    model = Functional(inputs, x, name=name)
    if weights == "imagenet":
        if imagenet_file is None:
            raise ValueError(f"No ImageNet weights are published for this configuration of {name}.")
        file_name, origin, file_hash = imagenet_file
        model.load_weights(file_utils.get_file(file_name, origin, cache_subdir="models", file_hash=file_hash))
    elif weights is not None:
        model.load_weights(weights)
    return model


MODEL_ARGS = """
    Args:
        include_top: whether to include the classifier at the top of the network.
        weights: ``None`` (random initialization), ``"imagenet"`` (Keras's published ImageNet
            weights, fetched with ``kerasport.utils.get_file`` into ``~/.keras/models`` or read
            from that cache when already there) or the path of a weights file to load
            (legacy ``.h5`` or Keras 3 ``.weights.h5``).
        input_tensor: optional tensor (e.g. ``kerasport.Input``) to use as the image input.
        input_shape: optional shape tuple without the batch axis, only to be given with
            ``include_top=False`` (otherwise the input shape has to be {size}).
        pooling: with ``include_top=False``, ``None`` (4D feature map), ``"avg"`` or ``"max"``
            (global pooling, 2D output).
        classes: number of classes, only with ``include_top=True`` and no ``weights``.
        classifier_activation: activation of the top layer (``None`` gives logits); only
            ``None`` or ``"softmax"`` with pretrained weights.
        name: the model's name.{extra}

    Returns:
        A ``kerasport.Model``. Its inputs expect ``{module}.preprocess_input`` to have been applied.
    """


def model_doc(summary, module, size="(224, 224, 3)", extra=""):
    """Decorator: give a model function the shared Keras-style docstring (``summary`` + the common Args)."""
    def set_doc(fn):
        fn.__doc__ = summary + "\n" + MODEL_ARGS.format(size=f"``{size}``", module=module, extra=extra)
        return fn
    return set_doc
