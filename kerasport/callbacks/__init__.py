"""Callbacks: the ``Callback`` base, ``History``, the progress bar and Keras's standard callbacks."""
from kerasport.callbacks.backup_and_restore import BackupAndRestore
from kerasport.callbacks.callback import Callback, CallbackList, History
from kerasport.callbacks.csv_logger import CSVLogger
from kerasport.callbacks.early_stopping import EarlyStopping
from kerasport.callbacks.lambda_callback import LambdaCallback
from kerasport.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from kerasport.callbacks.model_checkpoint import ModelCheckpoint
from kerasport.callbacks.monitor_callback import MonitorCallback
from kerasport.callbacks.progbar_logger import ProgbarLogger
from kerasport.callbacks.remote_monitor import RemoteMonitor
from kerasport.callbacks.swap_ema_weights import SwapEMAWeights
from kerasport.callbacks.tensorboard import TensorBoard
from kerasport.callbacks.terminate_on_nan import TerminateOnNaN
