"""``get_source_inputs`` and ``is_keras_tensor`` on Functional graphs."""
import numpy as np

import kerasport
from kerasport import utils


def test_graph_helpers():
    a, b = kerasport.Input((3,)), kerasport.Input((3,))
    merged = kerasport.layers.Add()([kerasport.layers.Dense(3)(a), b])
    out = kerasport.layers.Dense(1)(kerasport.layers.Concatenate()([merged, a]))
    sources = utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert utils.get_source_inputs(a) == [a]
    assert utils.is_keras_tensor(out) and kerasport.backend.is_keras_tensor(a)
    assert not utils.is_keras_tensor(np.zeros(2))
