"""Keras's interactive logging switch: progress bars and messages go to stdout, or to ``logging``.

``disable_interactive_logging()`` sends what ``Progbar``, ``fit``'s progress
output and ``get_file`` would print to the ``"kerasport"`` logger at INFO level
instead (silent unless logging is configured), as Keras sends it to absl.
"""
import logging
import sys

_INTERACTIVE = [True]
logger = logging.getLogger("kerasport")


def enable_interactive_logging():
    """Print progress bars and messages to stdout (the default)."""
    _INTERACTIVE[0] = True


def disable_interactive_logging():
    """Send progress bars and messages to the ``"kerasport"`` logger instead of stdout."""
    _INTERACTIVE[0] = False


def is_interactive_logging_enabled():
    """Whether progress bars and messages are printed to stdout."""
    return _INTERACTIVE[0]


def print_msg(message, line_break=True):
    """Print ``message`` to stdout, or log it when interactive logging is off."""
    if not _INTERACTIVE[0]:
        logger.info(message)
        return
    sys.stdout.write(message + "\n" if line_break else message)
    sys.stdout.flush()
