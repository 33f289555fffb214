"""keras.io example "Traffic forecasting using graph neural networks and LSTM"
(examples/timeseries/timeseries_traffic_forecasting.py).

The example on TensorFlow as a Keras 3 user runs it: ``preprocess``, ``create_tf_dataset`` (two
``keras.utils.timeseries_dataset_from_array`` datasets zipped by ``tf.data``, prefetched and cached),
``compute_adjacency_matrix`` and ``GraphInfo``, the ``GraphConv`` layer (``tf.gather``,
``tf.math.unsorted_segment_mean``, ``tf.matmul`` with its weight) inside the ``LSTMGC`` layer (``tf.transpose``,
``tf.reshape`` with a dynamic batch size, an ``LSTM`` and a ``Dense`` on the flattened nodes), ``RMSprop``, ``fit``
with ``EarlyStopping`` and validation data, then the forecast and the naive and model MSEs. TensorFlow only
(``tf.data``, ``tf.math.unsorted_segment_mean``).

Changed: ``GraphConv.weight`` is made with ``self.add_weight`` (the Keras 3 form; a bare ``tf.Variable`` attribute
is not one of a Keras 3 layer's weights, so Keras would not train it). Shrunk: 8 synthetic roads over 120 time
steps (speeds: sines plus noise; distances: random), ``batch_size`` 16, 2 epochs, 8 LSTM units, ``shuffle=False``
for the training set (the example's ``dataset.shuffle(100)`` draws from TensorFlow's stream).
"""
import typing

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program


def traffic_forecasting(keras, sync):
    import tensorflow as tf

    layers = keras.layers
    rng = np.random.RandomState(0)
    num_routes, num_time_steps = 8, 120
    t = np.arange(num_time_steps)[:, None]
    speeds_array = 60 + 5 * np.sin(t / 7.0 + np.arange(num_routes)) + rng.randn(num_time_steps, num_routes)
    route_distances = rng.uniform(0, 9000, (num_routes, num_routes))
    route_distances = (route_distances + route_distances.T) / 2

    train_size, val_size = 0.5, 0.2

    def preprocess(data_array: np.ndarray, train_size: float, val_size: float):
        num_time_steps = data_array.shape[0]
        num_train, num_val = int(num_time_steps * train_size), int(num_time_steps * val_size)
        train_array = data_array[:num_train]
        mean, std = train_array.mean(axis=0), train_array.std(axis=0)

        train_array = (train_array - mean) / std
        val_array = (data_array[num_train : (num_train + num_val)] - mean) / std
        test_array = (data_array[(num_train + num_val) :] - mean) / std

        return train_array, val_array, test_array

    train_array, val_array, test_array = preprocess(speeds_array, train_size, val_size)

    timeseries_dataset_from_array = keras.utils.timeseries_dataset_from_array

    batch_size = 16
    input_sequence_length = 12
    forecast_horizon = 3
    multi_horizon = False

    def create_tf_dataset(
        data_array: np.ndarray,
        input_sequence_length: int,
        forecast_horizon: int,
        batch_size: int = 128,
        shuffle=True,
        multi_horizon=True,
    ):
        inputs = timeseries_dataset_from_array(
            np.expand_dims(data_array[:-forecast_horizon], axis=-1),
            None,
            sequence_length=input_sequence_length,
            shuffle=False,
            batch_size=batch_size,
        )

        target_offset = (
            input_sequence_length
            if multi_horizon
            else input_sequence_length + forecast_horizon - 1
        )
        target_seq_length = forecast_horizon if multi_horizon else 1
        targets = timeseries_dataset_from_array(
            data_array[target_offset:],
            None,
            sequence_length=target_seq_length,
            shuffle=False,
            batch_size=batch_size,
        )

        dataset = tf.data.Dataset.zip((inputs, targets))
        if shuffle:
            dataset = dataset.shuffle(100)

        return dataset.prefetch(16).cache()

    train_dataset, val_dataset = (
        create_tf_dataset(data_array, input_sequence_length, forecast_horizon, batch_size, shuffle=False)
        for data_array in [train_array, val_array]
    )

    test_dataset = create_tf_dataset(
        test_array,
        input_sequence_length,
        forecast_horizon,
        batch_size=test_array.shape[0],
        shuffle=False,
        multi_horizon=multi_horizon,
    )

    def compute_adjacency_matrix(
        route_distances: np.ndarray, sigma2: float, epsilon: float
    ):
        num_routes = route_distances.shape[0]
        route_distances = route_distances / 10000.0
        w2, w_mask = (
            route_distances * route_distances,
            np.ones([num_routes, num_routes]) - np.identity(num_routes),
        )
        return (np.exp(-w2 / sigma2) >= epsilon) * w_mask

    class GraphInfo:
        def __init__(self, edges: typing.Tuple[list, list], num_nodes: int):
            self.edges = edges
            self.num_nodes = num_nodes

    sigma2 = 0.1
    epsilon = 0.5
    adjacency_matrix = compute_adjacency_matrix(route_distances, sigma2, epsilon)
    node_indices, neighbor_indices = np.where(adjacency_matrix == 1)
    graph = GraphInfo(
        edges=(node_indices.tolist(), neighbor_indices.tolist()),
        num_nodes=adjacency_matrix.shape[0],
    )

    class GraphConv(layers.Layer):
        def __init__(
            self,
            in_feat,
            out_feat,
            graph_info: GraphInfo,
            aggregation_type="mean",
            combination_type="concat",
            activation: typing.Optional[str] = None,
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.in_feat = in_feat
            self.out_feat = out_feat
            self.graph_info = graph_info
            self.aggregation_type = aggregation_type
            self.combination_type = combination_type
            self.weight = self.add_weight(
                initializer=keras.initializers.GlorotUniform(),
                shape=(in_feat, out_feat),
                dtype="float32",
                trainable=True,
            )
            self.activation = layers.Activation(activation)

        def aggregate(self, neighbour_representations: tf.Tensor):
            aggregation_func = {
                "sum": tf.math.unsorted_segment_sum,
                "mean": tf.math.unsorted_segment_mean,
                "max": tf.math.unsorted_segment_max,
            }.get(self.aggregation_type)

            if aggregation_func:
                return aggregation_func(
                    neighbour_representations,
                    self.graph_info.edges[0],
                    num_segments=self.graph_info.num_nodes,
                )

            raise ValueError(f"Invalid aggregation type: {self.aggregation_type}")

        def compute_nodes_representation(self, features: tf.Tensor):
            return tf.matmul(features, self.weight)

        def compute_aggregated_messages(self, features: tf.Tensor):
            neighbour_representations = tf.gather(features, self.graph_info.edges[1])
            aggregated_messages = self.aggregate(neighbour_representations)
            return tf.matmul(aggregated_messages, self.weight)

        def update(self, nodes_representation: tf.Tensor, aggregated_messages: tf.Tensor):
            if self.combination_type == "concat":
                h = tf.concat([nodes_representation, aggregated_messages], axis=-1)
            elif self.combination_type == "add":
                h = nodes_representation + aggregated_messages
            else:
                raise ValueError(f"Invalid combination type: {self.combination_type}.")

            return self.activation(h)

        def call(self, features: tf.Tensor):
            nodes_representation = self.compute_nodes_representation(features)
            aggregated_messages = self.compute_aggregated_messages(features)
            return self.update(nodes_representation, aggregated_messages)

    class LSTMGC(layers.Layer):
        """Layer comprising a convolution layer followed by LSTM and dense layers."""

        def __init__(
            self,
            in_feat,
            out_feat,
            lstm_units: int,
            input_seq_len: int,
            output_seq_len: int,
            graph_info: GraphInfo,
            graph_conv_params: typing.Optional[dict] = None,
            **kwargs,
        ):
            super().__init__(**kwargs)

            # graph conv layer
            if graph_conv_params is None:
                graph_conv_params = {
                    "aggregation_type": "mean",
                    "combination_type": "concat",
                    "activation": None,
                }
            self.graph_conv = GraphConv(in_feat, out_feat, graph_info, **graph_conv_params)

            self.lstm = layers.LSTM(lstm_units, activation="relu")
            self.dense = layers.Dense(output_seq_len)

            self.input_seq_len, self.output_seq_len = input_seq_len, output_seq_len

        def call(self, inputs):
            # convert shape to  (num_nodes, batch_size, input_seq_len, in_feat)
            inputs = tf.transpose(inputs, [2, 0, 1, 3])

            gcn_out = self.graph_conv(
                inputs
            )  # gcn_out has shape: (num_nodes, batch_size, input_seq_len, out_feat)
            shape = tf.shape(gcn_out)
            num_nodes, batch_size, input_seq_len, out_feat = (
                shape[0],
                shape[1],
                shape[2],
                shape[3],
            )

            # LSTM takes only 3D tensors as input
            gcn_out = tf.reshape(gcn_out, (batch_size * num_nodes, input_seq_len, out_feat))
            lstm_out = self.lstm(
                gcn_out
            )  # lstm_out has shape: (batch_size * num_nodes, lstm_units)

            dense_output = self.dense(
                lstm_out
            )  # dense_output has shape: (batch_size * num_nodes, output_seq_len)
            output = tf.reshape(dense_output, (num_nodes, batch_size, self.output_seq_len))
            return tf.transpose(
                output, [1, 2, 0]
            )  # returns Tensor of shape (batch_size, output_seq_len, num_nodes)

    in_feat = 1
    epochs = 2
    out_feat = 10
    lstm_units = 8
    graph_conv_params = {
        "aggregation_type": "mean",
        "combination_type": "concat",
        "activation": None,
    }

    st_gcn = LSTMGC(
        in_feat,
        out_feat,
        lstm_units,
        input_sequence_length,
        forecast_horizon,
        graph,
        graph_conv_params,
    )
    inputs = layers.Input((input_sequence_length, graph.num_nodes, in_feat))
    outputs = st_gcn(inputs)

    model = keras.models.Model(inputs, outputs)
    sync(model)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.0002),
        loss=keras.losses.MeanSquaredError(),
    )
    history = model.fit(
        train_dataset,
        validation_data=val_dataset,
        epochs=epochs,
        callbacks=[keras.callbacks.EarlyStopping(patience=10)],
        verbose=0,
    )

    x_test, y = next(test_dataset.as_numpy_iterator())
    y_pred = model.predict(x_test, verbose=0)

    naive_mse, model_mse = (
        np.square(x_test[:, -1, :, 0] - y[:, 0, :]).mean(),
        np.square(y_pred[:, 0, :] - y[:, 0, :]).mean(),
    )
    return {"history": history.history, "edges": np.array(graph.edges), "y_pred": y_pred,
            "naive_mse": naive_mse, "model_mse": model_mse}


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example's layers call tf.math.unsorted_segment_mean and its data is tf.data: "
                           "TensorFlow only")
def test_timeseries_traffic_forecasting():
    check_program(traffic_forecasting)
