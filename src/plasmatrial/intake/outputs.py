"""A command's output set: staged in a hidden sibling, locked, published together (decision 0765).

:func:`output_folder` publishes a whole folder (``run``/``report``/``demo --out``) and
:func:`output_files` a few files of one folder (``respond``'s calls + subjects). Both

1. take an exclusive ``fcntl.flock`` on a hidden sibling ``.NAME.lock``; a second command on the
   same output exits 2 at once instead of waiting or interleaving;
2. remove staging folders and temporary files left by killed runs (safe: the lock is held);
3. yield a hidden staging folder ``.NAME.staging-*`` next to the output, into which the command
   writes every file (each one fsynced by :func:`plasmatrial.intake.io.write_frame` /
   :func:`write_text`);
4. publish: a folder is swapped in with one ``renameat2(RENAME_EXCHANGE)`` (Linux; two renames
   elsewhere, with the previous folder restored by the next run if killed in between); files are
   published as one generation: each output name is a stable symlink into a hidden
   ``.NAME.current`` link, and that one link is swapped to the new staging folder with a single
   rename, so a reader (or a kill -9) sees the previous set or the new one, never a mix. Where the
   file system has no symlinks, the files are marked complete by a ``COMMIT`` file and renamed one
   by one, and a run killed between those renames is rolled forward by the next command;
5. on any error the staging folder is removed and the previous outputs are untouched.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Final

from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake.io import current_umask, write_text

#: Names a previous ``run``/``report``/``demo`` output folder may hold; a folder holding anything
#: else is not replaced (it is not ours: ``--out .`` must never delete a user's files).
OWNED_NAMES: Final = frozenset(
    {
        "adam",
        "results.json",
        "report.html",
        "report.pdf",
        "data",
        "responses.csv",
        "subjects.csv",
    }
)
COMMIT: Final = "COMMIT"
_RENAME_EXCHANGE: Final = 2
_AT_FDCWD: Final = -100


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP}:
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def _locked(target: Path, option: str) -> Iterator[None]:
    import fcntl

    lock_path = target.parent / f".{target.name}.lock"
    try:
        fh: IO[bytes] = open(lock_path, "ab")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise PlasmatrialError(f"{option}: cannot lock '{target}': {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PlasmatrialError(
                f"{option}: another plasmatrial command is writing '{target}' "
                f"(lock {lock_path.name}); wait for it or choose another {option}"
            ) from None
        yield
    finally:
        fh.close()


def _clean_stale(target: Path, keep: str | None = None) -> None:
    """Remove leftovers of killed runs on ``target`` (the lock is held, so none is live); the
    staging folder named ``keep`` is the published generation and stays."""
    parent, name = target.parent, target.name
    for old in sorted(parent.glob(f".{name}.old-*")):
        if not target.exists() and old.is_dir():
            os.replace(old, target)  # killed between the two fallback renames: restore
        else:
            shutil.rmtree(old, ignore_errors=True)
    for staging in parent.glob(f".{name}.staging-*"):
        if staging.name != keep:
            shutil.rmtree(staging, ignore_errors=True)
    for tmp in parent.glob(f".{name}.*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def _prepare_parent(target: Path, option: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlasmatrialError(
            f"{option}: cannot create folder '{target.parent}': {exc.strerror}"
        ) from None


def refuse_inside(target: Path, inputs: Sequence[Path | None], option: str) -> None:
    """Refuse an output ``target`` that is, or contains, one of ``inputs`` (exit 2)."""
    out = target.resolve()
    for path in inputs:
        if path is None or not path.exists():  # a missing input is reported by its reader
            continue
        p = path.resolve()
        if p == out or out in p.parents:
            raise PlasmatrialError(
                f"{option} '{target}' would replace the input {path}; choose another {option}"
            )


@contextlib.contextmanager
def output_folder(
    target: Path, *, option: str = "--out", owned: frozenset[str] = OWNED_NAMES
) -> Iterator[Path]:
    """Stage a whole output folder and swap it in on success (see the module notes).

    Parameters
    ----------
    target : Path
        The output folder; its parent is created. An existing folder is replaced only if it
        holds nothing but ``owned`` names.
    option : str
        The command-line option named in errors.
    owned : frozenset of str
        Names a previous output of this command may hold (default :data:`OWNED_NAMES`).

    Yields
    ------
    Path
        The staging folder to write every output file into.

    Raises
    ------
    PlasmatrialError
        ``target`` is a file, holds foreign files, is locked by another command, or cannot be
        written.
    """
    if target.is_symlink():  # publish where the link points; the link itself stays
        target = target.resolve()
    _prepare_parent(target, option)
    with _locked(target, option):
        _clean_stale(target)
        if target.exists() and not target.is_dir():
            raise PlasmatrialError(f"{option}: {target}: Not a directory (a file is there)")
        if target.is_dir():
            foreign = sorted(p.name for p in target.iterdir() if p.name not in owned)
            if foreign:
                shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                raise PlasmatrialError(
                    f"{option} '{target}' holds files plasmatrial did not write ({shown}); "
                    f"choose a new or empty folder"
                )
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
        try:
            yield staging
            _publish_folder(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _fsync_dir(target.parent)


def _publish_folder(staging: Path, target: Path) -> None:
    os.chmod(staging, 0o777 & ~current_umask())
    for sub in (staging, *(p for p in staging.rglob("*") if p.is_dir())):
        _fsync_dir(sub)
    if not target.exists():
        os.replace(staging, target)
        return
    if _exchange(staging, target):
        return  # ``staging`` now holds the previous set; the caller removes it
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def _roll_forward(targets: Sequence[Path]) -> None:
    """Finish a commit that a killed run left half done (its ``COMMIT`` file is present)."""
    first = targets[0]
    current = _current_generation(first)
    for staging in first.parent.glob(f".{first.name}.staging-*"):
        if staging.name == current:
            continue  # the published generation (symlinked output set)
        if (staging / COMMIT).is_file():
            for target in targets:
                staged = staging / target.name
                if staged.exists():
                    os.replace(staged, target)
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def output_files(targets: Sequence[Path], *, option: str = "--out") -> Iterator[list[Path]]:
    """Stage several files of one folder and publish them together (see the module notes).

    Parameters
    ----------
    targets : sequence of Path
        Output files, all in the same folder (created if missing); the lock is on the first.
    option : str
        The command-line option named in errors.

    Yields
    ------
    list of Path
        Where to write each target (same order), inside the staging folder.

    Raises
    ------
    PlasmatrialError
        A target is a folder, is locked by another command, or cannot be written.
    """
    first = targets[0]
    if len({t.parent.resolve() for t in targets}) != 1:  # pragma: no cover - programming error
        raise ValueError("output_files: all targets must share a folder")
    _prepare_parent(first, option)
    with _locked(first, option):
        _roll_forward(targets)
        current = _current_generation(first)
        for target in targets:
            _clean_stale(target, keep=current)
            if target.is_dir():
                raise PlasmatrialError(f"{option}: {target}: Is a directory (a file is needed)")
        staging = Path(tempfile.mkdtemp(prefix=f".{first.name}.staging-", dir=first.parent))
        published = False
        try:
            yield [staging / t.name for t in targets]
            _fsync_dir(staging)
            if len(targets) > 1 and _symlinks_work(first):
                _publish_generation(staging, targets)
                published = True
            else:
                write_text(staging / COMMIT, "\n".join(str(t) for t in targets))
                _fsync_dir(staging)
                for target in targets:
                    os.replace(staging / target.name, target)
            _fsync_dir(first.parent)
        finally:
            if not published:
                shutil.rmtree(staging, ignore_errors=True)


def _current_link(first: Path) -> Path:
    return first.parent / f".{first.name}.current"


def _current_generation(first: Path) -> str | None:
    """Name of the staging folder the output set's ``current`` link points at, if any."""
    try:
        return os.readlink(_current_link(first))
    except OSError:
        return None


def _symlinks_work(first: Path) -> bool:
    probe = first.parent / f".{first.name}.probe-{os.getpid()}.tmp"
    try:
        os.symlink(".", probe)
    except OSError:
        return False
    probe.unlink()
    return True


def _relink(path: Path, dest: str) -> None:
    """Make ``path`` a symlink to ``dest`` in one rename (atomic for a reader)."""
    tmp = path.parent / f".{path.name.lstrip('.')}.link-{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(dest, tmp)
    os.replace(tmp, path)


def _publish_generation(staging: Path, targets: Sequence[Path]) -> None:
    """Swap the output set to ``staging`` with one rename of the ``current`` link.

    Every output name is (made) a symlink ``NAME -> .FIRST.current/NAME``. Regular files of an
    earlier set are first hard-linked into a generation of their own and ``current`` pointed at
    it, so turning them into symlinks changes nothing a reader sees; then the one rename of
    ``current`` shows the whole new set; then the previous generation is removed.
    """
    first = targets[0]
    parent, cur = first.parent, _current_link(first)

    def ours(t: Path) -> bool:
        return t.is_symlink() and os.readlink(t) == f"{cur.name}/{t.name}"

    regular = [t for t in targets if (t.exists() or t.is_symlink()) and not ours(t)]
    previous = _current_generation(first)
    if regular:
        old = Path(tempfile.mkdtemp(prefix=f".{first.name}.staging-", dir=parent))
        for t in targets:  # every name's visible content, so each keeps showing it
            if t.exists():
                real = os.path.realpath(t)  # os.link would link a symlink itself on Linux
                try:
                    os.link(real, old / t.name)
                except OSError:
                    shutil.copy2(real, old / t.name)
        os.chmod(old, 0o777 & ~current_umask())
        _fsync_dir(old)
        _relink(cur, old.name)
        if previous:
            shutil.rmtree(parent / previous, ignore_errors=True)
        previous = old.name
    for t in targets:
        if not ours(t):
            _relink(t, f"{cur.name}/{t.name}")  # shows the same (old) content, or nothing yet
    _fsync_dir(parent)
    os.chmod(staging, 0o777 & ~current_umask())
    _relink(cur, staging.name)  # the one switch from the previous set to the new one
    _fsync_dir(parent)
    if previous and previous != staging.name:
        shutil.rmtree(parent / previous, ignore_errors=True)
