"""The report template folder (templates, CSS, UI strings, settings as data) and number texts.

The packaged folder is ``aankomst/web/templates/report/``; a user folder given as
``template_dir`` (``aankomst report --template-dir DIR``) overrides it file by file: a file
present there is used instead of the packaged one, so a province or a city brands its
reports (``logo.svg``, ``report.css``, an ``intro`` text in ``strings.csv`` …) without code.
Two data files are *merged* rather than replaced, so that a brand folder need hold only
what it changes: ``strings.csv`` (rows by ``key``) and ``report.json`` (top-level keys).
"""

from __future__ import annotations

import base64
import csv
import json
import mimetypes
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from aankomst.classification.core import format_number
from aankomst.errors import AankomstError

PACKAGED = Path(__file__).resolve().parent / "templates" / "report"
"""The packaged report template folder."""

LANGS = ("nl", "fr", "en")
"""Languages of the reports."""

NO_VALUE = "\u2014"
"""What a suppressed figure prints as (an em dash, with a footnote)."""


def check_lang(lang: str) -> str:
    """``lang`` when it is a report language, else an error naming the choices.

    Examples
    --------
    >>> check_lang("fr")
    'fr'
    """
    if lang not in LANGS:
        raise AankomstError(f"report language {lang!r} is not available; use one of {', '.join(LANGS)}")
    return lang


class TemplateFolder:
    """The packaged report templates, overridden file by file by ``template_dir``.

    Parameters
    ----------
    template_dir
        A folder whose files replace the packaged ones of the same name (``None``: packaged
        only). ``strings.csv`` and ``report.json`` are merged with the packaged ones.

    Examples
    --------
    >>> folder = TemplateFolder()
    >>> folder.text("report_title", "fr")
    'Rapport de zone'
    >>> folder.settings["max_sub_maps"]
    2
    """

    def __init__(self, template_dir: str | Path | None = None) -> None:
        self.user = Path(template_dir) if template_dir else None
        if self.user is not None and not self.user.is_dir():
            raise AankomstError(f"template folder {str(self.user)!r} does not exist; give a folder holding the "
                                f"files to override (copy them from {PACKAGED})")

    def path(self, name: str) -> Path:
        """The file ``name``: the user's when present, else the packaged one."""
        if self.user is not None and (self.user / name).is_file():
            return self.user / name
        return PACKAGED / name

    def data_uri(self, name: str) -> str:
        """The file ``name`` as a ``data:`` URI (logos, images); empty when absent."""
        p = self.path(name)
        if not name or not p.is_file():
            return ""
        mime = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
        return f"data:{mime};base64," + base64.b64encode(p.read_bytes()).decode("ascii")

    def css(self) -> str:
        """The report stylesheet (``report.css``)."""
        return self.path("report.css").read_text(encoding="utf-8")

    @cached_property
    def settings(self) -> dict[str, Any]:
        """``report.json``: packaged settings updated with the user's top-level keys."""
        out: dict[str, Any] = json.loads((PACKAGED / "report.json").read_text(encoding="utf-8"))
        if self.user is not None and (self.user / "report.json").is_file():
            try:
                mine = json.loads((self.user / "report.json").read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise AankomstError(f"{self.user / 'report.json'}: not valid JSON ({exc}); fix the file "
                                    "or remove it to use the packaged settings") from None
            out.update(mine)
        return out

    @cached_property
    def strings(self) -> dict[str, dict[str, str]]:
        """UI strings ``key -> {nl, fr, en}`` (``strings.csv``; the user's rows win by key)."""
        out: dict[str, dict[str, str]] = {}
        files = [PACKAGED / "strings.csv"]
        if self.user is not None and (self.user / "strings.csv").is_file():
            files.append(self.user / "strings.csv")
        for f in files:
            with open(f, encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    key = (row.get("key") or "").strip()
                    if key:
                        out.setdefault(key, {}).update({k: v for k, v in row.items() if k in LANGS and v})
        return out

    def text(self, key: str, lang: str, **fmt: Any) -> str:
        """UI string ``key`` in ``lang`` (English, then Dutch, when missing), formatted.

        Raises
        ------
        AankomstError
            An unknown key (a template asks for a string that ``strings.csv`` lacks).
        """
        row = self.strings.get(key)
        if row is None:
            raise AankomstError(f"report string {key!r} is not in strings.csv; add a row "
                                f"'{key},nl text,fr text,en text' to {self.path('strings.csv')}")
        s = row.get(lang) or row.get("en") or row.get("nl") or ""
        return s.format(**fmt) if fmt else s

    def label(self, item: dict[str, Any], lang: str) -> str:
        """An indicator's label in ``lang`` from the catalogue (``data/indicators/*.csv``, the one
        home of indicator texts; French falls back to English, then Dutch)."""
        if lang == "fr":
            return str(item.get("label_fr") or item.get("label_en") or item.get("label_nl") or item.get("id", ""))
        return str(item.get(f"label_{lang}") or item.get("label_nl") or item.get("id", ""))

    def definition(self, item: dict[str, Any], lang: str) -> tuple[str, bool]:
        """An indicator's definition in ``lang`` and whether it fell back to English."""
        if lang == "fr":
            fr = item.get("definition_fr")
            if fr:
                return str(fr), False
            return str(item.get("definition_en") or ""), True
        return str(item.get(f"definition_{lang}") or item.get("definition_nl") or ""), False

    # ------------------------------------------------------------------ numbers and dates
    def decimals(self, unit: str | None) -> int:
        """Decimals printed for a unit (``decimals`` in ``report.json``)."""
        table = self.settings.get("decimals") or {}
        return int(table.get(str(unit or ""), self.settings.get("default_decimals", 1)))

    def number(self, value: float, unit: str | None, lang: str, decimals: int | None = None) -> str:
        """A figure in the report's notation (nl ``12.345,7``, fr ``12 345,7``, en ``12,345.7``).

        Examples
        --------
        >>> f = TemplateFolder()
        >>> f.number(84859.0, "persons", "nl"), f.number(19.44, "%", "fr"), f.number(-2.5, "pp", "en")
        ('84.859', '19,4', '−2.5')
        """
        s = format_number(float(value), self.decimals(unit) if decimals is None else decimals, "en")
        if lang == "nl":
            return s.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
        if lang == "fr":
            return s.replace(",", "\u00a0").replace(".", ",")
        return s

    def period(self, period: Any, lang: str) -> str:
        """A reference period as text: ``2019-01-01`` → ``1 januari 2019``, ``2018-2022`` →
        ``2018–2022``, ``2010-01-01/2023-01-01`` → ``1 januari 2010 – 1 januari 2023``.

        Examples
        --------
        >>> TemplateFolder().period("2019-01-01", "fr"), TemplateFolder().period("2018-2022", "en")
        ('1er janvier 2019', '2018–2022')
        """
        p = str(period or "")
        if "/" in p:
            return " \u2013 ".join(self.period(x, lang) for x in p.split("/"))
        if len(p) == 10 and p[4] == "-" and p[7] == "-" and p[:4].isdigit():
            day = int(p[8:10])
            ordinal = "1er" if lang == "fr" and day == 1 else str(day)
            return f"{ordinal} {self.text('month_' + str(int(p[5:7])), lang)} {p[:4]}"
        if len(p) == 9 and p[4] == "-" and p[:4].isdigit() and p[5:].isdigit():
            return f"{p[:4]}\u2013{p[5:]}"
        return p

    def today(self, lang: str, when: date | None = None) -> str:
        """The date of ``when`` (default today) as text in ``lang``."""
        return self.period((when or date.today()).isoformat(), lang)
