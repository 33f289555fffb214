"""Export a model to a serving format: ``torch.export`` programs, ONNX, TF SavedModels and LiteRT files.

Each format belongs to one framework. From the other backend, the export runs in a
child process with that framework's backend, which rebuilds the model from its
portable ``.keras`` file: the exporting process never imports the other framework.
"""
from kerasport.saving.export.export_lib import (ERROR_PREFIX, EXTENSIONS, FORMATS, export_model,  # noqa: F401
                                                export_models)
from kerasport.saving.export.archive import ExportArchive  # noqa: F401
