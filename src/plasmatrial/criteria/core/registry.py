"""The registry of criteria: the one module that knows the concrete rule sets (decision 0270).

Three sources, in this order of precedence for a name:

1. :data:`BUILTIN_RULE_SETS`: the rule sets the engine runs (response, progression, staging),
   each a builder function and the options it is called with. The modules that define them
   (``criteria.al.response``, ``criteria.al.staging``, ``criteria.mm.imwg``) are imported only
   when a rule set is asked for, and nothing registers itself at import: no module changes
   another's state when it is imported.
2. :data:`BUILTIN_CATALOGUES`: rule rows applied by their own function (myeloma ISS, R-ISS,
   R2-ISS, MRD, CTCAE grading, trial eligibility); listed and documented like rule sets.
3. Third-party rule sets: every entry point of the group :data:`ENTRY_POINT_GROUP`
   (``plasmatrial.rule_sets``) names a function that takes no argument and returns a
   :class:`~plasmatrial.criteria.core.rules.RuleSet`; the entry point's name is the rule set's
   name. Entry points are read once per process, and only when a name is not built in (or when
   every rule set is listed), so running a built-in rule set never scans the installed packages. A package declares it in its ``pyproject.toml``::

       [project.entry-points."plasmatrial.rule_sets"]
       AL_2024_EXAMPLE = "my_package.rules:build_al_2024"

   :func:`register_rule_set` does the same from code (a notebook, a test).

:data:`DEFAULT_RULE_SETS` is the one place where a disease selects anything: the rule set used
when a trial file or ``respond --disease`` names none (decision 0260).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Final

from plasmatrial.criteria.core.rules import OptionValue, RuleCatalogue, RuleSet
from plasmatrial.errors import RuleError

__all__ = [
    "BUILTIN_CATALOGUES",
    "BUILTIN_RULE_SETS",
    "DEFAULT_RULE_SETS",
    "DISEASE_NAMES",
    "ENTRY_POINT_GROUP",
    "RULE_SET_ALIASES",
    "Builtin",
    "default_rule_set",
    "get_catalogue",
    "get_criteria",
    "get_rule_set",
    "is_for_disease",
    "list_catalogues",
    "list_criteria",
    "list_rule_sets",
    "register_rule_set",
]

#: Entry-point group through which other packages add rule sets.
ENTRY_POINT_GROUP: Final = "plasmatrial.rule_sets"


@dataclass(frozen=True, slots=True)
class Builtin:
    """A built-in rule set or catalogue: the function (``module:attribute``) that builds it and
    the keyword arguments it is called with."""

    name: str
    target: str
    kwargs: tuple[tuple[str, OptionValue], ...] = ()

    def load(self) -> object:
        """Import the module and call the builder (or return the attribute itself where it is
        no builder but the definition, e.g. an eligibility rule set constant)."""
        module, _, attr = self.target.partition(":")
        build = getattr(importlib.import_module(module), attr)
        return build(**dict(self.kwargs)) if callable(build) else build


_AL = "plasmatrial.criteria.al.response:build_al_rule_set"
_IMWG = "plasmatrial.criteria.mm.imwg:build_imwg_rule_set"

#: The rule sets the engine runs, by name. Adding one is one row here (or an entry point).
BUILTIN_RULE_SETS: Final[tuple[Builtin, ...]] = (
    Builtin("CR_2012_RATIO", _AL, (("cr_variant", "CR_2012_RATIO"),)),
    Builtin("CR_2012_LEVELS_AND_RATIO", _AL, (("cr_variant", "CR_2012_LEVELS_AND_RATIO"),)),
    Builtin("CR_ISA", _AL, (("cr_variant", "CR_ISA"),)),
    Builtin("CR_MAYO_2020", _AL, (("cr_variant", "CR_MAYO_2020"),)),
    Builtin("AL_PROG_PALLADINI_2018", _AL, (("progression", "PALLADINI_2018"),)),
    Builtin("CARD_2005", _AL, (("cardiac_criteria", "GERTZ_2005"),)),
    Builtin("RENAL_2005", _AL, (("renal_criteria", "GERTZ_2005"),)),
    Builtin("AL_STAGING", "plasmatrial.criteria.al.staging:build_al_staging"),
    Builtin("IMWG_2016", _IMWG),
    Builtin("IMWG_2011_NADIR", _IMWG, (("pd_reference", "nadir"),)),
)

_ELIG_MODULE = "plasmatrial.criteria.mm.eligibility"
#: Trial eligibility rule sets (``EligibilityRuleSet`` constants), by name: the one list that
#: ``evaluate_eligibility``, ``ELIGIBILITY_RULE_SETS`` and the catalogues below read.
BUILTIN_ELIGIBILITY: Final[tuple[Builtin, ...]] = (
    Builtin("MM003_ELIGIBILITY", f"{_ELIG_MODULE}:MM003_ELIGIBILITY"),
    Builtin("IFM2009_02", f"{_ELIG_MODULE}:IFM2009_02"),
)

_STAGING = "plasmatrial.criteria.mm.staging:staging_catalogue"
_CTCAE = "plasmatrial.criteria.ctcae:ctcae_catalogue"
_ELIG = f"{_ELIG_MODULE}:eligibility_catalogue"
#: Rule rows applied by their own function, listed and documented like rule sets.
BUILTIN_CATALOGUES: Final[tuple[Builtin, ...]] = (
    Builtin("ISS_2005", _STAGING, (("system", "ISS_2005"),)),
    Builtin("R_ISS_2015", _STAGING, (("system", "R_ISS_2015"),)),
    Builtin("R2_ISS_2022", _STAGING, (("system", "R2_ISS_2022"),)),
    Builtin("IMWG_2016_MRD", "plasmatrial.criteria.mm.mrd:mrd_catalogue"),
    Builtin("CTCAE_5.0", _CTCAE, (("version", "5.0"),)),
    Builtin("CTCAE_6.0", _CTCAE, (("version", "6.0"),)),
    *(Builtin(b.name, _ELIG, (("name", b.name),)) for b in BUILTIN_ELIGIBILITY),
)

#: The rule set a disease (trial-file ``disease``, ``respond --disease``) uses by DEFAULT: the one
#: place where the disease selects anything (decision 0260).
DEFAULT_RULE_SETS: Final[Mapping[str, str]] = {"AL": "CR_2012_RATIO", "MM": "IMWG_2016"}

#: Other names trial files use for built-in rule sets (``criteria: {hematologic: AL_2012}``).
RULE_SET_ALIASES: Final[Mapping[str, str]] = {
    "AL_2012": "CR_2012_RATIO",
    "AL_2012_RATIO": "CR_2012_RATIO",
}

#: How rule sets name each disease (``RuleSet.disease``), lower case.
DISEASE_NAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "AL": ("al", "al amyloidosis"),
    "MM": ("mm", "multiple myeloma", "myeloma"),
}

_BUILTIN_BY_NAME: Final[Mapping[str, Builtin]] = {b.name: b for b in BUILTIN_RULE_SETS}
_ELIGIBILITY_BY_NAME: Final[Mapping[str, Builtin]] = {b.name: b for b in BUILTIN_ELIGIBILITY}
_CATALOGUE_BY_NAME: Final[Mapping[str, Builtin]] = {b.name: b for b in BUILTIN_CATALOGUES}
#: Rule sets added by :func:`register_rule_set` or entry points (name → factory).
_ADDED: dict[str, Callable[[], RuleSet]] = {}
_entry_points_read = False


def register_rule_set(name: str, factory: Callable[[], RuleSet], *, replace: bool = False) -> None:
    """Add a rule set under ``name``: ``factory()`` builds it (called on every request).

    Raises
    ------
    RuleError
        ``name`` is already taken (a built-in, a catalogue or an earlier registration) and
        ``replace`` is False. Built-in names can never be replaced.
    """
    if name in _BUILTIN_BY_NAME or name in _CATALOGUE_BY_NAME:
        raise RuleError(f"rule set {name!r} is built in and cannot be registered again")
    if name in _ADDED and not replace:
        raise RuleError(f"rule set {name!r} is already registered (pass replace=True)")
    _ADDED[name] = factory


def _entry_point_factory(ep: metadata.EntryPoint) -> Callable[[], RuleSet]:
    def make() -> RuleSet:
        try:
            factory = ep.load()
            rs = factory()
        except Exception as exc:  # a broken plug-in is named, never a traceback
            raise RuleError(
                f"rule set {ep.name!r} (entry point {ep.value!r} of {ENTRY_POINT_GROUP}) "
                f"could not be built: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(rs, RuleSet):
            raise RuleError(
                f"rule set {ep.name!r} (entry point {ep.value!r}): the function returned "
                f"{type(rs).__name__}, not a RuleSet"
            )
        return rs

    return make


def _read_entry_points() -> None:
    """Register every entry point of :data:`ENTRY_POINT_GROUP` (once per process)."""
    global _entry_points_read
    if _entry_points_read:
        return
    _entry_points_read = True
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _BUILTIN_BY_NAME or ep.name in _CATALOGUE_BY_NAME or ep.name in _ADDED:
            raise RuleError(
                f"entry point {ep.name!r} ({ep.value!r}) of {ENTRY_POINT_GROUP}: a rule set of "
                "that name exists already"
            )
        _ADDED[ep.name] = _entry_point_factory(ep)


def _rule_set_names() -> list[str]:
    _read_entry_points()
    return sorted({*_BUILTIN_BY_NAME, *_ADDED})


def list_rule_sets() -> tuple[RuleSet, ...]:
    """Every rule set (built in, registered, from entry points), by name."""
    return tuple(_build(n) for n in _rule_set_names())


def _build(name: str) -> RuleSet:
    builtin = _BUILTIN_BY_NAME.get(name)
    rs = builtin.load() if builtin is not None else _ADDED[name]()
    if not isinstance(rs, RuleSet):
        raise RuleError(f"rule set {name!r}: the builder returned {type(rs).__name__}")
    return rs


def get_rule_set(name: str, **options: OptionValue) -> RuleSet:
    """The rule set registered under ``name``, optionally rebuilt with ``options``.

    Raises
    ------
    RuleError
        If ``name`` is not registered (the message lists the valid names) or an option is unknown.
    """
    # A built-in or registered name needs no scan of the installed packages' entry points.
    if name not in _BUILTIN_BY_NAME and name not in _ADDED:
        names = _rule_set_names()
        if name not in names:
            hint = " (a rule table: see `criteria show`)" if name in _CATALOGUE_BY_NAME else ""
            raise RuleError(f"unknown rule set {name!r}{hint}; valid names: {', '.join(names)}")
    return _build(name).with_options(**options)


def list_catalogues() -> tuple[RuleCatalogue, ...]:
    """Every built-in rule catalogue (staging, MRD, CTCAE, eligibility), by name."""
    return tuple(get_catalogue(n) for n in sorted(_CATALOGUE_BY_NAME))


def get_catalogue(name: str) -> RuleCatalogue:
    """The rule catalogue ``name``.

    Raises
    ------
    RuleError
        Unknown name (the message lists the valid names).
    """
    b = _CATALOGUE_BY_NAME.get(name)
    if b is None:
        raise RuleError(
            f"unknown rule table {name!r}; valid names: {', '.join(sorted(_CATALOGUE_BY_NAME))}"
        )
    cat = b.load()
    if not isinstance(cat, RuleCatalogue):
        raise RuleError(f"rule table {name!r}: the builder returned {type(cat).__name__}")
    return cat


def eligibility_names() -> tuple[str, ...]:
    """Names of the built-in trial eligibility rule sets, in registry order."""
    return tuple(_ELIGIBILITY_BY_NAME)


def get_eligibility(name: str) -> object:
    """The eligibility rule set ``name`` (an ``EligibilityRuleSet`` of
    :mod:`plasmatrial.criteria.mm.eligibility`, which checks the type).

    Raises
    ------
    KeyError
        Unknown name.
    """
    return _ELIGIBILITY_BY_NAME[name].load()


def list_criteria() -> tuple[RuleSet | RuleCatalogue, ...]:
    """Every rule set and rule catalogue, by name (what ``criteria list`` and the docs show)."""
    items: list[RuleSet | RuleCatalogue] = [*list_rule_sets(), *list_catalogues()]
    return tuple(sorted(items, key=lambda x: x.name))


def get_criteria(name: str) -> RuleSet | RuleCatalogue:
    """The rule set or rule catalogue ``name``.

    Raises
    ------
    RuleError
        Neither (the message lists every valid name).
    """
    if name in _CATALOGUE_BY_NAME:
        return get_catalogue(name)
    if name in _BUILTIN_BY_NAME or name in _ADDED:
        return _build(name)
    names = _rule_set_names()
    if name not in names:
        every = sorted({*names, *_CATALOGUE_BY_NAME})
        raise RuleError(f"unknown rule set {name!r}; valid names: {', '.join(every)}")
    return _build(name)


def is_for_disease(rule_set: RuleSet, disease: str) -> bool:
    """Whether ``rule_set`` is for ``disease`` (``AL`` or ``MM``, case-insensitive)."""
    return rule_set.disease.lower() in DISEASE_NAMES.get(disease.upper(), ())


def default_rule_set(disease: str) -> str:
    """Name of the DEFAULT rule set of ``disease`` (``AL`` or ``MM``, case-insensitive).

    Raises
    ------
    RuleError
        An unknown disease (the message lists the known ones).
    """
    name = DEFAULT_RULE_SETS.get(disease.upper())
    if name is None:
        raise RuleError(f"unknown disease {disease!r}; known: {', '.join(DEFAULT_RULE_SETS)}")
    return name
