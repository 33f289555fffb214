"""``keras.Function``: the layers and ops between symbolic inputs and outputs, as a callable without weights of
its own, training or saving (a Functional model is that and a ``Model``)."""
from kerasport.core import naming
from kerasport.core import nest as tree
from kerasport.layers.layer import KerasTensor
from kerasport.models.functional import keras_order, topological_nodes


class Function:
    """A callable graph of the layer and op calls that lead from ``inputs`` to ``outputs``, as Keras's.

    The inputs may be ``keras.Input`` tensors or bare ``keras.KerasTensor``s; calling the function runs the
    graph on values of the same structure (layers in inference mode, as a call without ``training``).

    Args:
        inputs: a ``KerasTensor`` or a nest (list, tuple, dict) of them.
        outputs: a ``KerasTensor`` or a nest of them, computed from ``inputs``.
        name: the function's name.

    Example:

    >>> input_1 = keras.KerasTensor(shape=(None, 2, 3))
    >>> input_2 = keras.KerasTensor(shape=(None, 2, 3))
    >>> output = keras.ops.sigmoid(input_1 + input_2)
    >>> fn = keras.Function(inputs=[input_1, input_2], outputs=output)
    >>> fn([np.ones((4, 2, 3)), np.zeros((4, 2, 3))]).shape
    (4, 2, 3)
    """

    def __init__(self, inputs, outputs, name=None):
        self.name = name or naming.uniquify("function")
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs, self.outputs = tree.flatten(inputs), tree.flatten(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise ValueError(f"Function {self.name!r}: `inputs` and `outputs` must be KerasTensors, received "
                                 f"{t!r}.")
        self._nodes, self._operations = keras_order(self.inputs, self.outputs,
                                                    topological_nodes(self.inputs, self.outputs))

    @property
    def operations(self):
        """The layers and ops of the graph, deepest first, as Keras lists them."""
        return list(self._operations)

    def __call__(self, inputs):
        return self.call(inputs)

    def call(self, inputs):
        """The outputs' values for ``inputs``, a nest of arrays or tensors shaped as the ``inputs`` given."""
        flat = tree.flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f"Function {self.name!r} expects {len(self.inputs)} input(s) structured as "
                             f"{tree.map_structure(lambda t: t.shape, self._inputs_struct)}, received {len(flat)}.")
        values = {id(t): v for t, v in zip(self.inputs, flat)}

        def fetch(x):
            return values[id(x)] if isinstance(x, KerasTensor) else x

        for node in self._nodes:
            out = node.layer(*tree.map_structure(fetch, node.args), **tree.map_structure(fetch, node.kwargs))
            for t, value in zip(node.output_tensors, tree.flatten(out)):
                values[id(t)] = value
        return tree.pack_as(self._outputs_struct, [values[id(t)] for t in self.outputs])
