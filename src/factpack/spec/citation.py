"""How to cite one version of a dataset: one model and one rendering, for the package's
README (the codebook) and the website alike.

A :class:`Citation` is made from the package's metadata (:meth:`Citation.from_package`)
or, on the website, from a repository's ``CITATION.cff`` when that file is about the
dataset (:meth:`Citation.from_cff`, chosen by :func:`for_version`). :meth:`Citation.markdown`
and :meth:`Citation.bibtex` are the README's "How to cite" text, byte for byte: released
READMEs hold them, so their form is fixed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .models import Package

FROM_PACKAGE = "datapackage.json"
FROM_CFF = "CITATION.cff"
BIBTEX_SPECIAL = re.compile(r"([&%$#_{}])")
BIBTEX_WIDTH = 9  # field names are padded to this, so the values line up


def bib(text: str) -> str:
    """Text for a BibTeX field: LaTeX's special characters escaped."""
    return BIBTEX_SPECIAL.sub(r"\\\1", str(text))


def bibtex_key(name: str, version: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", f"{name}_{version}")


@dataclass(frozen=True)
class Author:
    """One author, as the reference text names them and as BibTeX's ``author`` does."""

    text: str  # 'Family, G.' for a person, a body's name as it is
    bibtex: str  # 'Family, Given' for a person, '{Name}' for a body (BibTeX keeps it whole)

    @classmethod
    def body(cls, name: str) -> Author:
        return cls(name, "{" + bib(name) + "}")

    @classmethod
    def from_cff(cls, person: dict[str, Any]) -> Author:
        """A CITATION.cff author: a person (``family-names``…) or an entity (``name``)."""
        if person.get("family-names"):
            family = " ".join(str(x) for x in (person.get("name-particle"),
                                               person["family-names"]) if x)
            given = str(person.get("given-names") or "")
            initials = " ".join(p[0] + "." for p in given.split())
            return cls(f"{family}, {initials}".rstrip(", "),
                       bib(f"{family}, {given}".rstrip(", ")))
        return cls.body(str(person.get("name") or person.get("title") or ANONYMOUS.text))


ANONYMOUS = Author("Anonymous", "{Anonymous}")


@dataclass(frozen=True)
class Citation:
    """One version of a dataset as a reference: who, what, which version, when, where."""

    key: str  # the BibTeX key, from the dataset's name and version
    authors: tuple[Author, ...]
    title: str
    version: str
    year: str  # "n.d." when unknown
    url: str | None = None
    doi: str | None = None
    licence: str | None = None
    source: str = FROM_PACKAGE  # what it was made from, for the reader

    @classmethod
    def from_package(cls, package: Package, name: str, version: str) -> Citation:
        """From a package's metadata: its contributors, title, ``created`` year, home page
        and first licence.

        The contributors are one author, their titles joined by "and", as the codebook has
        always written them (released READMEs hold that form).
        """
        people = [c.title for c in package.contributors or [] if c.title]
        licence = (package.licenses or [None])[0]
        return cls(
            key=bibtex_key(name, version),
            authors=(Author.body(" and ".join(people)),) if people else (),
            title=package.title or name, version=version,
            year=(package.created or "")[:4] or "n.d.", url=package.homepage,
            licence=None if licence is None else
            licence.name if licence.name is not None else licence.title)

    @classmethod
    def from_cff(cls, cff: dict[str, Any], name: str, version: str,
                 released_on: str | None) -> Citation:
        """From a CITATION.cff about the dataset; the year is the version's release."""
        licence = cff.get("license")
        licence = licence[0] if isinstance(licence, list) and licence else licence
        return cls(
            key=bibtex_key(name, version),
            authors=tuple(Author.from_cff(a) for a in cff.get("authors") or []
                          if isinstance(a, dict)),
            title=str(cff.get("title") or name), version=version,
            year=(released_on or "")[:4] or "n.d.",
            url=cff.get("url") or cff.get("repository-artifact") or cff.get("repository-code"),
            doi=cff.get("doi"), licence=str(licence) if licence else None, source=FROM_CFF)

    @property
    def address(self) -> str | None:
        """Where the reader finds it: the DOI's address, else the URL."""
        return f"https://doi.org/{self.doi}" if self.doi else self.url

    def markdown(self) -> str:
        """The reference as one line of Markdown, the title in italics (the README's)."""
        return self._line(f"*{self.title}*")

    def text(self) -> str:
        """The same reference as plain text (for metadata such as schema.org's)."""
        return self._line(self.title)

    def _line(self, title: str) -> str:
        who = "; ".join(a.text for a in self.authors or (ANONYMOUS,))
        where = f" {self.address}." if self.address else ""
        licence = f" Licence {self.licence}." if self.licence is not None else ""
        return f"{who} ({self.year}). {title}, version {self.version} [data set].{where}{licence}"

    def bibtex(self) -> str:
        """The reference as a BibTeX ``@misc`` entry."""
        note = "Data package" + (f", licence {bib(self.licence)}"
                                 if self.licence is not None else "")
        fields = [("author", " and ".join(a.bibtex for a in self.authors or (ANONYMOUS,))),
                  ("title", bib(self.title)), ("year", self.year), ("version", self.version),
                  ("doi", self.doi), ("url", self.url), ("note", note)]
        body = ",\n".join(f"  {k.ljust(BIBTEX_WIDTH)} = {{{v}}}" for k, v in fields if v)
        return f"@misc{{{self.key},\n{body}\n}}"


def cff_applies(cff: dict[str, Any], name: str, title: str) -> bool:
    """Whether a repository's CITATION.cff is about this dataset (it may describe another
    dataset, or the software itself)."""
    if cff.get("title") == title:
        return True
    return cff.get("type") == "dataset" and name in json.dumps(cff, ensure_ascii=False)


def for_version(package: Package, name: str, version: str, released_on: str | None,
                cff: dict[str, Any] | None) -> Citation:
    """How to cite one published version: from CITATION.cff when it is about the dataset,
    else from the version's own metadata (then exactly as its README cites it)."""
    if cff is not None and cff_applies(cff, name, package.title or name):
        return Citation.from_cff(cff, name, version, released_on)
    return Citation.from_package(package, name, version)
