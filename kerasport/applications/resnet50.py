"""``keras.applications.resnet50``: ResNet50 and its preprocessing, re-exported from ``resnet``."""
from kerasport.applications.resnet import ResNet50, decode_predictions, preprocess_input  # noqa: F401
