"""Data-parallel training over several processes, with Keras 3's API (see ``distribution_lib``)."""
from kerasport.distribution.distribution_lib import (DataParallel, distribution, get_device_count,  # noqa: F401
                                                     list_devices, set_distribution)
