"""The trainer: ``fit`` / ``evaluate`` / ``predict``, the data adapters, the compile utilities.

``Trainer`` (``trainer.py``) is written once for both backends; ``Model`` inherits it.
"""
