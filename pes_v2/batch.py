"""Validating many files: path expansion, parallel workers, checks across files.

One outcome per file, always in input order whatever the number of worker processes; one
file's failure (unreadable, or a bug in pes-v2) never stops the others.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .api import checked_options, validate
from .bundles import SchemaBundle, resolve_bundle
from .errors import ConfigError, InputError, PesError
from .findings import Finding, Report, Severity
from .flowfacts import BordereauFacts, FileFacts, facts_of
from .limits import Limits
from .prediction import Predictor
from .printable import printable
from .rules import batch as batch_rules
from .rules.totals import number_key

STDIN = "-"


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file: a report, or why there is none."""

    path: str
    report: Report | None = None
    error: str | None = None
    """One line saying why the file could not be validated."""
    internal: bool = False
    """True when the error is a bug in pes-v2 (exit code 3), not a problem with the input."""
    facts: FileFacts | None = None
    """Bordereau keys, totals and PJ ids (see :mod:`pes_v2.flowfacts`), when readable."""

    def __post_init__(self) -> None:
        if self.error is not None:  # one line, whatever the file name in it
            object.__setattr__(self, "error", printable(self.error))

    @property
    def shown(self) -> str:
        """The path as reports show it (see :func:`pes_v2.printable.printable`)."""
        return printable(self.path)

    def fails(self, fail_on: Severity = Severity.ERROR) -> bool:
        return self.report is None or self.report.fails(fail_on)


def expand_paths(paths: Iterable[str]) -> Iterator[str]:
    """Files to validate: files as given, directories walked for ``*.xml`` in sorted order.

    Raises :class:`InputError` for a path that does not exist.
    """
    for path in paths:
        if path == STDIN:
            yield path
        elif os.path.isdir(path):
            found = sorted(
                str(p) for p in Path(path).rglob("*") if p.suffix.lower() == ".xml" and p.is_file()
            )
            yield from found
        elif os.path.lexists(path):
            yield path
        else:
            raise InputError(
                f"{path}: no such file or directory", f"{path} : fichier ou dossier introuvable"
            )


def files_to_validate(paths: list[str]) -> list[str]:
    """The files ``paths`` name (folders: their ``*.xml``); :class:`ConfigError` when that is
    nothing (empty folders are no valid flows) or names standard input twice."""
    files = list(expand_paths(paths))
    if not files:
        where = ", ".join(paths) or "(nothing given)"
        raise ConfigError(
            f"{where}: no *.xml file to validate", f"{where} : aucun fichier *.xml à valider"
        )
    if files.count(STDIN) > 1:
        raise ConfigError(
            "'-' (standard input) can be given only once",
            "« - » (l'entrée standard) ne peut être donné qu'une fois",
        )
    return files


TEMPORARY_FILES: set[str] = set()
"""Temporary files in use, for a command interrupted at once to remove (see cli.main)."""


@contextlib.contextmanager
def _stdin_as_file() -> Iterator[str]:
    """Standard input copied to a temporary file (deleted afterwards), validated as a path:
    it can then be read again like any file (to locate XSD errors, to recompute a global
    signature's digest), which a pipe cannot."""
    import tempfile  # only standard input needs it

    try:
        spool = tempfile.NamedTemporaryFile(prefix="pes-v2-stdin-", suffix=".xml")  # noqa: SIM115
    except OSError as exc:
        raise InputError(
            f"standard input: no temporary file to copy it to ({exc.strerror or exc})",
            f"entrée standard : pas de fichier temporaire où la copier ({exc.strerror or exc})",
        ) from None
    with spool:
        TEMPORARY_FILES.add(spool.name)
        try:
            try:
                while chunk := sys.stdin.buffer.read(1 << 16):
                    spool.write(chunk)
                spool.flush()
            except OSError as exc:
                raise InputError(
                    f"standard input: cannot copy it to a temporary file ({exc.strerror or exc})",
                    "entrée standard : copie dans un fichier temporaire impossible "
                    f"({exc.strerror or exc})",
                ) from None
            yield spool.name
        finally:
            TEMPORARY_FILES.discard(spool.name)  # the file is removed on close


def validate_file(
    path: str,
    *,
    schemas: SchemaBundle,
    profile: str = "default",
    lang: str = "fr",
    limits: Limits | None = None,
    context: Mapping[str, Any] | None = None,
    facts: bool = True,
    trust: tuple[bytes, ...] = (),
) -> FileOutcome:
    """Validate one path (``-`` is standard input) and contain every failure in the outcome.

    ``facts`` also reads the bordereau and PJ facts the batch checks and some formats need.
    """
    options: dict[str, Any] = {
        "schemas": schemas,
        "profile": profile,
        "lang": lang,
        "limits": limits,
        "context": context,
        "trust": trust,
    }
    try:
        if path == STDIN:
            with _stdin_as_file() as copy:
                report = replace(validate(copy, **options), path=None)
        else:
            report = validate(path, **options)
        return FileOutcome(path, report, facts=facts_of(report) if facts else None)
    except PesError as exc:
        return FileOutcome(path, error=exc.message(lang))
    except Exception as exc:
        return _internal(path, exc)


def _internal(path: str, exc: BaseException) -> FileOutcome:
    last = exc.__traceback__
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    where = f" ({last.tb_frame.f_code.co_filename}:{last.tb_lineno})" if last else ""
    return FileOutcome(
        path,
        error=f"internal error: {type(exc).__name__}: {exc}{where}",
        internal=True,
    )


# -- checks across the files of a batch ---------------------------------------------------


class BatchChecks:
    """Remembers keys across the files of one batch; flags the second file that repeats one.

    Keys: ``NomFic`` (PES-BAT-001); (IdColl, CodCol, CodBud, domain, Exer, TypBord, IdBord)
    (PES-BAT-002); (IdColl, IdUnique) of a PJ (PES-BAT-003).  The domain is part of the
    bordereau key because dépense and recette number their bordereaux independently.
    """

    def __init__(self, lang: str = "fr") -> None:
        self.lang = lang
        self.nom_fic: dict[str, str] = {}
        self.bordereaux: dict[tuple[str | None, ...], str] = {}
        self.pjs: dict[tuple[str | None, ...], str] = {}

    def __call__(self, outcome: FileOutcome) -> FileOutcome:
        report = outcome.report
        if report is None or report.flow.root != "PES_Aller":
            return outcome
        added: list[Finding] = []
        flow = report.flow
        facts = outcome.facts
        if flow.nom_fic:
            first = self.nom_fic.setdefault(flow.nom_fic, outcome.path)
            if first != outcome.path:
                added.append(
                    batch_rules.DUPLICATE_NOMFIC.finding(
                        self.lang,
                        value=flow.nom_fic,
                        first=printable(first),
                        line=facts.nom_fic_line if facts else None,
                        xpath=f"/n:{flow.root}/Enveloppe[1]/Parametres[1]/NomFic[1]",
                    )
                )
        header = flow.header
        coll = (header.get("IdColl"), header.get("CodCol"), header.get("CodBud"))
        for bordereau in facts.bordereaux if facts else ():
            if bordereau.id_bord is None:
                continue
            key = (
                *coll,
                bordereau.domain,
                number_key(bordereau.exer),
                (bordereau.typ_bord or "").strip(),
                number_key(bordereau.id_bord),  # leading zeros are not significant
            )
            first = self.bordereaux.setdefault(key, outcome.path)
            if first != outcome.path:
                added.append(_bordereau_finding(bordereau, first, self.lang))
        for pj in facts.pjs if facts else ():
            if not pj.id_unique:
                continue
            first = self.pjs.setdefault((coll[0], pj.id_unique), outcome.path)
            if first != outcome.path:
                added.append(
                    batch_rules.DUPLICATE_PJ.finding(
                        self.lang,
                        value=pj.id_unique,
                        first=printable(first),
                        line=pj.line,
                        xpath=f"{pj.xpath}/IdUnique[1]",
                    )
                )
        if not added:
            return outcome
        merged = sorted(
            enumerate((*report.findings, *added)),
            key=lambda item: (item[1].line if item[1].line is not None else 0, item[0]),
        )
        predictor = Predictor(report.prediction)  # what the added errors reject, too
        for finding in added:
            predictor.add(finding)
        findings = tuple(f for _, f in merged)
        return replace(
            outcome, report=replace(report, findings=findings, predicted=predictor.result())
        )


def _bordereau_finding(bordereau: BordereauFacts, first: str, lang: str) -> Finding:
    label = f"{bordereau.exer}/{bordereau.typ_bord}/{bordereau.id_bord}"
    return batch_rules.DUPLICATE_BORDEREAU.finding(
        lang,
        value=label,
        first=printable(first),
        line=bordereau.line,
        xpath=f"{bordereau.xpath}/BlocBordereau[1]/IdBord[1]",
        bordereau=bordereau.id_bord,
    )


# -- parallel runs --------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(location: str, options: dict[str, Any], parent: int) -> None:
    """Resolve the schema bundle once per worker process (bundles do not travel).

    Ctrl-C reaches the whole process group: the parent answers it and stops the pool, the
    workers ignore it. A worker dies with its parent, however the parent ends (a worker
    left behind waits for work forever, holding the parent's standard streams)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with(parent)
    _WORKER["schemas"] = resolve_bundle(location)
    _WORKER["options"] = options


def _die_with(parent: int) -> None:
    """Have the kernel end this process when ``parent`` ends (Linux), and end now if it
    already has."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)


_PR_SET_PDEATHSIG = 1


def _work(paths: list[str]) -> list[FileOutcome]:
    outcomes = []
    for path in paths:
        try:
            outcomes.append(validate_file(path, schemas=_WORKER["schemas"], **_WORKER["options"]))
        except BaseException as exc:  # pragma: no cover - validate_file contains its errors
            outcomes.append(_internal(path, exc))
    return outcomes


TASK_FILES = 8
"""Files handed to a worker process at once, at most: one message each way for several
small files (a task costs ≈ 0.3 ms of inter-process work besides the validation)."""
TASK_BYTES = 1 << 20
"""A task holds more than one file only while they add up to less than this."""


def _tasks(paths: list[str]) -> Iterator[list[str]]:
    """Consecutive files grouped into tasks (standard input alone), in input order."""
    task: list[str] = []
    size = 0
    for path in paths:
        if path == STDIN:
            if task:
                yield task
            yield [STDIN]
            task, size = [], 0
            continue
        try:
            length = os.stat(path).st_size
        except OSError:
            length = 0  # the worker reports why it cannot be read
        if task and (len(task) >= TASK_FILES or size + length > TASK_BYTES):
            yield task
            task, size = [], 0
        task.append(path)
        size += length
    if task:
        yield task


def default_jobs() -> int:
    """Worker processes by default: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


JOBS_PER_CPU = 4
"""Worker processes per CPU at most, whatever was asked: each one loads the schemas (tens of
megabytes), and with ``fork`` the pool starts them all at once, so ``--jobs 1000`` would
start a thousand processes for no more throughput."""


def max_jobs() -> int:
    """The most worker processes a batch uses (:data:`JOBS_PER_CPU` per CPU)."""
    return JOBS_PER_CPU * default_jobs()


def _mp_context() -> Any:
    import multiprocessing  # only batches of more than one job need it

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _parallel(
    tasks: list[list[str]], jobs: int, location: str, options: dict[str, Any]
) -> Iterator[FileOutcome]:
    """Outcomes in input order from a pool of ``jobs`` processes; standard input stays here.

    When a worker process dies (killed, out of memory), every file it may have been
    validating is run again alone, one at a time, in a fresh pool: the file that kills a
    worker by itself is marked, the others get their outcome.
    """
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    def pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            jobs,
            mp_context=_mp_context(),
            initializer=_init_worker,
            initargs=(location, options, os.getpid()),
        )

    def from_stdin() -> FileOutcome:
        return validate_file(STDIN, schemas=resolve_bundle(location), **options)

    window = jobs * 4
    todo = collections.deque(tasks)
    pending: collections.deque[tuple[list[str], Future[list[FileOutcome]] | None]]
    pending = collections.deque()
    suspects: collections.deque[str] = collections.deque()
    executor = pool()
    try:
        while todo or pending or suspects:
            if suspects:
                path = suspects.popleft()
                if path == STDIN:
                    yield from_stdin()
                    continue
                try:
                    yield from executor.submit(_work, [path]).result()
                except BrokenProcessPool as exc:
                    yield FileOutcome(
                        path, error=f"internal error: worker process died ({exc})", internal=True
                    )
                    executor.shutdown(wait=False, cancel_futures=True)
                    executor = pool()
                continue
            while todo and len(pending) < window:
                task = todo.popleft()
                future = None if task == [STDIN] else executor.submit(_work, task)
                pending.append((task, future))
            task, future = pending.popleft()
            if future is None:
                yield from_stdin()
                continue
            try:
                outcomes = future.result()
            except BrokenProcessPool:
                suspects.extend(task)
                for other, _ in pending:
                    suspects.extend(other)
                pending.clear()
                executor.shutdown(wait=False, cancel_futures=True)
                executor = pool()
                continue
            yield from outcomes
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def validate_paths(
    paths: Iterable[str],
    *,
    schemas: SchemaBundle,
    profile: str = "default",
    lang: str = "fr",
    limits: Limits | None = None,
    context: Mapping[str, Any] | None = None,
    jobs: int = 1,
    batch_checks: bool = True,
    facts: bool = True,
    trust: tuple[bytes, ...] = (),
) -> Iterator[FileOutcome]:
    """One outcome per file, in a stable order (the order of ``paths``) whatever ``jobs``.

    ``jobs`` > 1 validates in that many worker processes, each resolving the bundle once;
    never more than there are tasks (groups of small files, see :func:`_tasks`) nor than
    :func:`max_jobs`. ``batch_checks`` adds the findings of the checks across files
    (PES-BAT-*).
    """
    files = list(paths)
    options: dict[str, Any] = {
        "profile": profile,
        "lang": lang,
        "limits": limits,
        "context": context,
        "facts": facts or batch_checks,
        "trust": trust,
    }
    workers = min(jobs, sum(1 for p in files if p != STDIN), max_jobs())
    tasks: list[list[str]] = []
    if workers > 1:
        tasks = list(_tasks(files))
        workers = min(workers, sum(1 for task in tasks if task != [STDIN]))
    outcomes: Iterator[FileOutcome]
    if workers > 1:
        outcomes = _parallel(tasks, workers, schemas.location, options)
    else:
        outcomes = (validate_file(path, schemas=schemas, **options) for path in files)
    check: Callable[[FileOutcome], FileOutcome] = (
        BatchChecks(lang) if batch_checks and len(files) > 1 else (lambda outcome: outcome)
    )
    for outcome in outcomes:
        yield check(outcome)


def validate_many(
    paths: Iterable[str | bytes | os.PathLike[str]],
    *,
    jobs: int | None = None,
    schemas: str | os.PathLike[str] | SchemaBundle | None = None,
    profile: str = "default",
    lang: str = "fr",
    limits: Limits | None = None,
    context: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    batch_checks: bool = True,
    trust: Iterable[bytes | str | os.PathLike[str]] | None = None,
) -> Iterator[FileOutcome]:
    """Validate files and directories (``*.xml``, recursively), yielding one outcome per file.

    Outcomes come in input order whatever ``jobs`` (default: one worker per CPU); a file
    that cannot be validated is an outcome with ``error`` set, never an exception.  Raises
    :class:`~pes_v2.PesError` only for a setup problem, before any file is validated: a
    missing path, nothing to validate (folders without ``*.xml``), standard input twice, an
    unusable bundle, context, trust anchor, language or profile.
    """
    options = checked_options(schemas, profile, lang, limits, context, trust)  # checked up front
    files = files_to_validate([os.fsdecode(p) for p in paths])  # bytes paths are paths too
    bundle, loaded, anchors = options.bundle, options.context, options.trust
    assert bundle is not None  # checked_options resolves it
    yield from validate_paths(
        files,
        schemas=bundle,
        profile=profile,
        lang=lang,
        limits=limits,
        context=loaded,
        jobs=default_jobs() if jobs is None else max(1, jobs),
        batch_checks=batch_checks,
        trust=anchors,
    )
