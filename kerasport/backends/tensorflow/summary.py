"""TensorBoard event writing on TensorFlow: ``tf.summary.write`` with TensorBoard's plugin metadata.

``tf.summary.scalar``/``histogram`` live in the ``tensorboard`` package; writing
the same records with ``tf.summary.write`` works with TensorFlow alone.
"""
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2


def _metadata(plugin):
    return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin))


_SCALARS, _HISTOGRAMS = _metadata("scalars"), _metadata("histograms")


class SummaryWriter:
    """Scalars and histograms into the event file of ``log_dir``."""

    def __init__(self, log_dir):
        self._writer = tf.summary.create_file_writer(log_dir)

    def scalar(self, name, value, step):
        with self._writer.as_default():
            tf.summary.write(name, tf.constant(value, tf.float32), step=step, metadata=_SCALARS)

    def histogram(self, name, values, step, buckets=30):
        """``values``: a NumPy array, written as TensorBoard's ``(left, right, count)`` buckets."""
        counts, edges = np.histogram(np.asarray(values, np.float64).ravel(), bins=buckets)
        table = np.stack([edges[:-1], edges[1:], counts], axis=1)
        with self._writer.as_default():
            tf.summary.write(name, tf.constant(table, tf.float64), step=step, metadata=_HISTOGRAMS)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()
