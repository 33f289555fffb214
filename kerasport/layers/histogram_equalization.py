"""Keras's ``ContrastLimitedAdaptiveHistogramEqualization`` (CLAHE) layer."""
from kerasport.backends import B
from kerasport.layers.augmentation_base import BaseImagePreprocessingLayer
from kerasport.layers.image_preprocessing import to_range

__all__ = ["ContrastLimitedAdaptiveHistogramEqualization"]

_LEVELS = 256


class ContrastLimitedAdaptiveHistogramEqualization(BaseImagePreprocessingLayer):
    """Contrast Limited Adaptive Histogram Equalization, in training and inference.

    Each image (mapped to [0, 255]) is cut into ``tile_grid_size`` tiles (padded symmetrically at
    the bottom and right to a whole number of tiles); each tile and channel gets the histogram
    equalization map of its 256 integer levels, with bin counts above
    ``clip_limit * tile_pixels / 256`` clipped and the excess spread evenly over all bins. Each
    pixel takes the bilinear blend of the maps of its four nearest tile centers (edge tiles
    repeated), as Keras 3 computes it.

    Args:
        value_range: (min, max) of the pixel values ((0, 255)).
        clip_limit: float, the contrast limit (4.0); 0 or less disables clipping.
        tile_grid_size: (rows, columns) of tiles ((8, 8)).
        data_format: "channels_last" or "channels_first".

    Example:

    >>> clahe = ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
    >>> clahe(np.random.randint(0, 256, (1, 16, 16, 3)).astype("float32")).shape
    (1, 16, 16, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2 or value_range[0] >= value_range[1]:
            raise ValueError(f"ContrastLimitedAdaptiveHistogramEqualization {self.name!r}: `value_range` must be "
                             f"(min, max) with min < max. Received: value_range={value_range!r}")
        if not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2 or \
                not all(isinstance(g, int) and not isinstance(g, bool) and g > 0 for g in tile_grid_size):
            raise ValueError(f"ContrastLimitedAdaptiveHistogramEqualization {self.name!r}: `tile_grid_size` must be "
                             f"two positive ints. Received: tile_grid_size={tile_grid_size!r}")
        self.value_range, self.clip_limit, self.tile_grid_size = value_range, clip_limit, tile_grid_size

    def transform_images(self, images, transformation=None, training=True):
        images = B.convert_to_tensor(images)
        dtype = B.dtype(images)
        unbatched = B.ndim(images) == 3
        x = B.expand_dims(images, 0) if unbatched else images
        if self.data_format == "channels_first":
            x = B.transpose(x, (0, 2, 3, 1))
        x = to_range(B.cast(x, "float32"), self.value_range, (0, _LEVELS - 1))
        x = to_range(self._equalize(x), (0, _LEVELS - 1), self.value_range)
        if self.data_format == "channels_first":
            x = B.transpose(x, (0, 3, 1, 2))
        return B.cast(B.squeeze(x, 0) if unbatched else x, dtype)

    def _tile_maps(self, levels, tile_h, tile_w):
        """The (N, rows, cols, C, 256) equalization maps of the tiles of ``levels`` (N, H', W', C) int32."""
        rows, cols = self.tile_grid_size
        channels = B.shape(levels)[3]
        tiles = B.reshape(levels, (-1, rows, tile_h, cols, tile_w, channels))
        tiles = B.reshape(B.transpose(tiles, (0, 1, 3, 5, 2, 4)), (-1, tile_h * tile_w))
        hist = B.cast(B.bincount(tiles, minlength=_LEVELS), "float32")
        pixels = float(tile_h * tile_w)
        if self.clip_limit > 0:
            clipped = B.minimum(hist, self.clip_limit * pixels / _LEVELS)
            hist = clipped + B.sum(hist - clipped, axis=-1, keepdims=True) / _LEVELS
        cdf = B.cumsum(hist, axis=-1)
        lowest = cdf[:, :1]
        span = pixels - lowest
        maps = B.clip((cdf - lowest) * (_LEVELS - 1.0) / B.where(span == 0, B.ones_like(span), span),
                      0.0, _LEVELS - 1.0)
        return B.reshape(maps, (-1, rows, cols, channels, _LEVELS))

    def _equalize(self, x):
        batch, height, width, channels = B.shape(x)
        rows, cols = self.tile_grid_size
        tile_h, tile_w = -(-height // rows), -(-width // cols)
        if tile_h * rows != height or tile_w * cols != width:
            x = B.pad(x, ((0, 0), (0, tile_h * rows - height), (0, tile_w * cols - width), (0, 0)),
                      mode="symmetric")
        levels = B.cast(B.clip(x, 0.0, _LEVELS - 1.0), "int32")
        maps = B.pad(self._tile_maps(levels, tile_h, tile_w), ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")

        def neighbours(size, tile, count):
            """Lower / upper tile index (in the edge-padded maps) and the upper weight per pixel."""
            position = B.arange(size, dtype="float32") / tile + 0.5
            lower = B.floor(position)
            weight = position - lower
            return (B.cast(B.clip(lower, 0, count + 1), "int32"), B.cast(B.clip(lower + 1, 0, count + 1), "int32"),
                    weight)

        y0, y1, wy = neighbours(tile_h * rows, tile_h, rows)
        x0, x1, wx = neighbours(tile_w * cols, tile_w, cols)
        y0, y1, wy = (B.reshape(v, (1, -1, 1, 1)) for v in (y0, y1, wy))
        x0, x1, wx = (B.reshape(v, (1, 1, -1, 1)) for v in (x0, x1, wx))
        flat = B.reshape(maps, (-1,))
        image = B.reshape(B.arange(batch, dtype="int32"), (-1, 1, 1, 1))
        channel = B.reshape(B.arange(channels, dtype="int32"), (1, 1, 1, -1))

        def lookup(row, col):
            index = (((image * (rows + 2) + row) * (cols + 2) + col) * channels + channel) * _LEVELS + levels
            return B.take(flat, index)

        top = lookup(y0, x0) * (1.0 - wx) + lookup(y0, x1) * wx
        bottom = lookup(y1, x0) * (1.0 - wx) + lookup(y1, x1) * wx
        out = top * (1.0 - wy) + bottom * wy
        return out[:, :height, :width, :]

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "clip_limit": self.clip_limit,
                "tile_grid_size": self.tile_grid_size}
