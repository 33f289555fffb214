"""keras.io guide "Writing a training loop from scratch in PyTorch" (guides/writing_a_custom_training_loop_in_torch.py).

The guide's loops over a torch ``DataLoader``: a native ``torch.optim.Adam`` over ``model.parameters()``
with ``torch.nn.CrossEntropyLoss``; then a Keras optimizer and loss with ``model.zero_grad()``,
``loss.backward()``, ``v.value.grad`` and ``optimizer.apply`` under ``torch.no_grad()``; metrics updated and
reset by hand; ``model.losses`` added to the loss. It runs only under ``KERASPORT_BACKEND=torch``; the oracle
is Keras 3 on its torch backend, in a child process (``tests/keras_io/keras_on_torch_program.py``).
Shrunk: 96 training and 32 validation samples of uniform noise in [0, 1) instead of MNIST, 2 epochs, the
``DataLoader`` unshuffled (torch's shuffling would draw from a different generator state in each process),
and each loop records the loss of every step and the accuracies instead of printing them. Changed: in the
last section the guide trains a fresh ``get_model()`` and so never uses the ``ActivityRegularizationLayer``
model it builds; here that model is trained, so that ``model.losses`` is exercised.
"""
import numpy as np
import pytest

import kerasport
from tests.keras_io.keras_on_torch_program import check_torch_program

pytestmark = pytest.mark.skipif(kerasport.backend.backend() != "torch",
                                reason="the PyTorch form of the guide (torch DataLoader, loss.backward()) runs under torch only")

batch_size = 32
epochs = 2


def get_model(keras):
    inputs = keras.Input(shape=(784,), name="digits")
    x1 = keras.layers.Dense(64, activation="relu")(inputs)
    x2 = keras.layers.Dense(64, activation="relu")(x1)
    outputs = keras.layers.Dense(10, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def _dataloaders(keras):
    import torch

    rng = np.random.RandomState(0)
    x_train = rng.random_sample((128, 784)).astype("float32")
    y_train = keras.utils.to_categorical(rng.randint(0, 10, 128), 10)
    # Reserve 32 samples for validation.
    x_val = x_train[-32:]
    y_val = y_train[-32:]
    x_train = x_train[:-32]
    y_train = y_train[:-32]
    train_dataset = torch.utils.data.TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
    val_dataset = torch.utils.data.TensorDataset(torch.from_numpy(x_val), torch.from_numpy(y_val))
    train_dataloader = torch.utils.data.DataLoader(train_dataset, batch_size=batch_size, shuffle=False)
    val_dataloader = torch.utils.data.DataLoader(val_dataset, batch_size=batch_size, shuffle=False)
    return train_dataloader, val_dataloader


def torch_optimizer_and_loss(keras, sync):
    import torch

    train_dataloader, _ = _dataloaders(keras)
    # Instantiate a torch optimizer
    model = get_model(keras)
    sync(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    # Instantiate a torch loss function
    loss_fn = torch.nn.CrossEntropyLoss()

    losses = []
    for epoch in range(epochs):
        for step, (inputs, targets) in enumerate(train_dataloader):
            # Forward pass
            logits = model(inputs)
            loss = loss_fn(logits, targets)

            # Backward pass
            model.zero_grad()
            loss.backward()

            # Optimizer variable updates
            optimizer.step()

            losses.append(float(loss.detach().numpy()))
    return {"losses": losses, "weights": model.get_weights()}


def keras_optimizer_and_loss(keras, sync):
    import torch

    train_dataloader, _ = _dataloaders(keras)
    model = get_model(keras)
    sync(model)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)

    losses = []
    for epoch in range(epochs):
        for step, (inputs, targets) in enumerate(train_dataloader):
            # Forward pass
            logits = model(inputs)
            loss = loss_fn(targets, logits)

            # Backward pass
            model.zero_grad()
            trainable_weights = [v for v in model.trainable_weights]

            # Call torch.Tensor.backward() on the loss to compute gradients
            # for the weights.
            loss.backward()
            gradients = [v.value.grad for v in trainable_weights]

            # Update weights
            with torch.no_grad():
                optimizer.apply(gradients, trainable_weights)

            losses.append(float(loss.detach().numpy()))
    return {"losses": losses, "weights": model.get_weights()}


def _train_with_metrics(keras, model, train_dataloader, val_dataloader):
    import torch

    # Instantiate an optimizer to train the model.
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    # Instantiate a loss function.
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)

    # Prepare the metrics.
    train_acc_metric = keras.metrics.CategoricalAccuracy()
    val_acc_metric = keras.metrics.CategoricalAccuracy()

    logged = {"losses": [], "train_acc": [], "val_acc": [], "n_model_losses": []}
    for epoch in range(epochs):
        for step, (inputs, targets) in enumerate(train_dataloader):
            # Forward pass
            logits = model(inputs)
            loss = loss_fn(targets, logits)
            logged["n_model_losses"].append(len(model.losses))
            if model.losses:
                loss = loss + torch.sum(*model.losses)

            # Backward pass
            model.zero_grad()
            trainable_weights = [v for v in model.trainable_weights]

            # Call torch.Tensor.backward() on the loss to compute gradients
            # for the weights.
            loss.backward()
            gradients = [v.value.grad for v in trainable_weights]

            # Update weights
            with torch.no_grad():
                optimizer.apply(gradients, trainable_weights)

            # Update training metric.
            train_acc_metric.update_state(targets, logits)
            logged["losses"].append(float(loss.detach().numpy()))

        # Display metrics at the end of each epoch.
        train_acc = train_acc_metric.result()
        logged["train_acc"].append(float(train_acc))

        # Reset training metrics at the end of each epoch
        train_acc_metric.reset_state()

        # Run a validation loop at the end of each epoch.
        for x_batch_val, y_batch_val in val_dataloader:
            val_logits = model(x_batch_val, training=False)
            # Update val metrics
            val_acc_metric.update_state(y_batch_val, val_logits)
        val_acc = val_acc_metric.result()
        val_acc_metric.reset_state()
        logged["val_acc"].append(float(val_acc))
    return logged


def low_level_handling_of_metrics(keras, sync):
    train_dataloader, val_dataloader = _dataloaders(keras)
    # Get a fresh model
    model = get_model(keras)
    sync(model)
    return _train_with_metrics(keras, model, train_dataloader, val_dataloader)


def losses_tracked_by_the_model(keras, sync):
    import torch

    class ActivityRegularizationLayer(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(1e-2 * torch.sum(inputs))
            return inputs

    train_dataloader, val_dataloader = _dataloaders(keras)
    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu")(inputs)
    # Insert activity regularization as a layer
    x = ActivityRegularizationLayer()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)

    model = keras.Model(inputs=inputs, outputs=outputs)
    sync(model)
    return _train_with_metrics(keras, model, train_dataloader, val_dataloader)


PROGRAMS = [torch_optimizer_and_loss, keras_optimizer_and_loss, low_level_handling_of_metrics,
            losses_tracked_by_the_model]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda program: program.__name__)
def test_writing_a_custom_training_loop_in_torch(program):
    check_torch_program(program, PROGRAMS)
