"""Data-parallel training over several processes, with Keras 3's API (see ``distribution_lib``)."""
from kerasport.distribution.distribution_lib import (DataParallel, distribution, list_devices,  # noqa: F401
                                                     set_distribution)
