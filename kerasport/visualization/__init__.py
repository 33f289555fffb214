"""``kerasport.visualization``: boxes and segmentation masks drawn on images, and galleries of images
(``keras.visualization``).

Drawing needs only NumPy (box labels are written with Pillow, the ``image`` extra); the galleries are
drawn with matplotlib (the ``plot`` extra).
"""
from kerasport.visualization.boxes import draw_bounding_boxes  # noqa: F401
from kerasport.visualization.galleries import (plot_bounding_box_gallery, plot_image_gallery,  # noqa: F401
                                               plot_segmentation_mask_gallery)
from kerasport.visualization.masks import draw_segmentation_masks  # noqa: F401

__all__ = ["draw_bounding_boxes", "draw_segmentation_masks", "plot_bounding_box_gallery", "plot_image_gallery",
           "plot_segmentation_mask_gallery"]
