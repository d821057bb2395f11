"""Output files of a run: checked before any work, written whole or not at all.

A run that has processed a whole stream must not lose its work to an output path it could
have refused at the start, and a failed run must not leave half a file or clobber an input.
So, before anything runs, ``Outputs`` checks every path: not the input, not another output,
not a directory, in a directory that exists and can be written (a temporary file is made and
removed there). At the end every file is first written in full to a temporary file next to
its target, and only when all of them are written are they renamed into place; if one rename
fails, the files already replaced are put back. A symbolic link is followed: its target is
written, the link stays. What is not a regular file (a device, a pipe, ``/dev/stdout``) is
written in place, as it cannot be renamed onto, before any file is replaced; a regular file is
never written in place, even under ``/dev/shm``. An interruption (Ctrl-C) while writing or
renaming leaves no temporary file and the old files as they were.
"""
from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable


class OutputError(Exception):
    """An output path that cannot be used, or a write that failed (nothing was replaced)."""


@dataclass
class _Target:
    option: str
    path: Path
    direct: bool                    # not a regular file: written in place, not renamed onto
    temp: Path | None = None
    backup: Path | None = None      # while committing: a link to the file it replaced


@dataclass
class Outputs:
    """The run's output files, by option name (``{"--sink-out": "sink.jsonl", ...}``).

    ``inputs`` are the paths the run reads (``-`` for stdin is ignored): no output may be one.
    ``plugin_folders``: no output may be a ``.py`` file in one (it would become a module of the
    job, and the job's plan stale).
    """

    paths: dict[str, str | os.PathLike | None]
    inputs: dict[str, str | os.PathLike | None] = field(default_factory=dict)
    plugin_folders: tuple[str | os.PathLike, ...] = ()

    def __post_init__(self) -> None:
        self._targets: dict[str, _Target] = {}
        seen: dict[tuple, str] = {}
        for option, given in self.inputs.items():
            if given is not None and str(given) != "-":
                seen[_identity(Path(given))] = option
        for option, given in self.paths.items():
            if given is None:
                continue
            path = Path(given)
            if not _special(path):
                path = Path(os.path.realpath(path))       # a link's target is written, the link stays
            identity = _identity(path)
            if identity in seen:
                other = seen[identity]
                raise OutputError(f"{option} {given} is the same file as {other}: "
                                  f"{'it would be overwritten' if other in self.inputs else 'one would overwrite the other'}")
            for folder in self.plugin_folders:
                inside = Path(os.path.realpath(folder))
                if path.suffix == ".py" and (inside == path.parent or inside in path.parents):
                    raise OutputError(f"{option} {given} is a Python file in the plugin folder {folder}: "
                                      "it would become a module of the job (and its plan stale)")
            seen[identity] = option
            self._targets[option] = _Target(option, path, _check(option, path))

    def write(self, option: str, writer: Callable[[IO[str]], None]) -> None:
        """Write one output in full, to a temporary file (or in place when it is not a file)."""
        target = self._targets.get(option)
        if target is None:
            return
        try:
            if target.direct:
                with target.path.open("w", encoding="utf-8") as handle:
                    writer(handle)
                return
            fd, temp = tempfile.mkstemp(prefix=f".{target.path.name}.", suffix=".tmp", dir=target.path.parent)
            target.temp = Path(temp)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                writer(handle)
        except BaseException as error:      # Ctrl-C too: no temporary file is left behind
            self.discard()
            if not isinstance(error, OSError):
                raise
            raise OutputError(f"cannot write {option} {target.path}: {error.strerror or error}; "
                              "nothing was replaced") from None

    def commit(self) -> None:
        """Rename every written file into place (keeping an existing file's permissions). All
        or nothing: when one rename fails, the files already replaced get their old content back."""
        done: list[_Target] = []
        try:
            for target in self._targets.values():
                if target.temp is None:
                    continue
                existed = target.path.exists()
                mode = target.path.stat().st_mode & 0o7777 if existed else 0o666 & ~_umask()
                os.chmod(target.temp, mode)
                if existed:
                    target.backup = _link_aside(target.path)
                os.replace(target.temp, target.path)
                target.temp = None
                done.append(target)
        except BaseException as error:      # Ctrl-C too: the old files are put back
            for replaced in reversed(done):
                if replaced.backup is not None:
                    os.replace(replaced.backup, replaced.path)
                    replaced.backup = None
            self.discard()
            if not isinstance(error, OSError):
                raise
            raise OutputError(f"cannot write {target.option} {target.path}: {error.strerror or error}; "
                              "nothing was replaced") from None
        for target in done:
            if target.backup is not None:
                target.backup.unlink(missing_ok=True)
                target.backup = None

    def discard(self) -> None:
        for target in self._targets.values():
            for name in ("temp", "backup"):
                left = getattr(target, name)
                if left is not None:
                    left.unlink(missing_ok=True)
                    setattr(target, name, None)


def _special(path: Path) -> bool:
    """Under /dev or /proc and not a regular file (/dev/stdout, /dev/null, /proc/self/fd/1): written
    in place, never resolved (/dev/stdout redirected to a file must not replace that file). A
    regular file there (/dev/shm is a tmpfs) is a file like any other, and so is a new one in
    /dev/shm; nothing new is created elsewhere under /dev or /proc."""
    where = str(path.absolute())
    if not where.startswith(("/dev/", "/proc/")):
        return False
    try:
        return not stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return not where.startswith("/dev/shm/")
    except OSError:
        return True


def _link_aside(path: Path) -> Path:
    """A hard link to `path` under a temporary name next to it (to put it back)."""
    for attempt in range(100):
        aside = path.with_name(f".{path.name}.{os.getpid()}.{attempt}.old")
        try:
            os.link(path, aside)
            return aside
        except FileExistsError:
            continue
    raise FileExistsError(f"no free name for a backup of {path}")


def _identity(path: Path) -> tuple:
    """What makes two paths the same file: device and inode when it exists, else the real path."""
    try:
        info = path.stat()
    except OSError:
        return ("path", os.path.realpath(path))
    return ("inode", info.st_dev, info.st_ino)


def _check(option: str, path: Path) -> bool:
    """Refuse what cannot be written; True when the path is written in place (not a file)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise OutputError(f"{option} {path}: {error.strerror or error}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{option} {path} is a directory; give a file name in it")
    if info is not None and not stat.S_ISREG(info.st_mode) or _special(path):
        if info is None:
            raise OutputError(f"{option} {path}: no such file (under /dev or /proc nothing is created)")
        if not os.access(path, os.W_OK):
            raise OutputError(f"{option} {path}: permission denied")
        return True
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"{option} {path}: the directory {parent} does not exist"
                          + ("" if parent.exists() else f" (create it with `mkdir -p {parent}`)"))
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise OutputError(f"{option} {path}: cannot write in {parent}: {error.strerror or error}") from None
    if info is not None and not os.access(path, os.W_OK):
        raise OutputError(f"{option} {path}: the file exists and is not writable")
    if info is not None:            # replacing it needs a backup link beside it: found now, not at the end
        try:
            _link_aside(path).unlink()
        except OSError as error:
            raise OutputError(f"{option} {path}: cannot keep a copy of the file it replaces until the run "
                              f"ends (a hard link in {parent}): {error.strerror or error}") from None
    return False


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
