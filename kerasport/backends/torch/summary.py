"""PyTorch backend, TensorBoard event writing: ``torch.utils.tensorboard`` (needs the ``tensorboard``
package).
"""
try:
    from torch.utils.tensorboard import SummaryWriter as _TorchWriter
except ImportError as e:
    raise ImportError("The TensorBoard callback on the torch backend needs the `tensorboard` package: "
                      "`pip install tensorboard`.") from e


class SummaryWriter:
    """Scalars and histograms into the event file of ``log_dir``."""

    def __init__(self, log_dir):
        self._writer = _TorchWriter(log_dir)

    def scalar(self, name, value, step):
        self._writer.add_scalar(name, value, step)

    def histogram(self, name, values, step):
        """``values``: a NumPy array."""
        self._writer.add_histogram(name, values, step)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()
