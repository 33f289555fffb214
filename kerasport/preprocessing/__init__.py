"""``kerasport.preprocessing``: Keras 3's ``keras.preprocessing`` namespace.

The dataset builders from directories and arrays, ``image`` (loading, saving, converting and resizing images)
and ``sequence`` (``pad_sequences``), as Keras exposes them; the functions themselves live in
``kerasport.utils``.
"""
from kerasport.preprocessing import image, sequence  # noqa: F401
from kerasport.utils.dataset_utils import (image_dataset_from_directory, text_dataset_from_directory,  # noqa: F401
                                           timeseries_dataset_from_array)
