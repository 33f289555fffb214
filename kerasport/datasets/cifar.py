"""Reading the pickled batches of the CIFAR-10 / CIFAR-100 Python archives."""
from kerasport.datasets._common import RestrictedUnpickler


def load_batch(fpath, label_key="labels"):
    """``(data, labels)`` of one CIFAR batch file: uint8 ``(n, 3, 32, 32)`` and a list of ints."""
    with open(fpath, "rb") as f:
        batch = {k.decode("utf8"): v for k, v in RestrictedUnpickler(f, encoding="bytes").load().items()}
    data = batch["data"]
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]
