"""``kerasport.preprocessing.sequence``: Keras's ``keras.preprocessing.sequence``."""
from kerasport.utils.sequence_utils import pad_sequences  # noqa: F401
