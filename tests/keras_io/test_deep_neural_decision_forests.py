"""keras.io example "Classification with Neural Decision Forests"
(examples/structured_data/deep_neural_decision_forests.py).

The example's models as written: dict inputs of scalars (``layers.Input(name=..., shape=(), dtype=...)``),
``StringLookup(vocabulary=..., mask_token=None, num_oov_indices=0)`` encoding the categorical columns, an
``Embedding`` per categorical feature, ``keras.ops.expand_dims`` on the numeric ones, ``layers.concatenate``,
``BatchNormalization``; ``NeuralDecisionTree``, a ``keras.Model`` subclass that calls ``self.add_weight`` in its
``__init__`` (``pi``), keeps a NumPy-sampled feature mask as a tensor attribute, routes through a ``Dense`` and
calls ``layers.concatenate`` inside ``call``, with ``ops.ones([batch_size, 1, 1])`` of the dynamic batch size and a
breadth-first loop of ``ops.reshape`` / ``ops.tile`` / slicing; ``NeuralDecisionForest``, a model holding a plain
list of trees appended in a loop; both nested in Functional models, compiled with ``Adam``,
``SparseCategoricalCrossentropy`` and ``SparseCategoricalAccuracy``, fitted and evaluated.

Changed: the census CSVs (a download, read with ``tf.data.experimental.make_csv_dataset``) become 64 random rows
of 3 numeric and 2 categorical columns, looked up before ``fit`` (NumPy, both backends); depth 10 / 5 and 10 / 25
trees become depth 3 with 1 and 3 trees; batch 16, 2 epochs; ``np.random.seed(0)`` first, so that both runs
sample the same feature masks.
"""
import math

import numpy as np

from tests.keras_io.keras_on_torch_program import check_torch_program

NUMERIC = ["age", "hours", "gain"]
CATEGORICAL = {"education": ["school", "college", "masters"], "sex": ["female", "male"]}
TARGET_LABELS = [" <=50K", " >50K"]


def decision_forests(keras, sync):
    layers, ops = keras.layers, keras.ops
    np.random.seed(0)
    rng = np.random.RandomState(0)
    raw = {name: rng.normal(size=64).astype("float32") for name in NUMERIC}
    raw.update({name: rng.choice(vocabulary, 64) for name, vocabulary in CATEGORICAL.items()})
    target = rng.choice(TARGET_LABELS, 64)

    target_label_lookup = layers.StringLookup(vocabulary=TARGET_LABELS, mask_token=None, num_oov_indices=0)
    lookup_dict = {name: layers.StringLookup(vocabulary=vocabulary, mask_token=None, num_oov_indices=0)
                   for name, vocabulary in CATEGORICAL.items()}
    x = {name: (ops.convert_to_numpy(lookup_dict[name](raw[name])) if name in CATEGORICAL else raw[name])
         for name in NUMERIC + list(CATEGORICAL)}
    y = ops.convert_to_numpy(target_label_lookup(target))

    def create_model_inputs():
        inputs = {}
        for feature_name in NUMERIC + list(CATEGORICAL):
            dtype = "float32" if feature_name in NUMERIC else "int32"
            inputs[feature_name] = layers.Input(name=feature_name, shape=(), dtype=dtype)
        return inputs

    def encode_inputs(inputs):
        encoded_features = []
        for feature_name in inputs:
            if feature_name in CATEGORICAL:
                lookup = lookup_dict[feature_name]
                embedding_dims = int(math.sqrt(lookup.vocabulary_size()))
                embedding = layers.Embedding(input_dim=lookup.vocabulary_size(), output_dim=embedding_dims)
                encoded_feature = embedding(inputs[feature_name])
            else:
                encoded_feature = inputs[feature_name]
                if inputs[feature_name].shape[-1] is None:
                    encoded_feature = keras.ops.expand_dims(encoded_feature, -1)
            encoded_features.append(encoded_feature)
        return layers.concatenate(encoded_features)

    class NeuralDecisionTree(keras.Model):
        def __init__(self, depth, num_features, used_features_rate, num_classes):
            super().__init__()
            self.depth = depth
            self.num_leaves = 2**depth
            self.num_classes = num_classes
            num_used_features = int(num_features * used_features_rate)
            one_hot = np.eye(num_features)
            sampled_feature_indices = np.random.choice(np.arange(num_features), num_used_features, replace=False)
            self.used_features_mask = ops.convert_to_tensor(one_hot[sampled_feature_indices], dtype="float32")
            self.pi = self.add_weight(initializer="random_normal", shape=[self.num_leaves, self.num_classes],
                                      dtype="float32", trainable=True)
            self.decision_fn = layers.Dense(units=self.num_leaves, activation="sigmoid", name="decision")

        def call(self, features):
            batch_size = ops.shape(features)[0]
            features = ops.matmul(features, ops.transpose(self.used_features_mask))
            decisions = ops.expand_dims(self.decision_fn(features), axis=2)
            decisions = layers.concatenate([decisions, 1 - decisions], axis=2)
            mu = ops.ones([batch_size, 1, 1])
            begin_idx, end_idx = 1, 2
            for level in range(self.depth):
                mu = ops.reshape(mu, [batch_size, -1, 1])
                mu = ops.tile(mu, (1, 1, 2))
                level_decisions = decisions[:, begin_idx:end_idx, :]
                mu = mu * level_decisions
                begin_idx = end_idx
                end_idx = begin_idx + 2 ** (level + 1)
            mu = ops.reshape(mu, [batch_size, self.num_leaves])
            probabilities = keras.activations.softmax(self.pi)
            return ops.matmul(mu, probabilities)

    num_classes = len(TARGET_LABELS)

    class NeuralDecisionForest(keras.Model):
        def __init__(self, num_trees, depth, num_features, used_features_rate, num_classes):
            super().__init__()
            self.ensemble = []
            for _ in range(num_trees):
                self.ensemble.append(NeuralDecisionTree(depth, num_features, used_features_rate, num_classes))

        def call(self, inputs):
            batch_size = ops.shape(inputs)[0]
            outputs = ops.zeros([batch_size, num_classes])
            for tree in self.ensemble:
                outputs += tree(inputs)
            outputs /= len(self.ensemble)
            return outputs

    def run_experiment(model):
        sync(model)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                      loss=keras.losses.SparseCategoricalCrossentropy(),
                      metrics=[keras.metrics.SparseCategoricalAccuracy()])
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        _, accuracy = model.evaluate(x, y, batch_size=16, verbose=0)
        return {"history": history.history, "accuracy": accuracy, "weights": len(model.weights),
                "predict": model.predict(x, verbose=0)}

    def create_model(make):
        inputs = create_model_inputs()
        features = encode_inputs(inputs)
        features = layers.BatchNormalization()(features)
        outputs = make(features.shape[1])(features)
        return keras.Model(inputs=inputs, outputs=outputs)

    tree = run_experiment(create_model(lambda n: NeuralDecisionTree(3, n, 1.0, num_classes)))
    forest = run_experiment(create_model(lambda n: NeuralDecisionForest(3, 3, n, 0.5, num_classes)))
    return {"tree": tree, "forest": forest}


def test_deep_neural_decision_forests():
    # The Embeddings train under Adam on repeated indices, where Keras's TensorFlow backend differs from its torch
    # backend (it squares the IndexedSlices gradient per occurrence, see docs/keras_io.md): Keras on torch is the
    # oracle, in a child process.
    check_torch_program(decision_forests, [decision_forests])
