"""Torch-form keras.io programs: Keras 3 on its torch backend, in a child process, is their oracle.

A program written for the torch backend (``loss.backward()``, ``self.zero_grad()``, ``v.value.grad``) is
checked like ``tests.programs.test_keras_programs.check_program`` checks the others, except that Keras runs in a
child process with ``KERAS_BACKEND=torch`` (the parent test process already holds Keras on TensorFlow).
One child runs all the programs of a test file, once. Run as a script, this file is that child: ``argv``
names the module and its program functions, and it writes on stdout, pickled, one pair per program: the
result as NumPy and the initial weights ``sync`` recorded.
"""
import functools
import importlib
import os
import pickle
import subprocess
import sys

import numpy as np


def to_numpy_tree(value, convert):
    """``value`` (dicts, lists and tuples of results) with every other leaf but ``None``, strings and Python
    numbers made a NumPy array by ``convert``."""
    if isinstance(value, dict):
        return {key: to_numpy_tree(item, convert) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_numpy_tree(item, convert) for item in value)
    if value is None or isinstance(value, (str, int, float)):
        return value
    return np.asarray(convert(value))


@functools.lru_cache(maxsize=None)
def _keras_answers(module_name, function_names):
    from tests.helpers import shared_answer
    return shared_answer(f"keras on torch {module_name} {function_names}",
                         functools.partial(_run_child, module_name, function_names), kernels=False)


def _run_child(module_name, function_names):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    child = subprocess.run([sys.executable, os.path.abspath(__file__), module_name, *function_names],
                           capture_output=True, timeout=300, cwd=root,
                           env=dict(os.environ, KERAS_BACKEND="torch", PYTHONPATH=root))
    assert child.returncode == 0, child.stderr.decode()[-3000:]
    return dict(zip(function_names, pickle.loads(child.stdout)))


def keras_on_torch_answer(program):
    """``(result, initial weights)`` of ``program`` run by Keras 3 on torch in a child process of its own."""
    return _keras_answers(program.__module__, (program.__name__,))[program.__name__]


def check_torch_program(program, programs, rtol=1e-4, atol=1e-5):
    """Run ``program`` (one of ``programs``, all in one module) with Keras 3 on torch, then with kerasport.

    Keras runs every one of ``programs`` in one child process, the first time one of them is checked;
    kerasport then runs ``program`` on Keras's initial weights and must give Keras's results, within
    ``rtol`` / ``atol`` (loosen them only where the program's own numbers are that sensitive, and say why).
    """
    import kerasport
    from tests.programs.test_keras_programs import _assert_same

    want, initial = _keras_answers(program.__module__, tuple(p.__name__ for p in programs))[program.__name__]
    queue = iter(initial)
    kerasport.backend.clear_session()
    got = program(kerasport, lambda model: model.set_weights(next(queue)))
    _assert_same(got, want, rtol=rtol, atol=atol)


def main(module_name, *function_names):
    import keras
    assert keras.backend.backend() == "torch", keras.backend.backend()
    module = importlib.import_module(module_name)
    answers = []
    for name in function_names:
        initial = []
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        want = getattr(module, name)(keras, lambda model: initial.append(model.get_weights()))
        answers.append((to_numpy_tree(want, keras.ops.convert_to_numpy), initial))
    pickle.dump(answers, sys.stdout.buffer)


if __name__ == "__main__":
    main(*sys.argv[1:])
