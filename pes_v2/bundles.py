"""Schema bundles: official DGFiP XSD sets (folder or zip), the embedded default, a registry.

An official bundle is laid out like the DGFiP delivery: ``PES_V2/Rev0/PES_Aller.xsd`` and its
includes, ``xmldsig/``, ``xades/``, ``xmlenc/``, possibly under one extra top folder. Loading never
touches the network: every ``schemaLocation`` in the include/import closure of a root schema must
name a file inside the bundle, and the parser used to compile refuses anything else. Each
(bundle, root) is compiled once per process, on first use, under a lock.

Version detection, in this order (the first that answers wins):

1. the manifest ``pes-v2-bundle.json`` written by :func:`install_bundle`;
2. a content fingerprint of the ``PES_V2/`` files of the ``PES_Aller`` closure with all
   whitespace removed (CRLF/LF and non-breaking spaces do not matter), see ``_FINGERPRINTS``;
3. the folder or zip name, DGFiP style: ``schemas_pes_v5.30``, ``Schemas_PES 5.3``,
   ``schemas_pes_5.5_301017`` give ``5.30``, ``5.3``, ``5.5``. An undotted number is read only
   for the old 4.x packages, digit by digit: ``Schemas_PES_v491_18042016`` is ``4.9.1``, ``v471``
   is ``4.7.1``; any other undotted number (``v530``: 5.3.0 or 5.30?) gives ``unknown``;
4. otherwise ``unknown``: never a guess.

Versions compare as tuples of integers: ``5.3 < 5.5 < 5.17 < 5.30``.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from . import xsd_stream
from .errors import BundleError
from .findings import SchemaInfo
from .xsd_stream import NativeSchema

__all__ = [
    "ENV_DATA_DIR",
    "ENV_SCHEMAS",
    "ROOTS",
    "InstalledBundle",
    "SchemaBundle",
    "data_dir",
    "install_bundle",
    "installed_bundles",
    "remove_bundle",
    "resolve_bundle",
    "version_from_name",
    "version_key",
]

_NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0"
PES_ALLER = f"{{{_NS}/aller}}PES_Aller"

ROOTS: Mapping[str, str] = MappingProxyType(
    {
        PES_ALLER: "PES_V2/Rev0/PES_Aller.xsd",
        f"{{{_NS}/retour}}PES_ACQUIT": "PES_V2/Rev0/PES_V2_Acquit_Autonome.xsd",
        f"{{{_NS}/retour/v2}}PES_ACQUIT": "PES_V2/Rev0/PES_V2_Acquit_Autonome_V2.xsd",
        f"{{{_NS}/retour}}PES_Retour": "PES_V2/RETOUR/Rev0/PES_Retour.xsd",
        f"{{{_NS}/aller/ack}}PES_ACQUIT_RETOUR": "PES_V2/RETOUR/Rev0/PES_V2_Acquit_Retour.xsd",
    }
)
"""Clark name of each supported root element -> its root schema, relative to an official bundle."""

EMBEDDED_ROOTS: Mapping[str, str] = MappingProxyType({PES_ALLER: "PES_Aller.xsd"})
"""The embedded schema set covers PES_Aller only."""

ENV_SCHEMAS = "PES_V2_SCHEMAS"
ENV_DATA_DIR = "PES_V2_DATA_DIR"
MANIFEST = "pes-v2-bundle.json"
_MARKER = ROOTS[PES_ALLER]
_XSD = "http://www.w3.org/2001/XMLSchema"
_REF_TAGS = tuple(f"{{{_XSD}}}{t}" for t in ("include", "import", "redefine", "override"))

_FINGERPRINTS: Mapping[str, str] = MappingProxyType(
    {
        "e27d19ef24e4489eb41116a353c56e709747b044e3833a5ab6433019985d318f": "5.17",
        "0e54156a27690c9f678626c5eafb1ac16412aacef73b5ea4801b5bdc19a56fd9": "5.30",
    }
)
"""SHA-256 of the whitespace-free PES_V2 files of the PES_Aller closure -> version."""

_VERSION_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){0,3}$")
_NAME_RE = re.compile(
    r"^schemas?[ _-]*pes[ _-]*(?P<v>v)?(?P<num>\d+(?:\.\d+)*)(?:[ _-].*)?$", re.IGNORECASE
)

# --------------------------------------------------------------------------------------------
# Safe loading: closure scan and a resolver that only serves files of the bundle
# --------------------------------------------------------------------------------------------


def _scan_parser() -> Any:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def url2pathname(path: str) -> str:
    """``urllib.request.url2pathname``, imported on first use (it pulls in http.client)."""
    from urllib.request import url2pathname as convert

    return convert(path)


def _inside(path: Path, base: Path) -> bool:
    """True when ``path``, links followed, lies in ``base``."""
    return _within(os.path.realpath(path), os.path.realpath(base))


class _RealPaths:
    """``os.path.realpath``, each folder's resolution remembered.

    Python's ``realpath`` checks every component of a path for a link, one ``lstat`` each:
    asked for each of the 129 ``schemaLocation`` of the v5.30 closure and for each file
    fingerprinted, it took 7–10 ms of every start-up with that bundle.  The files of a bundle
    lie in a few folders, so each folder is resolved once and only a file's own name is
    checked for a link.
    """

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def __call__(self, path: str | os.PathLike[str]) -> str:
        folder, name = os.path.split(os.fspath(path))
        if name in ("", ".", "..") or not folder:
            return os.path.realpath(path)
        real_folder = self._folders.get(folder)
        if real_folder is None:
            real_folder = self._folders[folder] = os.path.realpath(folder)
        joined = os.path.join(real_folder, name)
        return os.path.realpath(joined) if os.path.islink(joined) else joined


def _within(real: str, root: str) -> bool:
    """True when the link-free path ``real`` lies in the link-free folder ``root``."""
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


class _Refused(ValueError):
    """A ``schemaLocation`` refused; ``str()`` in English, ``fr`` in French."""

    def __init__(self, en: str, fr: str) -> None:
        super().__init__(en)
        self.fr = fr


def _location_target(
    location: str,
    including: Path,
    base: Path,
    realpath: Callable[[str | os.PathLike[str]], str],
) -> Path:
    """The local file a ``schemaLocation`` names, links followed by ``realpath``; _Refused
    for a URL or a path outside ``base`` (a folder without links: resolved)."""
    parts = urlsplit(location)
    scheme = parts.scheme.lower()
    if scheme == "file":
        target = Path(url2pathname(parts.path))
    elif len(scheme) == 1:  # a Windows drive letter: an absolute path
        target = Path(location)
    elif scheme:
        raise _Refused(
            f"schemaLocation {location!r} is a URL; loading never uses the network",
            f"schemaLocation {location!r} est une URL ; le chargement n'utilise jamais le réseau",
        )
    else:
        target = including.parent / unquote(location)
    real = realpath(target)
    if not _within(real, str(base)):
        raise _Refused(
            f"schemaLocation {location!r} points outside the bundle",
            f"schemaLocation {location!r} désigne un fichier hors du jeu de schémas",
        )
    if not os.path.isfile(real):
        raise _Refused(
            f"schemaLocation {location!r}: no such file in the bundle",
            f"schemaLocation {location!r} : fichier absent du jeu de schémas",
        )
    return Path(real)


class _BundleResolver(etree.Resolver):  # type: ignore[misc]
    """Serves files inside the bundle; refuses everything else (URLs, files outside)."""

    def __init__(
        self,
        base: Path,
        realpath: Callable[[str | os.PathLike[str]], str] = os.path.realpath,
    ) -> None:
        super().__init__()
        self._realpath = realpath
        self._base = realpath(base)

    def resolve(self, url: str, pubid: str | None, context: Any) -> Any:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        path = Path(url2pathname(parts.path)) if scheme == "file" else Path(url)
        if (scheme not in ("", "file") and len(scheme) != 1) or not _within(
            self._realpath(path), self._base
        ):
            raise BundleError(
                f"{url}: refused, outside the bundle (no network access)",
                f"{url} : refusé, hors du jeu de schémas (aucun accès réseau)",
            )
        return self.resolve_filename(str(path), context)


class _Bundle:
    """Where a bundle's files are and how to show them in messages."""

    def __init__(self, base: Path, location: str) -> None:
        self.base = base.resolve()
        self.location = location
        self._closures: dict[str, list[Path]] = {}
        self.realpath = _RealPaths()

    def show(self, path: Path | str, lang: str = "en") -> str:
        rel = Path(path)
        with contextlib.suppress(ValueError):
            rel = Path(path).resolve().relative_to(self.base)
        return f"{rel.as_posix()} ({'dans' if lang == 'fr' else 'in'} {self.location})"

    def closure(self, rel: str) -> list[Path]:
        """Every file the root schema ``rel`` includes or imports, checked to stay local
        (computed once per bundle and root)."""
        known = self._closures.get(rel)
        if known is None:
            known = self._closures[rel] = self._closure(rel)
        return list(known)

    def _closure(self, rel: str) -> list[Path]:
        start = (self.base / rel).resolve()
        if not _inside(start, self.base) or not start.is_file():
            raise BundleError(
                f"{self.show(rel)}: missing root schema",
                f"{self.show(rel, 'fr')} : schéma racine absent",
            )
        seen: dict[Path, None] = {start: None}
        todo = [start]
        while todo:
            current = todo.pop()
            for target in self._references(current):
                if target not in seen:
                    seen[target] = None
                    todo.append(target)
        return list(seen)

    def _references(self, path: Path) -> Iterator[Path]:
        try:
            doc = etree.parse(str(path), _scan_parser())
        except (etree.XMLSyntaxError, OSError) as exc:
            raise BundleError(
                f"{self.show(path)}: not well-formed XML: {_first_line(exc)}",
                f"{self.show(path, 'fr')} : XML mal formé : {_first_line(exc)}",
            ) from None
        _refuse_external_entities(doc, lambda lang: self.show(path, lang))
        for element in doc.iter(*_REF_TAGS):
            location = (element.get("schemaLocation") or "").strip()
            if not location:
                continue
            try:
                yield _location_target(location, path, self.base, self.realpath)
            except _Refused as exc:
                line = element.sourceline
                raise BundleError(
                    f"{self.show(path)}, line {line}: {exc}",
                    f"{self.show(path, 'fr')}, ligne {line} : {exc.fr}",
                ) from None

    def compile(self, rel: str) -> Any:
        """Compile the root schema ``rel`` with a parser that cannot reach outside the bundle."""
        self.closure(rel)
        parser = _scan_parser()
        parser.resolvers.add(_BundleResolver(self.base, self.realpath))
        path = self.base / rel
        try:
            return etree.XMLSchema(etree.parse(str(path), parser))
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
            where = _error_file(exc, path)
            raise BundleError(
                f"{self.show(where)}: does not compile: {_first_line(exc)}",
                f"{self.show(where, 'fr')} : ne se compile pas : {_first_line(exc)}",
            ) from None


def _refuse_external_entities(doc: Any, show: Callable[[str], str]) -> None:
    """BundleError when ``doc`` declares an external entity; ``show(lang)`` names the file
    (only then: naming it resolves its path)."""
    dtd = doc.docinfo.internalDTD
    if dtd is None:
        return
    for entity in dtd.iterentities():
        if entity.system_url:
            raise BundleError(
                f"{show('en')}: declares an external entity ({entity.name}); refused",
                f"{show('fr')} : déclare une entité externe ({entity.name}) ; refusé",
            )


def _first_error(exc: Exception) -> Any:
    """libxml2's first error entry (warnings such as "Skipping import" come before it)."""
    log = list(getattr(exc, "error_log", None) or ())
    errors = [e for e in log if e.level >= etree.ErrorLevels.ERROR]
    return (errors or log or [None])[0]


def _first_line(exc: Exception) -> str:
    first = _first_error(exc)
    if first is not None:
        return f"line {first.line}: {first.message}".splitlines()[0]
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _error_file(exc: Exception, default: Path) -> Path:
    first = _first_error(exc)
    if first is not None and first.filename and not first.filename.startswith("<"):
        return Path(first.filename)
    return default


# --------------------------------------------------------------------------------------------
# Version detection
# --------------------------------------------------------------------------------------------


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of a version string: ``5.3 < 5.17 < 5.30``; ``unknown`` sorts first."""
    if not _VERSION_RE.match(version):
        return (-1,)
    return tuple(int(p) for p in version.split("."))


def version_from_name(name: str) -> str:
    """The version a DGFiP folder or zip name states, or ``unknown`` (see module doc)."""
    stem = name[:-4] if name.lower().endswith(".zip") else name
    match = _NAME_RE.match(stem.strip())
    if not match:
        return "unknown"
    num = match.group("num")
    if "." in num:
        return num if _VERSION_RE.match(num) else "unknown"
    if match.group("v") and len(num) == 3 and num.startswith("4"):
        return ".".join(num)
    return "unknown"


_ASCII_SPACE = b" \t\n\r\x0b\x0c"
"""What ``\\s`` matches in a bytes pattern: the whitespace a fingerprint ignores."""


def _fingerprint(bundle: _Bundle, files: list[Path]) -> str:
    import hashlib  # only a bundle without a manifest needs it (≈ 3 ms of start-up)

    digest = hashlib.sha256()
    pes = os.path.realpath(bundle.base / "PES_V2")
    for path in sorted(files, key=lambda p: p.relative_to(bundle.base).as_posix()):
        if not _within(bundle.realpath(path), pes):
            continue
        content = path.read_bytes().replace(b"\xc2\xa0", b"")
        digest.update(os.fsencode(path.relative_to(bundle.base).as_posix()) + b"\0")
        digest.update(content.translate(None, _ASCII_SPACE) + b"\0")
    return digest.hexdigest()


def _read_manifest(base: Path) -> str | None:
    try:
        data = json.loads((base / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, str) and _VERSION_RE.match(version) else None


def _detect_version(bundle: _Bundle, names: list[str]) -> str:
    manifest = _read_manifest(bundle.base)
    if manifest:
        return manifest
    known = _FINGERPRINTS.get(_fingerprint(bundle, bundle.closure(_MARKER)))
    if known:
        return known
    for name in names:
        version = version_from_name(name)
        if version != "unknown":
            return version
    return "unknown"


def _find_base(folder: Path) -> Path | None:
    """``folder`` itself, or its single sub-folder, when it holds ``PES_V2/Rev0/PES_Aller.xsd``."""
    if (folder / _MARKER).is_file():
        return folder
    subdirs = [p for p in folder.iterdir() if p.is_dir() and p.name != "__MACOSX"]
    if len(subdirs) == 1 and (subdirs[0] / _MARKER).is_file():
        return subdirs[0]
    return None


# --------------------------------------------------------------------------------------------
# SchemaBundle
# --------------------------------------------------------------------------------------------


class SchemaBundle:
    """A set of XSD files able to validate some PES V2 roots (official DGFiP bundle or embedded)."""

    kind: str
    version: str
    location: str

    def __init__(
        self,
        kind: str,
        version: str,
        location: str,
        base: Path,
        roots: Mapping[str, str],
        files: _Bundle | None = None,
    ) -> None:
        self.kind = kind
        self.version = version
        self.location = location
        self._files = files if files is not None else _Bundle(base, location)
        self._roots = MappingProxyType(dict(roots))
        self._compiled: dict[str, Any] = {}
        self._native: dict[str, NativeSchema | None] = {}
        self._tree_asks: dict[str, int] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"SchemaBundle(kind={self.kind!r}, version={self.version!r}, "
            f"location={self.location!r})"
        )

    @property
    def base(self) -> Path:
        """The folder that holds ``PES_V2/`` (for a zip, its private extraction)."""
        return self._files.base

    @property
    def roots(self) -> Mapping[str, str]:
        """Clark name -> root schema (relative to :attr:`base`) of every root this bundle covers."""
        return self._roots

    @property
    def info(self) -> SchemaInfo:
        return SchemaInfo(self.kind, self.version, self.location)

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> SchemaBundle:
        """Open an official bundle (folder or ``.zip``); BundleError says which file and why."""
        source = Path(path).expanduser()
        if not source.exists():
            raise BundleError(
                f"{source}: no such file or directory", f"{source} : fichier ou dossier introuvable"
            )
        key = _cache_key(source)
        with _BUNDLES_LOCK:
            cached = _BUNDLES.get(key)
        if cached is not None:
            return cached
        bundle = cls._open(source)
        with _BUNDLES_LOCK:
            return _BUNDLES.setdefault(key, bundle)

    @classmethod
    def _open(cls, source: Path) -> SchemaBundle:
        if source.is_dir():
            folder = source
        else:
            from . import bundle_zip  # a folder needs none of it

            if not bundle_zip.is_zip(source):
                raise BundleError(
                    f"{source}: neither a directory nor a zip file",
                    f"{source} : ni un dossier ni un fichier zip",
                )
            folder = bundle_zip.extract(source)
        base = _find_base(folder)
        if base is None:
            raise BundleError(
                f"{source}: not a PES V2 schema bundle (no {_MARKER})",
                f"{source} : pas un jeu de schémas PES V2 (pas de {_MARKER})",
            )
        location = str(source.resolve())
        files = _Bundle(base, location)
        names = [base.name, source.name] if base != folder else [source.name]
        version = _detect_version(files, names)
        roots = {root: rel for root, rel in ROOTS.items() if (base / rel).is_file()}
        return cls("official", version, location, base, roots, files)  # closures kept

    @classmethod
    def embedded(cls) -> SchemaBundle:
        """The schema set written by this project (PES_Aller only)."""
        with _BUNDLES_LOCK:
            cached = _BUNDLES.get(("embedded",))
        if cached is not None:
            return cached
        base = embedded_dir()
        if not (base / EMBEDDED_ROOTS[PES_ALLER]).is_file():
            raise BundleError(
                f"{base}: embedded schema PES_Aller.xsd missing (broken installation)",
                f"{base} : schéma embarqué PES_Aller.xsd absent (installation abîmée)",
            )
        bundle = cls("embedded", _embedded_version(base), "embedded", base, EMBEDDED_ROOTS)
        with _BUNDLES_LOCK:
            return _BUNDLES.setdefault(("embedded",), bundle)

    def covers(self, root: str) -> bool:
        """True when this bundle has a schema for the root element ``root`` (Clark name)."""
        return root in self._roots

    def schema_for(self, root: str) -> Any:
        """The compiled ``lxml.etree.XMLSchema`` for ``root``, None if not covered; cached."""
        rel = self._roots.get(root)
        if rel is None:
            return None
        schema = self._compiled.get(root)
        if schema is None:
            with self._lock:
                schema = self._compiled.get(root)
                if schema is None:
                    schema = self._files.compile(rel)
                    self._compiled[root] = schema
        return schema

    def tree_schema_for(self, root: str) -> Any:
        """The compiled ``lxml.etree.XMLSchema`` for ``root`` once validating small flows'
        trees with it pays for compiling it: when already compiled (to locate errors), or
        from the :data:`TREE_SCHEMA_AFTER`-th ask on; None before, when not covered and when
        it does not compile (the stream validator then does the work)."""
        schema = self._compiled.get(root)
        if schema is not None or root not in self._roots:
            return schema
        with self._lock:
            asked = self._tree_asks[root] = self._tree_asks.get(root, 0) + 1
        if asked != TREE_SCHEMA_AFTER:
            return None  # before the threshold, or after a failed compilation
        try:
            return self.schema_for(root)
        except BundleError:
            return None

    def native_schema_for(self, root: str) -> NativeSchema | None:
        """The same schema compiled for libxml2's stream validator (see :mod:`.xsd_stream`),
        None when not covered, when that validator is not available here or when the schema
        does not compile (:meth:`schema_for` then says why); cached."""
        rel = self._roots.get(root)
        if rel is None or not xsd_stream.available():
            return None
        if root not in self._native:
            self._files.closure(rel)  # local files only, checked before libxml2 reads them
            with self._lock:
                if root not in self._native:
                    self._native[root] = xsd_stream.compile_schema(self._files.base / rel)
        return self._native[root]

    def check(self) -> None:
        """Compile every covered root now; BundleError on the first that fails."""
        for root in self._roots:
            self.schema_for(root)


TREE_SCHEMA_AFTER = 32
"""Small flows a bundle validates from their bytes (libxml2's stream validator) before it
compiles the lxml schema that validates their trees instead: compiling costs 6–23 ms, a
tree validation saves ≈ 0.4 ms on a 50 KB flow (see :mod:`.xmlio`)."""

_BUNDLES: dict[tuple[Any, ...], SchemaBundle] = {}
_BUNDLES_LOCK = threading.Lock()


def _cache_key(source: Path) -> tuple[Any, ...]:
    """A bundle's identity on disk: path, size and mtime of every file (a change reopens it)."""
    resolved = source.resolve()
    if resolved.is_dir():
        return ("dir", str(resolved), _tree_signature(resolved))
    st = resolved.stat()
    return ("file", str(resolved), st.st_mtime_ns, st.st_size)


def _tree_signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Path, size and mtime of every file under ``folder``, in a stable order."""
    entries: list[tuple[str, int, int]] = []
    for current, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(current, name)
            with contextlib.suppress(OSError):
                st = os.stat(path)
                entries.append((path, st.st_size, st.st_mtime_ns))
    return tuple(entries)


def _forget(base: Path) -> None:
    """Drop cached bundles opened from ``base`` (after install or remove)."""
    with _BUNDLES_LOCK:
        for key in [k for k in _BUNDLES if len(k) > 1 and k[1] == str(base.resolve())]:
            del _BUNDLES[key]


_EMBEDDED_STACK = contextlib.ExitStack()
atexit.register(_EMBEDDED_STACK.close)


def embedded_dir() -> Path:
    """The folder of the embedded schemas.

    The ``pes_v2.schemas`` package's own folder; only an install that leaves it in no folder
    (a zipped package) goes through ``importlib.resources``, which copies it out, at a cost
    of ≈ 7 ms of start-up for the modules it imports."""
    schemas = importlib.import_module("pes_v2.schemas")
    folder = Path(schemas.__file__ or "").parent
    if (folder / EMBEDDED_ROOTS[PES_ALLER]).is_file():
        return folder
    from importlib import resources

    resource = resources.files("pes_v2.schemas")
    if isinstance(resource, Path):
        return resource
    return Path(_EMBEDDED_STACK.enter_context(resources.as_file(resource)))


def _embedded_version(base: Path) -> str:
    """The ``version`` attribute of the embedded root schema, if it states one."""
    try:
        root = etree.parse(str(base / EMBEDDED_ROOTS[PES_ALLER]), _scan_parser()).getroot()
    except (etree.XMLSyntaxError, OSError):
        return "unknown"
    version = (root.get("version") or "").strip()
    return version if _VERSION_RE.match(version) else "unknown"


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstalledBundle:
    """A bundle registered in the user's data directory."""

    version: str
    path: Path
    default: bool


def data_dir() -> Path:
    """The user data directory of pes-v2 (``PES_V2_DATA_DIR`` overrides it)."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("pes-v2"))


def _bundles_dir() -> Path:
    return data_dir() / "bundles"


def _checked_version(version: str) -> str:
    if not _VERSION_RE.match(version):
        raise BundleError(
            f"{version!r}: not a version number (expected e.g. 5.30)",
            f"{version!r} : pas un numéro de version (attendu : par exemple 5.30)",
        )
    return version


def install_bundle(path: str | os.PathLike[str], version: str | None = None) -> SchemaBundle:
    """Copy a bundle (directory or zip) into the registry under its version and return it.

    Every root schema it holds must compile. ``version`` overrides the detected one and is required
    when the version is unknown. Installing a version again replaces it.
    """
    bundle = SchemaBundle.from_path(path)
    chosen = _checked_version(version) if version else bundle.version
    if chosen == "unknown":
        raise BundleError(
            f"{path}: version unknown; give it explicitly (--version)",
            f"{path} : version inconnue ; donnez-la (--version)",
        )
    bundle.check()
    try:
        return _store(bundle, chosen)
    except OSError as exc:
        raise BundleError(
            f"{_bundles_dir()}: cannot install there: {exc}",
            f"{_bundles_dir()} : installation impossible : {exc}",
        ) from None


def _store(bundle: SchemaBundle, chosen: str) -> SchemaBundle:
    import shutil  # with tempfile, only installing needs them (≈ 3 ms of start-up)
    import tempfile

    root = _bundles_dir()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".installing-", dir=root))
    try:
        _copy_tree(bundle.base, staging)
        manifest = {"version": chosen, "source": bundle.location}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        target = root / chosen
        if target.exists():
            _forget(target)
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return SchemaBundle.from_path(target)


def _copy_tree(src: Path, dest: Path) -> None:
    """Copy regular files and folders only (symbolic links are skipped, never followed)."""
    import shutil

    for entry in src.iterdir():
        if entry.is_symlink() or entry.name == MANIFEST:
            continue
        if entry.is_dir():
            (dest / entry.name).mkdir()
            _copy_tree(entry, dest / entry.name)
        elif entry.is_file():
            shutil.copy2(entry, dest / entry.name)


def installed_bundles() -> list[InstalledBundle]:
    """Registered bundles, newest version first; the newest is the default."""
    root = _bundles_dir()
    if not root.is_dir():
        return []
    found = [
        p
        for p in root.iterdir()
        if p.is_dir() and _VERSION_RE.match(p.name) and (p / _MARKER).is_file()
    ]
    found.sort(key=lambda p: version_key(p.name), reverse=True)
    return [InstalledBundle(p.name, p, i == 0) for i, p in enumerate(found)]


def remove_bundle(version: str) -> None:
    """Unregister the bundle installed under ``version``; BundleError if there is none."""
    target = _bundles_dir() / _checked_version(version)
    if not target.is_dir():
        raise BundleError(
            f"{version}: no schema bundle installed under this version",
            f"{version} : aucun jeu de schémas installé sous cette version",
        )
    _forget(target)
    import shutil

    shutil.rmtree(target)


def resolve_bundle(
    schemas: str | os.PathLike[str] | SchemaBundle | None = None,
) -> SchemaBundle:
    """The bundle to validate with.

    None: ``PES_V2_SCHEMAS`` if set, else the newest installed bundle, else the embedded one.
    ``"embedded"``: the embedded one. A path: that bundle. A SchemaBundle: itself.
    """
    if isinstance(schemas, SchemaBundle):
        return schemas
    if schemas is None:
        env = os.environ.get(ENV_SCHEMAS, "").strip()
        if env:
            return resolve_bundle(env)
        installed = installed_bundles()
        if installed:
            return SchemaBundle.from_path(installed[0].path)
        return SchemaBundle.embedded()
    if isinstance(schemas, str) and schemas == "embedded":
        return SchemaBundle.embedded()
    return SchemaBundle.from_path(schemas)
