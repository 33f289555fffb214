"""The base of the augmentation layers that also take Keras's dict inputs.

The dict protocol (``{"images", "labels", "segmentation_masks", "bounding_boxes"}`` with one
random draw for every entry) lives in ``BaseImagePreprocessingLayer``, which every image layer
shares; ``AugmentationLayer`` is its name for the layers written against this module.
"""
from kerasport.layers.image_preprocessing import BaseImagePreprocessingLayer

AugmentationLayer = BaseImagePreprocessingLayer
