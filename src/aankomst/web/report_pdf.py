"""PDF from report HTML: headless chromium's print-to-PDF through Playwright, offline.

* Debian chromium (``/usr/bin/chromium``, or ``$AANKOMST_CHROMIUM``) — never a browser
  downloaded by ``playwright install``;
* no network: the browser context is offline, JavaScript is off, and every request that is not
  a ``data:`` URI is aborted (``page.route``) and counted in :attr:`PdfRenderer.blocked`;
* A4, backgrounds printed, fonts embedded by chromium, a footer with the area, the date and
  the page number.

A :class:`PdfRenderer` keeps one chromium for many reports (a batch worker owns one);
:class:`SharedRenderer` runs one in a single background thread for the web server.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path
from typing import Any, Self

from aankomst.errors import AankomstError

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-default-apps", "--disable-extensions"]
"""Command-line switches of the report's chromium (no GPU, nothing phoning home)."""

MARGIN: Any = {"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"}
"""Page margins of the PDF (the footer sits in the bottom margin)."""


def chromium_path() -> str:
    """The chromium executable: ``$AANKOMST_CHROMIUM`` or Debian's ``/usr/bin/chromium``.

    Raises
    ------
    AankomstError
        When it is absent (the message says how to install it).

    Examples
    --------
    >>> chromium_path()  # doctest: +SKIP
    '/usr/bin/chromium'
    """
    p = os.environ.get("AANKOMST_CHROMIUM", "/usr/bin/chromium")
    if not Path(p).exists():
        raise AankomstError(f"chromium not found at {p!r}: install Debian chromium (bash scripts/setup.sh, or "
                            "apt-get install chromium) or set AANKOMST_CHROMIUM to its path; "
                            "'--format html' needs no browser")
    return p


def footer_html(text: str) -> str:
    """Chromium's footer template: ``text`` (escaped) and ``page N / M``."""
    return ('<div style="width:100%;font-size:7px;color:#666;font-family:DejaVu Sans,sans-serif;'
            'padding:0 12mm;display:flex;justify-content:space-between">'
            f'<span>{escape(text)}</span><span><span class="pageNumber"></span> / '
            '<span class="totalPages"></span></span></div>')


class PdfRenderer:
    """One headless chromium that prints report HTML to PDF (use in one thread).

    Parameters
    ----------
    executable
        Chromium to launch (default :func:`chromium_path`).

    Attributes
    ----------
    blocked
        URLs of requests that were aborted (anything but ``data:``) — empty for a sound report.

    Examples
    --------
    >>> with PdfRenderer() as r:  # doctest: +SKIP
    ...     pdf = r.pdf("<h1>Aalst</h1>", footer="Aalst")
    >>> pdf[:5]  # doctest: +SKIP
    b'%PDF-'
    """

    def __init__(self, executable: str | None = None) -> None:
        exe = executable or chromium_path()
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise AankomstError("PDF reports need Playwright: pip install playwright (the browser is Debian's "
                                "chromium, never 'playwright install'); '--format html' needs neither") from None
        self._pw = sync_playwright().start()
        self._browser: Any = None
        try:
            self._browser = self._pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        except Exception:
            self._pw.stop()
            raise
        self.blocked: list[str] = []

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith("data:"):
            route.continue_()
            return
        self.blocked.append(url)
        route.abort("blockedbyclient")

    def pdf(self, html: str, *, footer: str = "") -> bytes:
        """Print ``html`` (a whole document, images as data URIs) to A4 PDF bytes.

        Parameters
        ----------
        html
            The report HTML.
        footer
            Text of the page footer (beside the page number).

        Returns
        -------
        bytes
            The PDF.
        """
        ctx = self._browser.new_context(offline=True, java_script_enabled=False)
        try:
            page = ctx.new_page()
            page.route("**/*", self._route)
            page.set_content(html, wait_until="load")
            return bytes(page.pdf(format="A4", print_background=True, display_header_footer=True,
                                  header_template="<span></span>", footer_template=footer_html(footer),
                                  margin=MARGIN))
        finally:
            ctx.close()

    def close(self) -> None:
        """Close the browser and Playwright (idempotent)."""
        if self._browser is not None:
            try:
                self._browser.close()
            finally:
                self._browser = None
                self._pw.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SharedRenderer:
    """A :class:`PdfRenderer` living in one background thread, for callers in any thread
    (the web server's worker threads); chromium starts on the first PDF.

    Examples
    --------
    >>> shared = SharedRenderer()  # doctest: +SKIP
    >>> shared.pdf("<p>x</p>", footer="x")[:5]  # doctest: +SKIP
    b'%PDF-'
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aankomst-pdf")
        self._renderer: PdfRenderer | None = None
        self._lock = threading.Lock()

    def _run(self, html: str, footer: str) -> bytes:
        if self._renderer is None:
            self._renderer = PdfRenderer()
        try:
            return self._renderer.pdf(html, footer=footer)
        except AankomstError:
            raise
        except Exception:  # a crashed browser: start a new one next time
            self._renderer.close()
            self._renderer = None
            raise

    def pdf(self, html: str, *, footer: str = "", timeout: float = 300.0) -> bytes:
        """:meth:`PdfRenderer.pdf` in the renderer's thread (waits at most ``timeout`` s)."""
        return self._pool.submit(self._run, html, footer).result(timeout=timeout)

    def close(self) -> None:
        """Close chromium and stop the thread."""
        def stop() -> None:
            if self._renderer is not None:
                self._renderer.close()
                self._renderer = None

        with self._lock:
            self._pool.submit(stop).result(timeout=60)
            self._pool.shutdown(wait=True)
