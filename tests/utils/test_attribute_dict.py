"""``kerasport.utils.Config`` behaves as Keras's: attributes and keys, JSON, freezing."""
import pytest

from kerasport import utils
from tests.helpers import keras_module


def test_config_matches_keras():
    keras = keras_module()
    for cls in (utils.Config, keras.utils.Config):
        c = cls(lr=0.1, name="x")
        c.momentum = 0.9
        c["beta"] = 2
        assert c.momentum == 0.9 and c["lr"] == 0.1 and len(c) == 4 and list(c) == ["beta", "lr", "momentum", "name"]
        assert c.to_json() == '{"lr": 0.1, "name": "x", "momentum": 0.9, "beta": 2}'
        with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
            c.momentun
        c.freeze()
        assert c.frozen
        with pytest.raises(ValueError, match="frozen"):
            c.lr = 1
        c.unfreeze()
        c.pop("beta")
        assert "beta" not in c and c.as_dict() == {"lr": 0.1, "name": "x", "momentum": 0.9}
