"""``OptimizerBase``: the class every kerasport optimizer derives from on TensorFlow: a trackable, as Keras 3's
optimizers are, so that ``tf.train.Checkpoint(optimizer=optimizer, model=model)`` saves and restores its
iterations, learning rate and slots (restore into a built optimizer)."""
from kerasport.backends.tensorflow.layer_base import AttributeTrackable as OptimizerBase  # noqa: F401
