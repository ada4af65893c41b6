"""Error types. Every error names the bad value, where it was found and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


class AankomstError(Exception):
    """Base class for all errors raised by Aankomst on purpose (never a bug)."""


@dataclass
class InputProblem:
    """One problem found in an input file.

    Attributes
    ----------
    file
        Path (or name) of the file.
    row
        1-based data row number as a user sees it in a spreadsheet/text editor
        (header rows counted), or ``None`` when the problem concerns the whole file.
    column
        Column name, or ``None``.
    message
        What is wrong, with the bad value.
    expected
        What was expected instead (the fix).
    """

    file: str
    row: int | None
    column: str | None
    message: str
    expected: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        text = f"{where}: {self.message}"
        if self.expected:
            text += f" (expected: {self.expected})"
        return text


class InputError(AankomstError):
    """A file could not be read or validated. Carries one or more :class:`InputProblem`."""

    def __init__(
        self,
        file: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        expected: str = "",
        problems: list[InputProblem] | None = None,
    ) -> None:
        self.problems: list[InputProblem] = problems or [
            InputProblem(str(file), row, column, message, expected)
        ]
        first = self.problems[0]
        self.file, self.row, self.column = first.file, first.row, first.column
        self.expected = first.expected
        text = str(first)
        if len(self.problems) > 1:
            text += f" (and {len(self.problems) - 1} more problem(s))"
        super().__init__(text)


class UnknownCodeError(AankomstError, LookupError):
    """An indicator, area, level, scheme, group or period that does not exist."""

    def __init__(self, kind: str, value: object, *, known: list[str] | None = None, hint: str = ""):
        self.kind, self.value = kind, value
        self.known = list(known or [])
        text = f"unknown {kind} {value!r}"
        if self.known:
            shown = ", ".join(map(str, self.known[:12]))
            more = f" … ({len(self.known)} in all)" if len(self.known) > 12 else ""
            text += f"; known: {shown}{more}"
        if hint:
            text += f". {hint}"
        super().__init__(text)


class MissingInputError(AankomstError):
    """An indicator cannot be computed because an input is missing from the store.

    The message names the input (table, scheme, group) and the years asked for.
    """

    def __init__(self, indicator: str, missing: str, *, years: object = None, fix: str = ""):
        self.indicator, self.missing, self.years, self.fix = indicator, missing, years, fix
        text = f"indicator {indicator!r} needs {missing}"
        if years is not None:
            text += f" for {years}"
        text += ", which is not in the atlas"
        if fix:
            text += f". {fix}"
        super().__init__(text)
