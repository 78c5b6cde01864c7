"""The one way plasmatrial creates and closes Dask clients (decision 0900).

Both the trial simulator's sweeps (:func:`plasmatrial.design.simulate.simulate_sweep`) and the
partitioned ``respond`` (:mod:`plasmatrial.partitioned`) take a ``scheduler`` argument:

* ``"local"``: a :class:`distributed.LocalCluster` started here (``n_workers`` workers of one
  thread each, in this process unless ``processes=True``, no dashboard) and closed on exit;
* anything else: the address of a running scheduler (``tcp://host:8786``), connected to with a
  10 s timeout; the cluster itself is left running.

``dask.distributed`` is imported only when a scheduler is asked for.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any

from plasmatrial.errors import PlasmatrialError

#: Workers of a ``"local"`` cluster unless told otherwise (this machine's cores are few).
DEFAULT_LOCAL_WORKERS = 2


def distributed_module() -> Any:
    """``dask.distributed``, or a :class:`PlasmatrialError` naming what is missing."""
    try:
        return importlib.import_module("distributed")
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise PlasmatrialError(f"a Dask scheduler needs dask.distributed ({exc})") from None


@contextlib.contextmanager
def dask_client(
    scheduler: str,
    *,
    n_workers: int = DEFAULT_LOCAL_WORKERS,
    processes: bool = False,
    option: str = "scheduler",
) -> Iterator[Any]:
    """A :class:`distributed.Client` for ``scheduler``, closed (with its local cluster) on exit.

    Parameters
    ----------
    scheduler : str
        ``"local"`` or a scheduler address.
    n_workers : int
        Workers of a local cluster (one thread each); ignored for an address.
    processes : bool
        Local cluster workers as processes (True) or threads of this process (False, faster to
        start; polars and numpy release the GIL).
    option : str
        The option named in errors (``--scheduler`` on the command line).

    Raises
    ------
    PlasmatrialError
        ``n_workers`` below 1, or the scheduler cannot be reached.
    """
    distributed = distributed_module()
    if scheduler == "local":
        if n_workers < 1:
            raise PlasmatrialError(f"{option}: a local cluster needs at least 1 worker")
        cluster = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        )
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(scheduler, timeout=10)
    except (OSError, TimeoutError, ValueError) as exc:
        raise PlasmatrialError(
            f"{option}: cannot connect to Dask scheduler {scheduler!r} ({exc})"
        ) from None
    with client:
        yield client
