"""Start a program in 2 processes on 127.0.0.1, as torchrun (torch) or with ``TF_CONFIG`` (TensorFlow) would."""
import json
import os
import socket
import subprocess
import sys

from kerasport.backends import NAME

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def rank_env(rank, world, ports):
    """The environment of process ``rank``: torchrun's variables, or ``TF_CONFIG``."""
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1",
               TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if NAME == "torch":
        env.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                   MASTER_PORT=str(ports[0]))
    else:
        env["TF_CONFIG"] = json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                                       "task": {"type": "worker", "index": rank}})
    return env


def launch(args, world=2, timeout=150):
    """Run ``python args...`` in ``world`` processes; returns ``[(returncode, output), ...]`` by rank.

    Every process is killed when the run exceeds ``timeout`` seconds, and the
    test fails: a distributed run must end, never hang.
    """
    ports = _free_ports(world)
    procs = [subprocess.Popen([sys.executable, *args], env=rank_env(r, world, ports), cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for r in range(world)]
    results = []
    try:
        for p in procs:
            out, _ = p.communicate(timeout=timeout)
            results.append((p.returncode, out))
    except subprocess.TimeoutExpired:
        for p in procs:
            p.kill()
        outputs = [p.communicate()[0] for p in procs]
        raise AssertionError(f"the {world} processes did not end within {timeout} s:\n" + "\n".join(
            o[-3000:] for o in outputs)) from None
    return results
