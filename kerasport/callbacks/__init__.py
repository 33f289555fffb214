"""Callbacks: the ``Callback`` base, ``History``, the progress bar and Keras's standard callbacks."""
from kerasport.callbacks.callback import Callback, CallbackList, History
from kerasport.callbacks.progbar import ProgbarLogger
