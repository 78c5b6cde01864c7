"""The registry of generator profiles: the one place ``synth`` maps a disease to what it generates.

A trial's profile is ``simulation.profile`` when its trial file names one, else the DEFAULT
profile of its disease (:data:`DEFAULT_PROFILES`, the counterpart of the criteria's
``DEFAULT_RULE_SETS``). Everything else in the generator reads the chosen
:class:`~plasmatrial.synth.profile.GeneratorProfile` (decision 0621).

Adding a disease: write its profile (a module like :mod:`plasmatrial.synth.light_chain`), list
it in :data:`PROFILES` and name it in :data:`DEFAULT_PROFILES` under the disease code.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from plasmatrial.errors import DesignError
from plasmatrial.synth import light_chain, m_protein
from plasmatrial.synth.profile import GeneratorProfile
from plasmatrial.synth.trial_types import TrialLike

#: Every profile by name (``simulation.profile``).
PROFILES: Final[Mapping[str, GeneratorProfile]] = MappingProxyType(
    {p.name: p for p in (light_chain.PROFILE, m_protein.PROFILE)}
)

#: The profile a disease (trial-file ``disease``) uses when its ``simulation:`` block names none.
DEFAULT_PROFILES: Final[Mapping[str, str]] = MappingProxyType(
    {"AL": light_chain.PROFILE.name, "MM": m_protein.PROFILE.name}
)


def get_profile(name: str) -> GeneratorProfile:
    """The profile ``name``.

    Raises
    ------
    DesignError
        No profile has that name (the message lists them).
    """
    try:
        return PROFILES[name]
    except KeyError:
        raise DesignError(
            f"unknown generator profile {name!r}; profiles: {', '.join(sorted(PROFILES))}"
        ) from None


def profile_for(trial: TrialLike) -> GeneratorProfile:
    """The trial's profile: ``simulation.profile``, else its disease's DEFAULT profile.

    Raises
    ------
    DesignError
        An unknown profile name, or a disease without a DEFAULT profile.
    """
    name = trial.simulation.get("profile")
    if name is None:
        name = DEFAULT_PROFILES.get(trial.disease)
        if name is None:
            raise DesignError(
                f"trial {trial.id}: no generator profile for disease {trial.disease!r} "
                f"(diseases with one: {', '.join(sorted(DEFAULT_PROFILES))}); name one in "
                f"simulation.profile ({', '.join(sorted(PROFILES))})"
            )
    return get_profile(str(name))
