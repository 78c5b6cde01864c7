"""Typed ``options`` of the ``mrd`` endpoint, for the MRD analysis (decision 0505).

The options of every endpoint type are validated when the trial file is parsed
(:mod:`plasmatrial.design.endpoint_options`, decision 0747); this module keeps the MRD names the
pipeline has used.
"""

from __future__ import annotations

from plasmatrial.design.endpoint_options import DEFAULT_WINDOW_DAYS, MrdOptions
from plasmatrial.design.protocol import Endpoint
from plasmatrial.errors import PlasmatrialError

__all__ = ["DEFAULT_WINDOW_DAYS", "MrdOptions", "mrd_options"]


def mrd_options(endpoint: Endpoint) -> MrdOptions:
    """The typed options of an ``mrd`` endpoint.

    Raises
    ------
    PlasmatrialError
        The endpoint is not an ``mrd`` endpoint.
    """
    if not isinstance(endpoint.options, MrdOptions):
        raise PlasmatrialError(f"endpoint {endpoint.id} ({endpoint.type}) is not an mrd endpoint")
    return endpoint.options
