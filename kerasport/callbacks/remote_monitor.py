"""``RemoteMonitor``: each epoch's logs sent to a server by HTTP POST."""
import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from kerasport.callbacks.callback import Callback


class RemoteMonitor(Callback):
    """Callback used to stream events to a server.

    At the end of each epoch, the epoch number and the logs are sent as a JSON-encoded dictionary to
    ``root + path`` by HTTP POST: as a form field ``field`` (``application/x-www-form-urlencoded``), or as the
    request body when ``send_as_json=True`` (``application/json``). A server that cannot be reached (or does
    not answer within 10 seconds) gives a warning; training goes on. Python's own ``urllib`` sends the request
    (Keras uses the ``requests`` package, with the same requests).

    Args:
        root: String; root url of the target server.
        path: String; path relative to ``root`` to which the events will be sent.
        field: String; JSON field under which the data will be stored. The field is used only if the payload
            is sent within a form (i.e. when ``send_as_json=False``).
        headers: Dictionary; optional custom HTTP headers.
        send_as_json: Boolean; whether the request should be sent as ``"application/json"``.
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data", headers=None,
                 send_as_json=False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        if self.send_as_json:
            body, content_type = json.dumps(send).encode(), "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.root + self.path, data=body, method="POST",
                                         headers={"Content-Type": content_type, **(self.headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
