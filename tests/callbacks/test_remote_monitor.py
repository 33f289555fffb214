"""``RemoteMonitor`` posting each epoch's logs to a server on 127.0.0.1, as Keras's (form or JSON)."""
import http.server
import json
import socket
import threading
import urllib.parse

import numpy as np
import pytest

import kerasport as keras


@pytest.fixture
def server():
    """A local HTTP server recording each POST as ``(path, content type, custom header, body)``."""
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.path, self.headers["Content-Type"], self.headers.get("X-Run"), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()


def _fit(callback, epochs=2):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.random.RandomState(0).rand(8, 3).astype("float32")
    return model.fit(x, x[:, :1], epochs=epochs, batch_size=4, verbose=0, callbacks=[callback])


def test_posts_each_epoch_as_a_form_field(server):
    root, received = server
    history = _fit(keras.callbacks.RemoteMonitor(root=root, headers={"X-Run": "7"}))
    assert [(path, kind, run) for path, kind, run, _ in received] == \
        [("/publish/epoch/end/", "application/x-www-form-urlencoded", "7")] * 2
    for epoch, (_, _, _, body) in enumerate(received):
        sent = json.loads(urllib.parse.parse_qs(body)["data"][0])
        assert sent == {"epoch": epoch, "loss": pytest.approx(history.history["loss"][epoch]),
                        "mae": pytest.approx(history.history["mae"][epoch])}


def test_posts_json_to_the_given_path(server):
    root, received = server
    _fit(keras.callbacks.RemoteMonitor(root=root, path="/events", send_as_json=True), epochs=1)
    path, kind, _, body = received[0]
    assert (path, kind, sorted(json.loads(body))) == ("/events", "application/json", ["epoch", "loss", "mae"])


def test_an_unreachable_server_warns_and_training_goes_on():
    with socket.socket() as s:   # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.warns(UserWarning, match=f"Could not reach RemoteMonitor root server at http://127.0.0.1:{port}"):
        history = _fit(keras.callbacks.RemoteMonitor(root=f"http://127.0.0.1:{port}"))
    assert len(history.history["loss"]) == 2
