"""Dataset builders of ``kerasport.utils``: ``timeseries_dataset_from_array``, ``split_dataset``,
``text_dataset_from_directory``, ``image_dataset_from_directory`` and ``audio_dataset_from_directory``.

Keras returns ``tf.data.Dataset`` objects. On the TensorFlow backend these do too;
on the torch backend (whose process never imports TensorFlow) the builders return a
``kerasport.utils.PyDataset`` of NumPy batches, and ``split_dataset`` returns
``torch.utils.data`` datasets as Keras's torch path does. ``fit``/``evaluate``/
``predict`` accept all of them.
"""
import os

import numpy as np

from kerasport.backends import B
from kerasport.core import nest
from kerasport.utils import io_utils
from kerasport.utils.py_dataset import PyDataset


class ArrayBatches(PyDataset):
    """A ``PyDataset`` whose batch ``i`` is ``make_batch(order[i*b:(i+1)*b])`` over sample indices.

    Args:
        num_samples: number of samples.
        make_batch: function of an int array of sample indices returning the batch.
        batch_size: samples per batch, or ``None`` for batches of single samples
            (``make_batch`` then gets one index and returns one sample).
        shuffle: reorder the samples (with ``seed``) after each epoch; the first
            epoch keeps the given order.
        seed: seed of the shuffles.
        sample_shape: the shape of one input sample with None where it varies between
            batches, for datasets whose batches differ in shape; None: every batch's is the first's.
    """

    # Stands in for the tf.data.Dataset Keras returns: fit ignores its `shuffle` for it, as for a Dataset.
    fit_shuffles = False

    def __init__(self, num_samples, make_batch, batch_size, shuffle=False, seed=None, sample_shape=None):
        super().__init__()
        self.sample_shape = sample_shape
        self.make_batch = make_batch
        self.batch_size = batch_size
        self.order = np.arange(num_samples)
        self.shuffle = shuffle
        self._rng = np.random.RandomState(seed)

    def __len__(self):
        if self.batch_size is None:
            return len(self.order)
        return -(-len(self.order) // self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range for a dataset of {len(self)} batches.")
        if self.batch_size is None:
            return self.make_batch(self.order[index])
        return self.make_batch(self.order[index * self.batch_size:(index + 1) * self.batch_size])

    def on_epoch_end(self):
        if self.shuffle:
            self._rng.shuffle(self.order)


def to_backend_dataset(batches):
    """``batches`` (an ``ArrayBatches``) as the backend's dataset type: itself on torch, a ``tf.data.Dataset``
    of the same batches on TensorFlow (built by the backend's ``dataset_from_batches``)."""
    return B.dataset_from_batches(batches)


# ----------------------------------------------------------------------------- time series
def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None):
    """Batches of sliding windows over a time series, as Keras makes them.

    Window ``i`` holds the timesteps ``start_i, start_i + sampling_rate, ...``
    (``sequence_length`` of them) of ``data[start_index:end_index]``, with
    ``start_i = i * sequence_stride``; its target is ``targets[start_index + start_i]``.

    Args:
        data: array of timesteps, ``(steps, ...)``.
        targets: array of targets aligned with ``data`` (``targets[i]`` for the
            window starting at ``i``), or ``None`` to yield windows only.
        sequence_length: timesteps per window.
        sequence_stride: steps between the starts of two windows.
        sampling_rate: steps between two timesteps of a window.
        batch_size: windows per batch; ``None`` yields single windows.
        shuffle: shuffle the windows (with ``seed``).
        seed: seed of the shuffle.
        start_index, end_index: the part of ``data`` to use (``end_index`` excluded).

    Returns:
        TensorFlow backend: a ``tf.data.Dataset`` of ``(windows, targets)`` (or windows).
        torch backend: a ``kerasport.utils.PyDataset`` of the same NumPy batches.
        With ``shuffle=True`` the order differs from Keras's (Keras shuffles twice,
        once with NumPy and once with ``tf.data``); the set of windows is the same.
    """
    n = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= n:
            raise ValueError(f"`start_index` must be lower than the length of the data. Received: "
                             f"start_index={start_index}, for data of length {n}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: start_index={start_index}, "
                             f"and end_index={end_index}")
        if end_index >= n:
            raise ValueError(f"`end_index` must be lower than the length of the data. Received: "
                             f"end_index={end_index}, for data of length {n}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= n:
            raise ValueError(f"`{name}` must be lower than the length of the data. Received: {name}={value}, "
                             f"for data of length {n}")
    start_index = start_index or 0
    end_index = n if end_index is None else end_index
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    starts = np.arange(0, max(num_seqs, 0), sequence_stride)
    if shuffle:
        np.random.RandomState(np.random.randint(1e6) if seed is None else seed).shuffle(starts)
    data = np.asarray(data)[start_index:end_index]
    targets = None if targets is None else np.asarray(targets)[start_index:end_index]
    offsets = np.arange(sequence_length) * sampling_rate

    def make_batch(indices):
        first = starts[indices]
        windows = data[np.expand_dims(first, -1) + offsets]
        return windows if targets is None else (windows, targets[first])

    return to_backend_dataset(ArrayBatches(len(starts), make_batch, batch_size, shuffle=False))


# ----------------------------------------------------------------------------- split_dataset
def _split_sizes(left_size, right_size, total):
    """Keras's rules for ``left_size``/``right_size`` (ints are counts, floats are fractions)."""
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"split_dataset: invalid `{name}` type. Expected: int or float or None, "
                            f"Received: type({name})={type(size)}.")
        if type(size) is int and not 0 < size < total or type(size) is float and not 0 < size < 1:
            raise ValueError(f"split_dataset: `{name}` should be either a positive integer smaller than {total}, "
                             f"or a float within the range `[0, 1]`. Received: {name}={size}")
    if left_size is None and right_size is None:
        raise ValueError("split_dataset: at least one of the `left_size` or `right_size` must be specified. "
                         "Received: left_size=None and right_size=None")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError("split_dataset: the sum of `left_size` and `right_size` is greater than 1. It must be "
                         "less than or equal to 1.")
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"split_dataset: the sum of `left_size` and `right_size` should be smaller than the "
                         f"{total}. Received: left_size + right_size = {left + right} and total_length = {total}")
    for side, size in (("left", left), ("right", right)):
        if size == 0:
            raise ValueError(f"split_dataset: with `dataset` of length={total}, `left_size`={left} and "
                             f"`right_size`={right}, the {side} side split would be empty.")
    return int(left), int(right)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None):
    """Split a dataset of samples into a left and a right part, as Keras does.

    Args:
        dataset: a NumPy array, a list/tuple/dict of arrays with the same first
            dim, a ``tf.data.Dataset`` (TensorFlow backend) or a
            ``torch.utils.data.Dataset`` (torch backend).
        left_size: samples (int) or fraction (float) in the left part; by default
            the complement of ``right_size``.
        right_size: samples or fraction in the right part; by default the complement of ``left_size``.
        shuffle: shuffle the samples (with ``seed``) before splitting.
        seed: seed of the shuffle.
        preferred_backend: ``"tensorflow"`` or ``"torch"``; only the active backend's kind can be made.

    Returns:
        ``(left, right)``. TensorFlow backend: ``tf.data.Dataset``s of single samples
        (batched again if the input ``tf.data.Dataset`` was batched), the left part
        being the first ``left_size`` samples and the right part the last
        ``right_size``, exactly as Keras. torch backend: ``torch.utils.data.Subset``s
        (wrap them in a ``DataLoader`` to batch them), drawn as Keras's torch path
        draws them (``torch.utils.data.random_split`` with ``seed``).
    """
    backend = preferred_backend or B.NAME
    if backend != B.NAME:
        raise ValueError(f"split_dataset: preferred_backend={preferred_backend!r} cannot be served by the "
                         f"{B.NAME!r} backend of this process (kerasport never imports the other framework).")
    source = B.split_source(dataset)
    if source is None:
        source = B.arrays_split_source(_check_arrays(dataset))
    samples, total, batch_size = source
    left, right = _split_sizes(left_size, right_size, total)
    order = B.split_order(total, shuffle, seed)
    return B.split_parts(samples, order[:left], order[total - right:], batch_size)


def _check_arrays(dataset):
    if isinstance(dataset, (list, tuple, dict)) and dataset:
        arrays = nest.map_structure(np.asarray, dataset)
        lengths = {len(a) for a in nest.flatten(arrays)}
        if len(lengths) != 1:
            raise ValueError(f"split_dataset: the arrays of `dataset` must have the same first dimension, "
                             f"received lengths {sorted(lengths)}.")
        return tuple(arrays) if isinstance(arrays, list) else arrays
    if isinstance(dataset, np.ndarray) or B.is_tensor(dataset):
        return np.asarray(B.convert_to_numpy(dataset) if B.is_tensor(dataset) else dataset)
    raise TypeError(f"split_dataset: `dataset` must be a NumPy array, a list/tuple/dict of arrays or a "
                    f"{'tf.data.Dataset' if B.NAME == 'tensorflow' else 'torch.utils.data.Dataset'}; "
                    f"received {type(dataset).__name__}.")


# ----------------------------------------------------------------------------- from a directory
def _check_split_args(validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide a `seed` argument, "
                         "to make sure that there is no overlap between the training and validation subset.")


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False,
                    verbose=True):
    """Keras's file listing: ``(file_paths, labels, class_names)``, one class per sorted subfolder.

    Files are sorted within each class folder (recursively), classes in
    ``class_names`` order; with ``shuffle`` paths and labels are shuffled with
    ``RandomState(seed)``, so the same seed gives Keras's order.
    """
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(f"The `class_names` passed did not match the names of the subdirectories of the "
                                 f"target directory. Expected: {subdirs} (or a subset of it), but received: "
                                 f"class_names={class_names}")
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError("When `labels=None` (no labels), argument `class_names` cannot be specified."
                             if labels is None else "When argument `labels` is specified, argument "
                             "`class_names` cannot be specified (the `class_names` will be the sorted list of labels).")
        subdirs = [""]
    files, found = [], []
    for index, subdir in enumerate(subdirs):
        root = os.path.join(directory, subdir)
        for dirpath, _, names in sorted(os.walk(root, followlinks=follow_links), key=lambda w: w[0]):
            for name in sorted(names):
                if name.lower().endswith(formats):
                    files.append(os.path.join(dirpath, name))
                    found.append(index)
    if labels == "inferred":
        labels, class_names = np.asarray(found, dtype="int32"), subdirs
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(files):
            raise ValueError(f"Expected the lengths of `labels` to match the number of files in the target "
                             f"directory. len(labels) is {len(labels)} while we found {len(files)} files in "
                             f"directory {directory}.")
        class_names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        io_utils.print_msg(f"Found {len(files)} files." if labels is None else
                           f"Found {len(files)} files belonging to {len(class_names)} classes.")
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(files)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return files, labels, class_names


def _subsets(files, labels, validation_split, subset):
    """``[(files, labels), ...]`` of the requested subset(s), cut from the end as Keras cuts them."""
    if not validation_split:
        return [(files, labels)]
    n_val = int(validation_split * len(files))
    train = (files[:-n_val], None if labels is None else labels[:-n_val])
    val = (files[-n_val:], None if labels is None else labels[-n_val:])
    if subset in ("training", "both"):
        io_utils.print_msg(f"Using {len(files) - n_val} files for training.")
    if subset in ("validation", "both"):
        io_utils.print_msg(f"Using {n_val} files for validation.")
    return {"training": [train], "validation": [val], "both": [train, val]}[subset]


def _encode_labels(labels, label_mode, num_classes):
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels]
    return labels.astype("int32")


def _from_directory(fn_name, directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                    validation_split, subset, follow_links, verbose, formats, load, stack=np.stack,
                    sample_shape=None):
    """The shared part of the ``*_dataset_from_directory`` builders; ``load(path)`` reads one sample, ``stack``
    makes a batch of samples, ``sample_shape`` (None where sizes vary) is that of ``ArrayBatches``."""
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(f"{fn_name}: `labels` argument should be a list/tuple of integer labels, of the same size "
                         f"as the number of files in the target directory, 'inferred' or None. Received: "
                         f"labels={labels}")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f'{fn_name}: `label_mode` argument must be one of "int", "categorical", "binary", or '
                         f"None. Received: label_mode={label_mode}")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    _check_split_args(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    files, found, class_names = index_directory(directory, labels, formats, class_names=class_names,
                                                shuffle=shuffle, seed=seed, follow_links=follow_links,
                                                verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'{fn_name}: when passing `label_mode="binary"`, there must be exactly 2 class_names. '
                         f"Received: class_names={class_names}")
    results = []
    for part_files, part_labels in _subsets(files, found, validation_split, subset):
        if not part_files:
            raise ValueError(f"{fn_name}: no files found in directory {directory}. Allowed formats: {formats}")
        encoded = None if part_labels is None else _encode_labels(part_labels, label_mode, len(class_names))

        def make_batch(indices, part_files=part_files, encoded=encoded):
            if np.ndim(indices) == 0:
                sample = load(part_files[int(indices)])
                return sample if encoded is None else (sample, encoded[int(indices)])
            samples = stack([load(part_files[i]) for i in indices])
            return samples if encoded is None else (samples, encoded[indices])

        batches = ArrayBatches(len(part_files), make_batch, batch_size, shuffle=shuffle, seed=seed,
                               sample_shape=sample_shape)
        dataset = to_backend_dataset(batches)
        dataset.class_names = class_names
        dataset.file_paths = list(part_files)
        results.append(dataset)
    return results[0] if len(results) == 1 else tuple(results)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """Batches of ``(texts, labels)`` from ``.txt`` files in one subfolder per class, as Keras makes them.

    Args:
        directory: folder with one subfolder of ``.txt`` files per class
            (``labels="inferred"``), or of files only.
        labels: ``"inferred"`` (from the subfolders), a list of int labels in the
            sorted order of the files, or ``None`` (texts only).
        label_mode: ``"int"`` (int32), ``"categorical"`` (one-hot float32),
            ``"binary"`` (float32 ``(n, 1)``, two classes) or ``None``.
        class_names: subfolders to use, in this order (``labels="inferred"`` only).
        batch_size: texts per batch (``None``: single texts).
        max_length: keep at most this many characters of each text.
        shuffle: shuffle the files (again each epoch).
        seed: seed of the shuffles and of the validation split.
        validation_split: fraction of the files kept for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a pair of datasets).
        follow_links: follow symbolic links to folders.
        verbose: print how many files and classes were found.

    Returns:
        TensorFlow backend: a ``tf.data.Dataset`` of ``tf.string`` texts; torch
        backend: a ``PyDataset`` of NumPy arrays of ``str``. Both carry
        ``.class_names`` and ``.file_paths``.
    """

    def load(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return np.asarray(text[:max_length] if max_length is not None else text, dtype=object)

    return _from_directory("text_dataset_from_directory", directory, labels, label_mode, class_names, batch_size,
                           shuffle, seed, validation_split, subset, follow_links, verbose, (".txt",), load)


IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 verbose=True):
    """Batches of ``(images, labels)`` from image files in one subfolder per class (needs Pillow).

    Images (``.bmp``, ``.gif``, ``.jpeg``, ``.jpg``, ``.png``) are decoded and
    resized with Pillow to ``image_size`` and returned as float32 arrays
    ``(batch, height, width, channels)`` (channels first with
    ``data_format="channels_first"``). The arguments are Keras's (see
    ``text_dataset_from_directory`` for ``labels`` ... ``verbose``).

    Args:
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"`` (1, 3 or 4 channels).
        image_size: ``(height, width)`` every image is resized to.
        interpolation: Pillow resampling: ``"nearest"``, ``"bilinear"``,
            ``"bicubic"``, ``"lanczos"``, ``"box"`` or ``"hamming"``.
        crop_to_aspect_ratio: crop the centre of each image to the target aspect
            ratio before resizing, instead of distorting it.
        pad_to_aspect_ratio: pad (with zeros) to the target aspect ratio instead.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default ``image_data_format()``).

    Returns:
        TensorFlow backend: a ``tf.data.Dataset``; torch backend: a ``PyDataset``.
        Both carry ``.class_names`` and ``.file_paths``. Images are resized as Keras's
        (``tf.image.resize``, i.e. ``kerasport.ops.image.resize``).
    """
    from kerasport import ops_image as image_ops
    from kerasport.utils import image_utils
    channels = {"grayscale": 1, "rgb": 3, "rgba": 4}
    if color_mode not in channels:
        raise ValueError(f'image_dataset_from_directory: `color_mode` must be one of {{"rgb", "rgba", '
                         f'"grayscale"}}. Received: color_mode={color_mode}')
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("image_dataset_from_directory: only one of `crop_to_aspect_ratio` and "
                         "`pad_to_aspect_ratio` can be True.")
    image_utils.pil_module("image_dataset_from_directory")
    height, width = image_size

    def load(path):
        img = image_utils.load_img(path, color_mode=color_mode)
        if crop_to_aspect_ratio or pad_to_aspect_ratio:
            img = image_utils.fit_aspect_ratio(img, width / height, pad=pad_to_aspect_ratio)
        if interpolation not in image_ops.RESIZE_INTERPOLATIONS:  # Pillow's own filters ("box", "hamming", ...)
            img = img.resize((width, height), image_utils.resample_filter(interpolation))
        array = image_utils.img_to_array(img, data_format=data_format, dtype="float32")
        if img.size == (width, height):
            return array
        # Keras's pixels: the resampling of ``tf.image.resize`` (that of ``keras.ops.image.resize``), not Pillow's.
        return B.convert_to_numpy(image_ops.resize(array, (height, width), interpolation=interpolation,
                                                   data_format=data_format))

    return _from_directory("image_dataset_from_directory", directory, labels, label_mode, class_names, batch_size,
                           shuffle, seed, validation_split, subset, follow_links, verbose, IMAGE_FORMATS, load)


def _pad_and_stack(samples):
    """Samples ``(length, channels)`` of different lengths zero-padded to the longest and stacked, as
    ``tf.data.Dataset.padded_batch`` batches them."""
    longest = max(len(s) for s in samples)
    return np.stack([np.pad(s, ((0, longest - len(s)),) + ((0, 0),) * (s.ndim - 1)) for s in samples])


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                 sampling_rate=None, output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None, follow_links=False, verbose=True):
    """Batches of ``(audio, labels)`` from ``.wav`` files in one subfolder per class, as Keras makes them.

    Each file is decoded to float32 samples in ``[-1, 1)``, shape ``(samples, channels)``
    (``tf.audio.decode_wav`` on the TensorFlow backend, the standard library's ``wave`` module on
    torch). Without ``output_sequence_length`` the clips of a batch are zero-padded to the longest
    one. The arguments are Keras's (see ``text_dataset_from_directory`` for ``labels`` ... ``verbose``).

    Args:
        sampling_rate: the rate to resample to; kerasport does not resample (Keras needs
            ``tensorflow-io`` for it): only None is accepted.
        output_sequence_length: truncate or zero-pad every clip to this many samples.
        ragged: Keras's ragged batches; not supported (TensorFlow-only ragged tensors): use
            ``output_sequence_length`` or the padded batches.

    Returns:
        TensorFlow backend: a ``tf.data.Dataset``; torch backend: a ``PyDataset``. Both yield
        ``(audio, labels)`` with ``audio`` float32 ``(batch, samples, channels)`` (audio only
        with ``labels=None`` / ``label_mode=None``), and carry ``.class_names`` and ``.file_paths``.

    Example:

    >>> train, val = keras.utils.audio_dataset_from_directory(
    ...     "speech_commands", batch_size=16, output_sequence_length=16000,
    ...     validation_split=0.2, subset="both", seed=0)
    """
    if ragged and output_sequence_length is not None:
        raise ValueError("audio_dataset_from_directory: cannot set both `ragged` and `output_sequence_length`.")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int) or isinstance(sampling_rate, bool):
            raise ValueError(f"audio_dataset_from_directory: `sampling_rate` should have an integer value. "
                             f"Received: sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError(f"audio_dataset_from_directory: `sampling_rate` should be higher than 0. "
                             f"Received: sampling_rate={sampling_rate}")
        raise NotImplementedError("audio_dataset_from_directory: resampling (`sampling_rate`) is not supported by "
                                  "kerasport (Keras needs tensorflow-io for it); resample the files beforehand and "
                                  "pass sampling_rate=None.")
    if ragged:
        raise NotImplementedError("audio_dataset_from_directory: `ragged=True` is not supported by kerasport; use "
                                  "`output_sequence_length`, or the default batches padded to their longest clip.")
    if output_sequence_length is not None and (not isinstance(output_sequence_length, int)
                                               or output_sequence_length <= 0):
        raise ValueError(f"audio_dataset_from_directory: `output_sequence_length` must be a positive int or None, "
                         f"received {output_sequence_length!r}.")
    desired = -1 if output_sequence_length is None else output_sequence_length

    def load(path):
        with open(path, "rb") as f:
            contents = f.read()
        try:
            return B.decode_wav(contents, desired)[0]
        except ValueError as e:
            raise ValueError(f"audio_dataset_from_directory: cannot read {path}: {e}") from None

    return _from_directory("audio_dataset_from_directory", directory, labels, label_mode, class_names, batch_size,
                           shuffle, seed, validation_split, subset, follow_links, verbose, (".wav",), load,
                           stack=np.stack if output_sequence_length else _pad_and_stack,
                           sample_shape=(output_sequence_length, None))
