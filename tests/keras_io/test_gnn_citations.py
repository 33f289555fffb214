"""keras.io example "Node Classification with Graph Neural Networks" (examples/graph/gnn_citations.py).

The example's GNN as written: ``create_ffn`` (``BatchNormalization``, ``Dropout``, ``Dense`` with GELU in a
``Sequential``), the ``GraphConvLayer`` (prepare: an FFN over the gathered neighbour representations times the
edge weights; aggregate: a segment sum over the source nodes; update: concatenation and an FFN, L2-normalized),
the subclassed ``GNNNodeClassifier`` that holds the whole graph (node features, edges, normalized edge weights)
as attributes and whose ``call(input_node_indices)`` takes no ``training`` argument, compiled with
``SparseCategoricalCrossentropy(from_logits=True)`` and a named ``SparseCategoricalAccuracy``, fitted with
``validation_split=0.15`` and ``EarlyStopping(monitor="val_acc", restore_best_weights=True)``, evaluated, then
the graph attributes replaced by a graph with new nodes and citations and ``predict`` on the new nodes.

Changed: the Cora download becomes a random graph of 48 nodes, 20 binary features, 3 classes and 120 edges; the
example's TensorFlow ops (``tf.gather``, ``tf.math.unsorted_segment_sum``, ``tf.nn.l2_normalize``) become their
``keras.ops`` equivalents (``take(axis=0)``, ``segment_sum``, ``normalize``) so that it runs on both backends;
``Dropout(0.0)`` (dropout masks are random); the baseline FFN classifier is left out (plain Functional); widths 8,
2 epochs, ``shuffle=False``.

What it found: Keras's built-in steps call ``model(x)`` without ``training`` where the model's ``call`` takes no
``training`` argument, so this model's ``BatchNormalization`` layers normalize with their moving statistics in
``fit``; kerasport passed ``training=True`` and trained them on batch statistics.
"""
import numpy as np

from tests.programs.test_keras_programs import check_program

NODES, FEATURES, CLASSES, EDGES = 48, 20, 3, 120


def gnn_citations(keras, sync):
    layers, ops = keras.layers, keras.ops
    rng = np.random.RandomState(0)
    x_all = (rng.rand(NODES, FEATURES) < 0.3).astype("float32")
    y_all = rng.randint(0, CLASSES, NODES)
    edges = rng.randint(0, NODES, (2, EDGES))
    hidden_units, learning_rate, dropout_rate, num_epochs, batch_size = [8, 8], 0.01, 0.0, 2, 16
    train = np.arange(NODES) % 2 == 0

    def create_ffn(hidden_units, dropout_rate, name=None):
        fnn_layers = []
        for units in hidden_units:
            fnn_layers.append(layers.BatchNormalization())
            fnn_layers.append(layers.Dropout(dropout_rate))
            fnn_layers.append(layers.Dense(units, activation="gelu"))
        return keras.Sequential(fnn_layers, name=name)

    class GraphConvLayer(layers.Layer):
        def __init__(self, hidden_units, dropout_rate=0.2, aggregation_type="mean", combination_type="concat",
                     normalize=False, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.aggregation_type = aggregation_type
            self.combination_type = combination_type
            self.normalize = normalize
            self.ffn_prepare = create_ffn(hidden_units, dropout_rate)
            self.update_fn = create_ffn(hidden_units, dropout_rate)

        def prepare(self, node_repesentations, weights=None):
            messages = self.ffn_prepare(node_repesentations)
            if weights is not None:
                messages = messages * ops.expand_dims(weights, -1)
            return messages

        def aggregate(self, node_indices, neighbour_messages, node_repesentations):
            num_nodes = node_repesentations.shape[0]
            if self.aggregation_type == "sum":
                return ops.segment_sum(neighbour_messages, node_indices, num_segments=num_nodes)
            raise ValueError(f"Invalid aggregation type: {self.aggregation_type}.")

        def update(self, node_repesentations, aggregated_messages):
            if self.combination_type == "concat":
                h = ops.concatenate([node_repesentations, aggregated_messages], axis=1)
            elif self.combination_type == "add":
                h = node_repesentations + aggregated_messages
            else:
                raise ValueError(f"Invalid combination type: {self.combination_type}.")
            node_embeddings = self.update_fn(h)
            if self.normalize:
                node_embeddings = ops.normalize(node_embeddings, axis=-1)
            return node_embeddings

        def call(self, inputs):
            node_repesentations, edges, edge_weights = inputs
            node_indices, neighbour_indices = edges[0], edges[1]
            neighbour_repesentations = ops.take(node_repesentations, neighbour_indices, axis=0)
            neighbour_messages = self.prepare(neighbour_repesentations, edge_weights)
            aggregated_messages = self.aggregate(node_indices, neighbour_messages, node_repesentations)
            return self.update(node_repesentations, aggregated_messages)

    class GNNNodeClassifier(keras.Model):
        def __init__(self, graph_info, num_classes, hidden_units, aggregation_type="sum",
                     combination_type="concat", dropout_rate=0.2, normalize=True, *args, **kwargs):
            super().__init__(*args, **kwargs)
            node_features, edges, edge_weights = graph_info
            self.node_features = node_features
            self.edges = edges
            self.edge_weights = edge_weights
            if self.edge_weights is None:
                self.edge_weights = ops.ones(shape=edges.shape[1])
            self.edge_weights = self.edge_weights / ops.sum(self.edge_weights)
            self.preprocess = create_ffn(hidden_units, dropout_rate, name="preprocess")
            self.conv1 = GraphConvLayer(hidden_units, dropout_rate, aggregation_type, combination_type,
                                        normalize, name="graph_conv1")
            self.conv2 = GraphConvLayer(hidden_units, dropout_rate, aggregation_type, combination_type,
                                        normalize, name="graph_conv2")
            self.postprocess = create_ffn(hidden_units, dropout_rate, name="postprocess")
            self.compute_logits = layers.Dense(units=num_classes, name="logits")

        def call(self, input_node_indices):
            x = self.preprocess(self.node_features)
            x1 = self.conv1((x, self.edges, self.edge_weights))
            x = x1 + x
            x2 = self.conv2((x, self.edges, self.edge_weights))
            x = x2 + x
            x = self.postprocess(x)
            node_embeddings = ops.take(x, input_node_indices, axis=0)
            return self.compute_logits(node_embeddings)

    node_features = ops.cast(x_all, "float32")
    graph_info = (node_features, edges, ops.ones(shape=edges.shape[1]))
    gnn_model = GNNNodeClassifier(graph_info=graph_info, num_classes=CLASSES, hidden_units=hidden_units,
                                  dropout_rate=dropout_rate, name="gnn_model")
    first_call = gnn_model(np.array([1, 10, 40]))
    sync(gnn_model)
    report = {"first_call_shape": first_call.shape, "first_call": gnn_model(np.array([1, 10, 40]))}

    gnn_model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_acc", patience=2, restore_best_weights=True)
    history = gnn_model.fit(x=np.arange(NODES)[train], y=y_all[train], epochs=num_epochs, batch_size=batch_size,
                            validation_split=0.15, callbacks=[early_stopping], shuffle=False, verbose=0)
    report["history"] = history.history
    report["test"] = gnn_model.evaluate(x=np.arange(NODES)[~train], y=y_all[~train], verbose=0)

    new_instances = (np.random.RandomState(1).rand(CLASSES, FEATURES) < 0.3).astype(int)
    num_nodes = node_features.shape[0]
    new_node_features = np.concatenate([node_features, new_instances])
    new_node_indices = [i + num_nodes for i in range(CLASSES)]
    cited = np.random.RandomState(2).choice(NODES, (CLASSES, 7))
    new_citations = np.array([[new_node_indices[s], c] for s in range(CLASSES) for c in cited[s]]).T
    new_edges = np.concatenate([edges, new_citations], axis=1)
    gnn_model.node_features = new_node_features
    gnn_model.edges = new_edges
    gnn_model.edge_weights = ops.ones(shape=new_edges.shape[1])
    logits = gnn_model.predict(ops.convert_to_tensor(new_node_indices), verbose=0)
    report["probabilities"] = keras.activations.softmax(ops.convert_to_tensor(logits))
    report["weights"] = gnn_model.get_weights()
    return report


def test_gnn_citations():
    check_program(gnn_citations)
