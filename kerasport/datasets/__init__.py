"""Datasets: Keras's downloadable ones (same origins, cache files and formats as Keras, so files
Keras has cached in ``~/.keras/datasets`` are used offline), and ``digits``, shipped with kerasport."""
from kerasport.datasets import (boston_housing, california_housing, cifar10, cifar100, digits,  # noqa: F401
                                fashion_mnist, imdb, mnist, reuters)
