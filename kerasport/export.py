"""``kerasport.export``: Keras 3's ``keras.export`` names; ``ExportArchive`` lives in ``kerasport.saving.export``."""
from kerasport.saving.export import ExportArchive  # noqa: F401
