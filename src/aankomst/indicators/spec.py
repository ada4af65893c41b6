"""``IndicatorSpec``: the one declaration of an indicator.

Every indicator — core, register, deprivation, registry — is declared once as an
:class:`IndicatorSpec` and registered in :mod:`aankomst.indicators.registry` (the plug-ins of the
other subsystems are registered explicitly by :func:`aankomst.plugins.install`). From the spec
the product derives, generically:

* parameter validation (:meth:`IndicatorSpec.validate`: an unknown or misspelt parameter is an
  error listing the known ones; values are coerced to their declared type or refused),
* the periods and groups on offer (:mod:`aankomst.indicators.availability`, asked of the data
  the declared :attr:`IndicatorSpec.inputs` hold),
* the CLI options, ``/api/indicators``, ``/api/periods`` and ``docs/indicators.md``.

Texts (labels, definitions, units, sources) stay in the catalogue CSV files
(``aankomst/data/indicators/*.csv``); categories of categorical indicators come from their rule
tables (``typology_rules.csv``, ``difficulty_rules.csv``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aankomst.errors import UnknownCodeError

if TYPE_CHECKING:  # pragma: no cover
    from aankomst.indicators.availability import Input
    from aankomst.indicators.result import Computed

Kind = Literal["count", "share", "rate", "ratio", "index", "difference", "categorical", "distance",
               "amount"]
ParamType = Literal["int", "float", "bool", "str", "year", "code", "level", "choice"]
GroupUse = Literal["none", "optional", "fixed"]

KINDS: tuple[str, ...] = ("count", "share", "rate", "ratio", "index", "difference", "categorical",
                          "distance", "amount")

_TRUE = {"true", "1", "yes", "ja", "oui", "on"}
_FALSE = {"false", "0", "no", "nee", "non", "off"}


class ParameterError(UnknownCodeError):
    """An indicator parameter that does not exist, or a value of the wrong type.

    Examples
    --------
    >>> err = ParameterError("parameter of indicator 'x'", "windw", known=["window"])
    >>> "known: window" in str(err)
    True
    """


@dataclass(frozen=True)
class Param:
    """A typed indicator parameter.

    Attributes
    ----------
    name
        Keyword name (``window``, ``base_year`` …).
    type
        ``int``, ``float``, ``bool``, ``str``, ``year``, ``code``, ``level`` or ``choice``.
    default
        Value used when the parameter is not given (``None``: none).
    choices
        Allowed values for ``choice`` parameters.
    minimum, maximum
        Smallest and largest allowed value for numbers.
    """

    name: str
    type: ParamType = "str"
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def coerce(self, value: Any, indicator: str) -> Any:
        """The value converted to the parameter's type, or :class:`ParameterError`.

        Examples
        --------
        >>> Param("window", "int", 3, minimum=1).coerce("5", "x")
        5
        >>> Param("rate", "bool", True).coerce("false", "x")
        False
        """
        if value is None or (isinstance(value, str) and value.strip() == ""):
            return self.default
        what = f"value of parameter {self.name!r} of indicator {indicator!r}"
        t = self.type
        try:
            if t == "int":
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise ValueError
                out: Any = int(str(value).strip()) if not isinstance(value, (int, float)) else int(value)
            elif t == "float":
                if isinstance(value, bool):
                    raise ValueError
                out = float(value)
                if not math.isfinite(out):
                    raise ValueError
            elif t == "bool":
                if isinstance(value, bool):
                    out = value
                elif str(value).strip().lower() in _TRUE:
                    out = True
                elif str(value).strip().lower() in _FALSE:
                    out = False
                else:
                    raise ValueError
            elif t == "year":
                s = str(value).strip()
                if not re.fullmatch(r"\d{4}(-01-01)?", s):
                    raise ValueError
                out = int(s[:4])
            else:
                out = str(value).strip()
                if len(out) > 200 or any(ord(ch) < 32 for ch in out):
                    raise ValueError
        except (TypeError, ValueError):
            expected = {"int": "a whole number", "float": "a finite number",
                        "bool": "true or false", "year": "a year such as 2015",
                        }.get(t, "a short text")
            raise ParameterError(what, value, hint=f"give {expected}") from None
        if self.choices and str(out) not in self.choices:
            raise ParameterError(what, value, known=list(self.choices))
        if self.minimum is not None and isinstance(out, (int, float)) and out < self.minimum:
            raise ParameterError(what, value, hint=f"give a value >= {self.minimum:g}")
        if self.maximum is not None and isinstance(out, (int, float)) and out > self.maximum:
            raise ParameterError(what, value, hint=f"give a value <= {self.maximum:g}")
        if t == "year" and not 1800 <= int(out) <= 2200:
            raise ParameterError(what, value, hint="give a year between 1800 and 2200")
        return out

    def describe(self) -> dict[str, Any]:
        """JSON-ready description (name, type, default, choices)."""
        return {"name": self.name, "type": self.type, "default": self.default,
                "choices": list(self.choices), "minimum": self.minimum, "maximum": self.maximum}


@dataclass(frozen=True)
class Category:
    """One class of a categorical indicator (value, labels nl/fr/en, colour)."""

    value: str
    label_nl: str
    label_en: str
    label_fr: str
    colour: str
    order: int = 0

    def label(self, lang: str = "nl") -> str:
        """The label in ``nl``, ``fr`` or ``en`` (Dutch when unknown)."""
        return {"en": self.label_en, "fr": self.label_fr}.get(lang, self.label_nl)


LAYOUT = Param("layout", "str")
"""Every indicator accepts ``layout`` (the vintage of the level; default its current layout)."""

GENERIC: tuple[Param, ...] = (
    Param("min_population", "float", None, minimum=0, maximum=1e9),
    Param("within", "code"),
    Param("rank", "bool", False),
)
"""Parameters handled by :func:`aankomst.indicators.compute` for every indicator."""


@dataclass(frozen=True)
class IndicatorSpec:
    """The declaration of one indicator.

    Attributes
    ----------
    id
        Stable id (``group_share``); its texts are the catalogue row with that id.
    function
        The implementation: ``function(atlas, *, level, period, group, scheme, **params)``
        returning a :class:`~aankomst.indicators.result.Computed`.
    kind
        ``count``, ``share``, ``rate``, ``ratio``, ``index``, ``difference``, ``categorical``,
        ``distance`` or ``amount``.
    levels
        Levels the indicator is defined for.
    inputs
        What it reads (:mod:`aankomst.indicators.availability` inputs); the periods on offer are
        those where every input has data reaching the level.
    params
        Its own typed parameters (``layout`` and the generic ones are added).
    groups
        ``none`` (no population group), ``optional`` (any group of the data, default total) or
        ``fixed`` (the indicator names its group itself).
    period
        ``date`` (1 January stock), ``year`` (calendar/income year), ``window`` (``Y0-Y1``;
        length from the ``window`` parameter) or ``edition`` (an edition year).
    categories
        Classes of a categorical indicator, in map order.
    value_is_count
        ``True`` when the value itself is a count of persons (small-cell rule on the value).
    memo
        ``True`` (default) when a result depends on the atlas alone, so the engine may reuse it
        while the atlas is unchanged; ``False`` when it also depends on state outside the atlas
        (the registry database, its environment variable).
    """

    id: str
    function: Callable[..., Computed]
    kind: Kind
    levels: tuple[str, ...]
    inputs: tuple[Input, ...]
    params: tuple[Param, ...] = ()
    groups: GroupUse = "none"
    period: Literal["date", "year", "window", "edition"] = "date"
    categories: Callable[[], tuple[Category, ...]] | None = None
    value_is_count: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    memo: bool = True

    @property
    def all_params(self) -> tuple[Param, ...]:
        """Own parameters, then ``layout``, then the generic ones."""
        own = {p.name for p in self.params}
        return (*self.params, *(p for p in (LAYOUT, *GENERIC) if p.name not in own))

    def param(self, name: str) -> Param:
        """The parameter called ``name`` or :class:`ParameterError` listing the known ones."""
        for p in self.all_params:
            if p.name == name:
                return p
        raise ParameterError(f"parameter of indicator {self.id!r}", name,
                             known=[p.name for p in self.all_params])

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Parameters checked and typed, defaults filled in.

        Raises
        ------
        ParameterError
            An unknown (e.g. misspelt) parameter — the message lists the known ones — or a
            value of the wrong type.

        Examples
        --------
        >>> from aankomst.indicators.registry import get
        >>> spec = get("internal_migration_balance")
        >>> spec.validate({"window": "5"})["window"]
        5
        >>> spec.validate({"windw": 7})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        aankomst.indicators.spec.ParameterError: unknown parameter of indicator 'internal_migration_balance' 'windw'; known: window, ...
        """
        out: dict[str, Any] = {}
        for name, value in params.items():
            p = self.param(name)
            out[name] = p.coerce(value, self.id)
        for p in self.all_params:
            if p.name not in out:
                out[p.name] = p.default
        return out

    def category_list(self) -> tuple[Category, ...]:
        """The categories (empty for non-categorical indicators)."""
        return self.categories() if self.categories is not None else ()

    def has_level(self, level: str) -> bool:
        """Whether the indicator is defined at ``level`` (a level name without layout)."""
        return level in self.levels


def check_specs(specs: Sequence[IndicatorSpec]) -> None:
    """Consistency checks of a set of specs (unique ids, known kinds, categorical categories).

    Raises
    ------
    ValueError
        Naming the spec and what is wrong.
    """
    seen: set[str] = set()
    for s in specs:
        if s.id in seen:
            raise ValueError(f"indicator {s.id!r} is declared twice")
        seen.add(s.id)
        if s.kind not in KINDS:
            raise ValueError(f"indicator {s.id!r}: unknown kind {s.kind!r}; known: {KINDS}")
        if s.kind == "categorical" and s.categories is None:
            raise ValueError(f"categorical indicator {s.id!r} declares no categories")
        if not s.levels:
            raise ValueError(f"indicator {s.id!r} declares no levels")
