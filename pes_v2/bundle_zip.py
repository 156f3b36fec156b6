"""A bundle given as a zip: extracted once per process, safely, into a private folder.

Kept apart from :mod:`.bundles` so that a command given a folder or the embedded schema does
not import ``zipfile``, ``tempfile`` and ``shutil`` (≈ 6 ms of start-up together)."""

from __future__ import annotations

import atexit
import hashlib
import re
import shutil
import stat
import tempfile
import threading
import zipfile
from pathlib import Path, PurePosixPath

from .errors import BundleError

# Limits: the real bundles are about 100 files and 2 MB.
ZIP_MAX_MEMBERS = 5_000
ZIP_MAX_MEMBER_BYTES = 32 * 1024 * 1024
ZIP_MAX_TOTAL_BYTES = 128 * 1024 * 1024

_EXTRACTED: dict[str, Path] = {}
_EXTRACT_LOCK = threading.Lock()
_TMP_ROOT: list[Path] = []


def is_zip(path: Path) -> bool:
    """True when ``path`` is a zip archive."""
    return zipfile.is_zipfile(path)


def extract(archive: Path) -> Path:
    """Extract ``archive`` once per process into a private temp dir keyed by its SHA-256."""
    key = _sha256_file(archive)
    with _EXTRACT_LOCK:
        if key in _EXTRACTED:
            return _EXTRACTED[key]
        target = _tmp_root() / key
        partial = Path(tempfile.mkdtemp(prefix="partial-", dir=_tmp_root()))
        try:
            _unzip(archive, partial)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        partial.rename(target)
        _EXTRACTED[key] = target
        return target


def _tmp_root() -> Path:
    if not _TMP_ROOT:
        path = Path(tempfile.mkdtemp(prefix="pes-v2-bundles-"))
        atexit.register(shutil.rmtree, path, True)
        _TMP_ROOT.append(path)
    return _TMP_ROOT[0]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The safe relative path of a zip member, None for a directory; ValueError when unsafe."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise ValueError("absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ValueError("path leaves the archive folder ('..')")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ValueError("symbolic link")
    if info.is_dir() or not parts:
        return None
    return PurePosixPath(*parts)


def _unzip(archive: Path, dest: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > ZIP_MAX_MEMBERS:
                raise BundleError(
                    f"{archive}: more than {ZIP_MAX_MEMBERS} entries; refused",
                    f"{archive} : plus de {ZIP_MAX_MEMBERS} entrées ; refusé",
                )
            total = 0
            for info in infos:
                try:
                    rel = _member_path(info)
                except ValueError as exc:
                    raise BundleError(
                        f"{archive}: entry {info.filename!r}: {exc}; refused",
                        f"{archive} : entrée {info.filename!r} : {exc} ; refusé",
                    ) from None
                if rel is None:
                    continue
                total += _copy_member(zf, info, dest / rel, archive, ZIP_MAX_TOTAL_BYTES - total)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise BundleError(
            f"{archive}: unreadable zip: {exc}", f"{archive} : zip illisible : {exc}"
        ) from None


def _copy_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, out: Path, archive: Path, budget: int
) -> int:
    limit = min(ZIP_MAX_MEMBER_BYTES, budget)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with zf.open(info) as src, out.open("wb") as dst:
        for chunk in iter(lambda: src.read(1 << 16), b""):
            written += len(chunk)
            if written > limit:
                raise BundleError(
                    f"{archive}: entry {info.filename!r}: too large once uncompressed; refused",
                    f"{archive} : entrée {info.filename!r} trop grande une fois décompressée ; "
                    "refusé",
                )
            dst.write(chunk)
    return written
