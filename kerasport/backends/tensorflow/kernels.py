"""Which TensorFlow convolution kernels this machine has: probed once per process, then cached.

TensorFlow's Eigen CPU kernels (CPUs without AVX-512, or ``TF_ENABLE_ONEDNN_OPTS=0``) lack the
gradient of grouped convolutions, dilated transposed convolutions and depthwise convolutions with
unequal strides; oneDNN and GPUs have them. (``channels_first`` is always transposed to
``channels_last`` around the kernel: Eigen has no NCHW convolution, and on a GPU grappler's layout
optimizer picks the layout itself.) ``nn`` asks ``supports(name)`` when it builds a
convolution (at trace time under ``tf.function``) and picks the native kernel where it exists, an
equivalent form that every kernel set runs otherwise.
"""
import functools

import tensorflow as tf


# Each probe runs the forward and both backward kernels of one op as raw ops: a gradient tape
# would record nothing under the ``tf.init_scope`` that lifts the probe out of a trace.
def _grouped_conv():
    x, k, dy, s = tf.ones((1, 3, 3, 2)), tf.ones((2, 2, 1, 2)), tf.ones((1, 2, 2, 2)), [1, 1, 1, 1]
    tf.raw_ops.Conv2D(input=x, filter=k, strides=s, padding="VALID")
    tf.raw_ops.Conv2DBackpropInput(input_sizes=[1, 3, 3, 2], filter=k, out_backprop=dy, strides=s, padding="VALID")
    tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=[2, 2, 1, 2], out_backprop=dy, strides=s, padding="VALID")


def _dilated_conv_transpose():
    # The transposed convolution of ``x`` is the input-gradient kernel of the convolution producing ``x``.
    x, k, y, s, d = tf.ones((1, 2, 2, 1)), tf.ones((2, 2, 1, 1)), tf.ones((1, 4, 4, 1)), [1, 1, 1, 1], [1, 2, 2, 1]
    tf.raw_ops.Conv2DBackpropInput(input_sizes=[1, 4, 4, 1], filter=k, out_backprop=x, strides=s, padding="VALID",
                                   dilations=d)
    tf.raw_ops.Conv2D(input=y, filter=k, strides=s, padding="VALID", dilations=d)
    tf.raw_ops.Conv2DBackpropFilter(input=y, filter_sizes=[2, 2, 1, 1], out_backprop=x, strides=s, padding="VALID",
                                    dilations=d)


def _unequal_strides_depthwise():
    x, k, dy, s = tf.ones((1, 4, 4, 2)), tf.ones((1, 1, 2, 1)), tf.ones((1, 2, 4, 2)), [1, 2, 1, 1]
    tf.raw_ops.DepthwiseConv2dNative(input=x, filter=k, strides=s, padding="VALID")
    tf.raw_ops.DepthwiseConv2dNativeBackpropInput(input_sizes=[1, 4, 4, 2], filter=k, out_backprop=dy, strides=s,
                                                  padding="VALID")
    tf.raw_ops.DepthwiseConv2dNativeBackpropFilter(input=x, filter_sizes=[1, 1, 2, 1], out_backprop=dy, strides=s,
                                                   padding="VALID")


PROBES = {
    "grouped_conv": _grouped_conv,
    "dilated_conv_transpose": _dilated_conv_transpose,
    "unequal_strides_depthwise": _unequal_strides_depthwise,
}


@functools.lru_cache(maxsize=None)
def supports(name):
    """Whether the native kernel ``name`` (a key of ``PROBES``) runs here, forward and backward.

    The probe runs eagerly on tensors of a few pixels the first time a name is asked for; the
    answer is kept for the life of the process.
    """
    with tf.init_scope():
        try:
            PROBES[name]()
        except (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError):
            return False
    return True
