"""Shards as tasks on a Dask cluster: ``--scheduler ADDRESS`` or ``DASK_SCHEDULER_ADDRESS``.

The address is an option, never a parameter: it changes no byte, so it is not in params.yaml
and a DVC stage does not go stale when it changes. ``dvc repro`` uses the cluster when the
environment variable is set, because DVC passes the environment to every stage's command.

Why the bytes are the cluster's too:

* a task is a pure function of its description (seeds keyed by item identity), so it does
  not matter which worker runs it, how often (a worker that dies has its tasks recomputed
  by the scheduler) or when it finishes;
* the driver takes results in task order and writes them itself (or, for sharded outputs,
  the worker writes the shard whose bytes depend on the task alone);
* every task first checks that its worker runs the same synthbank source and the same
  numerical libraries as the driver (:func:`environment_digest`), and fails with one line if
  not, rather than write other bytes.

Bounds: at most ``window`` tasks (default twice the cluster's worker threads) are in flight,
and the driver holds one result at a time (results stay on the workers until their turn).
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from synthbank.errors import SynthbankError, UsageError

T = TypeVar("T")
R = TypeVar("R")

#: Dask's own convention for the scheduler address of a client (also read by ``dask worker``).
ADDRESS_ENV = "DASK_SCHEDULER_ADDRESS"
#: What the messages say is allowed.
ALLOWED = "the address of a running Dask scheduler, for example tcp://127.0.0.1:8786"

_clients: dict[str, Any] = {}


def resolve(option: str | None) -> tuple[str | None, str]:
    """The scheduler address to use and where it came from (for messages).

    ``--scheduler`` wins over ``DASK_SCHEDULER_ADDRESS``; ``--scheduler local`` runs on this
    machine even when the variable is set. Neither set: ``(None, "")``, no cluster.
    """
    if option is not None:
        option = option.strip()
        if option in ("", "local"):
            return None, "--scheduler"
        return option, "--scheduler"
    env = os.environ.get(ADDRESS_ENV, "").strip()
    return (env or None), ADDRESS_ENV


def connect(address: str, source: str = "--scheduler") -> Any:
    """A client of the scheduler at ``address`` with at least one worker (cached per address).

    Raises
    ------
    UsageError
        One line naming the address when it is malformed, unreachable within Dask's
        ``distributed.comm.timeouts.connect`` or has no worker within that time.
    """
    if address in _clients:
        return _clients[address]
    import dask  # only a run on a cluster pays for these imports
    from distributed import Client
    from distributed.comm import parse_address
    from distributed.comm.registry import get_backend

    try:  # before a Client exists: a half-made one hangs for a minute when collected
        scheme, location = parse_address(address)
        get_backend(scheme)
        if not location:
            raise ValueError("no host")
    except ValueError as exc:
        raise UsageError(f"{source}={address} is invalid ({exc}): allowed {ALLOWED}") from None
    timeout = dask.config.get("distributed.comm.timeouts.connect")
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"{source}={address} is unreachable ({reason}): allowed {ALLOWED}") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError):
        client.close()
        raise UsageError(f"{source}={address} has no worker after {timeout}: allowed {ALLOWED} with workers") from None
    _clients[address] = client
    return client


def close() -> None:
    """Close every client this process opened (the cluster itself keeps running)."""
    while _clients:
        _, client = _clients.popitem()
        client.close()


@functools.cache
def environment_digest() -> str:
    """sha256 over the synthbank source and package data, and the versions of the numerical stack.

    Two processes with the same digest compute the same bytes for the same task (the
    determinism contract covers CPU differences; this covers software differences).
    """
    import h5py
    import numpy
    import scipy

    import synthbank

    root = Path(synthbank.__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.json")]):  # schemas and plot templates are code too
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    versions = (f"python {sys.version_info[0]}.{sys.version_info[1]} numpy {numpy.__version__} scipy {scipy.__version__} "
                f"h5py {h5py.__version__} hdf5 {h5py.version.hdf5_version} zlib {zlib.ZLIB_RUNTIME_VERSION}")  # deflate bytes
    return f"{digest.hexdigest()[:16]} ({versions})"


class WorkerMismatch(UsageError):
    """A worker runs other synthbank code or other numerical libraries than the driver."""


def checked_call(fn: Callable[[T], R], expected: str, task: T) -> R:
    """Run ``fn(task)`` on a worker whose environment matches the driver's."""
    got = environment_digest()
    if got != expected:
        raise WorkerMismatch(
            f"a Dask worker runs synthbank {got}, this run needs {expected}: allowed workers that run the same "
            "synthbank checkout and the pinned requirements.lock"
        )
    return fn(task)


def threads(client: Any) -> int:
    """The cluster's worker threads (what runs at once)."""
    return sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()) or 1


def task_name(fn: Callable[..., Any]) -> str:
    """``module.function`` of ``fn`` (through ``functools.partial``): the prefix of its tasks' keys on the dashboard."""
    inner = getattr(fn, "func", fn)
    return f"{getattr(inner, '__module__', '?')}.{getattr(inner, '__qualname__', type(inner).__name__)}".replace("-", "_")


#: Re-read the cluster's size every this many submissions: an adaptive cluster grows.
_RESIZE_EVERY = 32
#: What a command is running, for the task keys (``generate_atomic``), set by the core.
label = "synthbank"


def run_ordered(fn: Callable[[T], R], tasks: Iterable[T], *, address: str, window: int | None = None) -> Iterator[R]:
    """Yield ``fn(task)`` for every task, in task order, computed on the cluster at ``address``.

    Parameters
    ----------
    fn : a pure function of one task (pickled with cloudpickle; module-level functions by name).
    tasks : the shard descriptions: small, picklable, absolute paths only.
    address : the scheduler (already reached by :func:`connect` in the command's checks).
    window : tasks in flight at most (default: twice the cluster's worker threads, re-read
        as the cluster grows or shrinks).

    Earlier tasks get higher priority, so results tend to arrive in the order they are
    consumed. A task lost with its worker is recomputed by the scheduler (up to Dask's
    ``distributed.scheduler.allowed-failures``); a task that raises re-raises here. On an
    error, Ctrl-C or SIGTERM every task of the run is cancelled, running ones included.
    """
    client = connect(address)
    expected = environment_digest()
    prefix = f"{label}.{task_name(fn)}"
    run_id = uuid.uuid4().hex[:8]
    pending: deque[Any] = deque()
    limit = window or 2 * threads(client)
    try:
        for i, task in enumerate(tasks):
            pending.append(client.submit(checked_call, fn, expected, task, key=f"{prefix}-{run_id}-{i}",
                                         pure=False, priority=-i))
            if window is None and i % _RESIZE_EVERY == _RESIZE_EVERY - 1:
                limit = 2 * threads(client)
            if len(pending) >= limit:
                yield _take(pending, address)
        while pending:
            yield _take(pending, address)
    finally:  # nothing of ours left running: the driver is about to remove its staging
        if pending:
            client.cancel(list(pending), force=True)


def _take(pending: deque[Any], address: str) -> Any:
    """The oldest future's result (it stays in ``pending``, and so cancellable, until it is in)."""
    import asyncio
    import concurrent.futures

    import dask
    from distributed import KilledWorker

    future = pending[0]
    try:
        value = future.result()
    except KilledWorker as exc:  # the same task took down worker after worker
        raise SynthbankError(f"the Dask cluster at {address} lost task {future.key} with its worker "
                             f"{dask.config.get('distributed.scheduler.allowed-failures')} times: outputs left as they were") from exc
    except (asyncio.CancelledError, concurrent.futures.CancelledError) as exc:  # the scheduler went away
        raise SynthbankError(f"the Dask cluster at {address} cancelled task {future.key} (scheduler gone or restarted): "
                             "outputs left as they were") from exc
    pending.popleft()
    future.release()  # its copy on the worker can go now
    return value
