"""What one corpus file may cost before it is read: limits checked before the work.

A damaged or hostile file must never stop an ingest nor take the machine's memory:
a 300 KB Word file can hold a 300 MB entry of zeros (a "zip bomb"), a PDF tens of
thousands of pages, an HTML page tags nested a million deep. Each limit is checked
before the costly step (reading, unzipping, extracting, parsing), and a file over it
is skipped with a French reason that names the setting that raises it:

| setting | what it bounds | default |
| --- | --- | --- |
| `ESS_MAX_FILE_MB` | the file's size on disk | 20 MB |
| `ESS_MAX_UNZIPPED_MB` | a Word file's content once unzipped (all its parts) | 100 MB |
| `ESS_MAX_PDF_PAGES` | a PDF's page count | 2,000 pages |
| `ESS_MAX_TEXT_MB` | the text a PDF, Word or HTML file gives, in millions of characters | 20 |
| `ESS_MAX_HTML_DEPTH` | how deeply an HTML page's elements nest | 512 |
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from index.settings import LIMITS, Settings

VARIABLES = LIMITS  # field -> its environment variable, read in index.settings


@dataclass(frozen=True)
class Limits:
    file_mb: float = 20  # 20 MB of text is about 20,000 passages: hours of embedding on 2 cores
    unzipped_mb: float = 100
    pdf_pages: int = 2000
    text_mb: float = 20
    html_depth: int = 512

    @classmethod
    def from_env(cls, environ=None) -> Limits:
        """The defaults, each overridden by its environment variable.

        >>> Limits.from_env({"ESS_MAX_PDF_PAGES": "50"}).pdf_pages
        50
        >>> Limits.from_env({"ESS_MAX_FILE_MB": "beaucoup"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        index.errors.SettingError: ESS_MAX_FILE_MB vaut « beaucoup » : indiquez un nombre ...
        """
        settings = Settings.from_env(environ)
        return cls(**{field.name: settings.limit(field.name, field.default,
                                                 int if field.type in ("int", int) else float)
                      for field in fields(cls)})

    def reason(self, what: str, found: str | None, limit: str, unit: str = "",
               fix: str = "découpez-le") -> str:
        """Why a file over one limit is skipped, and the way out.

        >>> print(Limits().reason("PDF trop long", "5000 pages", "pdf_pages", " pages"))
        ... # doctest: +NORMALIZE_WHITESPACE
        PDF trop long (5000 pages, plus de 2000 pages) : découpez-le, ou relevez la limite avec
        ESS_MAX_PDF_PAGES
        """
        found = f"{found}, " if found else ""
        return (f"{what} ({found}plus de {getattr(self, limit):g}{unit}) : {fix}, ou relevez "
                f"la limite avec {VARIABLES[limit]}")
