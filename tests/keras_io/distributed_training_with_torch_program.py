"""keras.io's "Multi-GPU distributed training with PyTorch", the per-process part: run by
``tests/keras_io/test_distributed_training_with_torch.py`` in each of 2 processes (torchrun's variables set by
``tests.distribution.launch``), or called in one process for the reference.

``python -m tests.keras_io.distributed_training_with_torch_program OUT`` trains the guide's convnet with the
guide's loop through ``torch.nn.parallel.DistributedDataParallel`` (``gloo``, CPU) and writes the rank's losses
and final weights to ``OUT/rank<N>.npz``.
"""
import os
import sys

import numpy as np
import torch

import kerasport as keras

num_epochs = 2
batch_size = 8  # per process: the global batch of 2 processes is 16


def get_model():
    # Make a simple convnet with batch normalization and dropout.
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Rescaling(1.0 / 255.0)(inputs)
    x = keras.layers.Conv2D(filters=12, kernel_size=3, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization(scale=False, center=True)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(filters=24, kernel_size=6, use_bias=False, strides=2)(x)
    x = keras.layers.BatchNormalization(scale=False, center=True)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(filters=32, kernel_size=6, padding="same", strides=2, name="large_k")(x)
    x = keras.layers.BatchNormalization(scale=False, center=True)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(256, activation="relu")(x)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(10)(x)
    model = keras.Model(inputs, outputs)
    return model


def get_dataset():
    # 32 synthetic MNIST-like samples instead of MNIST: no download.
    rng = np.random.RandomState(0)
    x_train = rng.randint(0, 256, (32, 28, 28)).astype("float32")
    y_train = rng.randint(0, 10, 32)
    # Make sure images have shape (28, 28, 1)
    x_train = np.expand_dims(x_train, -1)
    return torch.utils.data.TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))


def train_model(model, dataloader, num_epochs, optimizer, loss_fn):
    losses = []
    for epoch in range(num_epochs):
        for batch_idx, (inputs, targets) in enumerate(dataloader):
            # Forward pass
            outputs = model(inputs)
            loss = loss_fn(outputs, targets)

            # Backward and optimize
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            losses.append(loss.item())
    return losses


def prepare_dataloader(dataset, current_gpu_index, num_gpus, batch_size):
    sampler = torch.utils.data.distributed.DistributedSampler(
        dataset, num_replicas=num_gpus, rank=current_gpu_index, shuffle=False)
    return torch.utils.data.DataLoader(dataset, sampler=sampler, batch_size=batch_size, shuffle=False)


def per_device_launch_fn(current_gpu_index, num_gpu, out):
    # Setup the process groups: gloo on the CPU, the rendezvous in torchrun's environment variables
    torch.distributed.init_process_group(backend="gloo", init_method="env://", world_size=num_gpu,
                                         rank=current_gpu_index)
    keras.utils.set_random_seed(0)
    dataset = get_dataset()
    model = get_model()

    # prepare the dataloader
    dataloader = prepare_dataloader(dataset, current_gpu_index, num_gpu, batch_size)

    # Instantiate the torch optimizer
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    # Instantiate the torch loss function
    loss_fn = torch.nn.CrossEntropyLoss()

    # Put model on device
    model = model.to("cpu")
    ddp_model = torch.nn.parallel.DistributedDataParallel(model)

    losses = train_model(ddp_model, dataloader, num_epochs, optimizer, loss_fn)
    np.savez(os.path.join(out, f"rank{current_gpu_index}.npz"), losses=np.array(losses),
             **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    torch.distributed.destroy_process_group()


def single_process_reference():
    """The same training in one process, on the global batches (both ranks' samples): ``(losses, weights)``."""
    keras.utils.set_random_seed(0)
    model = get_model()
    dataloader = torch.utils.data.DataLoader(get_dataset(), batch_size=2 * batch_size, shuffle=False)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = train_model(model, dataloader, num_epochs, optimizer, torch.nn.CrossEntropyLoss())
    return losses, model.get_weights()


if __name__ == "__main__":
    per_device_launch_fn(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), sys.argv[1])
