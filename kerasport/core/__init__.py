"""The ground floor: global settings, naming and name scopes, ``KerasTensor``, the serialization registry,
``tree`` and dtypes. It imports nothing of kerasport above it (only ``kerasport.backends`` for the backend choice).
"""
