"""keras.io example "Actor Critic Method" (examples/rl/actor_critic_cartpole.py).

The example's loop as written: a functional model with two heads (action probabilities, critic value), one
``tf.GradientTape`` around a whole episode, actions sampled with ``np.random.choice`` from the model's
probabilities, ``tf.math.log`` of one probability, ``keras.losses.Huber`` on each step, ``sum`` of the loss
tensors, ``optimizer.apply_gradients``. TensorFlow only (``tf.GradientTape``).

The gym environment is replaced by ``CartPole``, a stand-in with CartPole-v0's physics and interface
(``reset()`` returns the state, ``step(action)`` returns ``(state, reward, done, info)``), seeded, no
rendering. Shrunk: 3 episodes of at most 25 steps instead of "until solved", 16 hidden units.
``np.random`` is seeded, so both libraries draw the same actions where their probabilities agree.
"""
import math

import numpy as np
import pytest

import kerasport
from tests.programs.test_keras_programs import check_program


class CartPole:
    """CartPole-v0's dynamics (Barto, Sutton & Anderson 1983), as gym's ``CartPoleEnv`` integrates them."""

    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02

    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)
        self.state = None

    def reset(self):
        self.state = self.rng.uniform(-0.05, 0.05, 4)
        return self.state.astype("float32")

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        total_mass = self.masscart + self.masspole
        polemass_length = self.masspole * self.length
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + polemass_length * theta_dot ** 2 * sintheta) / total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta ** 2 / total_mass))
        xacc = temp - polemass_length * thetaacc * costheta / total_mass
        x, x_dot = x + self.tau * x_dot, x_dot + self.tau * xacc
        theta, theta_dot = theta + self.tau * theta_dot, theta_dot + self.tau * thetaacc
        self.state = np.array([x, x_dot, theta, theta_dot])
        done = bool(abs(x) > 2.4 or abs(theta) > 12 * 2 * math.pi / 360)
        return self.state.astype("float32"), 1.0, done, {}


def actor_critic(keras, sync):
    import tensorflow as tf

    layers = keras.layers
    np.random.seed(0)

    # Configuration parameters for the whole setup
    seed = 42
    gamma = 0.99  # Discount factor for past rewards
    max_steps_per_episode = 25
    env = CartPole(seed)  # Create the environment
    eps = np.finfo(np.float32).eps.item()  # Smallest number such that 1.0 + eps != 1.0

    num_inputs = 4
    num_actions = 2
    num_hidden = 16

    inputs = layers.Input(shape=(num_inputs,))
    common = layers.Dense(num_hidden, activation="relu")(inputs)
    action = layers.Dense(num_actions, activation="softmax")(common)
    critic = layers.Dense(1)(common)

    model = keras.Model(inputs=inputs, outputs=[action, critic])
    sync(model)

    optimizer = keras.optimizers.Adam(learning_rate=0.01)
    huber_loss = keras.losses.Huber()
    action_probs_history = []
    critic_value_history = []
    rewards_history = []
    running_reward = 0
    episode_count = 0
    report = {"running_reward": [], "loss": [], "actions": []}

    while episode_count < 3:
        state = env.reset()
        episode_reward = 0
        with tf.GradientTape() as tape:
            for timestep in range(1, max_steps_per_episode):
                state = tf.convert_to_tensor(state)
                state = tf.expand_dims(state, 0)

                # Predict action probabilities and estimated future rewards
                # from environment state
                action_probs, critic_value = model(state)
                critic_value_history.append(critic_value[0, 0])

                # Sample action from action probability distribution
                action = np.random.choice(num_actions, p=np.squeeze(action_probs))
                action_probs_history.append(tf.math.log(action_probs[0, action]))
                report["actions"].append(int(action))

                # Apply the sampled action in our environment
                state, reward, done, _ = env.step(action)
                rewards_history.append(reward)
                episode_reward += reward

                if done:
                    break

            # Update running reward to check condition for solving
            running_reward = 0.05 * episode_reward + (1 - 0.05) * running_reward

            # Calculate expected value from rewards
            returns = []
            discounted_sum = 0
            for r in rewards_history[::-1]:
                discounted_sum = r + gamma * discounted_sum
                returns.insert(0, discounted_sum)

            # Normalize
            returns = np.array(returns)
            returns = (returns - np.mean(returns)) / (np.std(returns) + eps)
            returns = returns.tolist()

            # Calculating loss values to update our network
            history = zip(action_probs_history, critic_value_history, returns)
            actor_losses = []
            critic_losses = []
            for log_prob, value, ret in history:
                diff = ret - value
                actor_losses.append(-log_prob * diff)  # actor loss
                critic_losses.append(
                    huber_loss(tf.expand_dims(value, 0), tf.expand_dims(ret, 0))
                )

            # Backpropagation
            loss_value = sum(actor_losses) + sum(critic_losses)
            grads = tape.gradient(loss_value, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))

            # Clear the loss and reward history
            action_probs_history.clear()
            critic_value_history.clear()
            rewards_history.clear()

        episode_count += 1
        report["running_reward"].append(running_reward)
        report["loss"].append(float(loss_value))
    report["weights"] = model.get_weights()
    return report


@pytest.mark.skipif(kerasport.backend.backend() != "tensorflow",
                    reason="the example trains with tf.GradientTape: TensorFlow only")
def test_actor_critic_cartpole():
    check_program(actor_critic)
