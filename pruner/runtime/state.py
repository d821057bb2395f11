"""The undo log: every message is a transaction.

The engine changes its state (source tables, indexes, stored outputs, emitted values) only
through these methods. While a message is applied ``_undo`` is a list and each change leaves
an entry to take it back; on a unit failure ``_rollback`` restores the state exactly as it
was before the message. Outside a message (``_undo`` None) nothing is logged.
"""
from __future__ import annotations

from typing import Any

_MISSING = object()
_ADDED, _DISCARDED = object(), object()        # undo entries of a set changed in place


class UndoLog:
    """Mixin: transactional changes of dicts and of sets held in dicts."""

    _undo: list[tuple[Any, Any, Any]] | None = None

    def _set(self, target: dict, key: Any, value: Any) -> None:
        if self._undo is not None:
            self._undo.append((target, key, target.get(key, _MISSING)))
        target[key] = value

    def _del(self, target: dict, key: Any) -> None:
        if self._undo is not None:
            self._undo.append((target, key, target.get(key, _MISSING)))
        target.pop(key, None)

    def _add_member(self, groups: dict, group: Any, member: Any) -> None:
        """Add `member` to the set `groups[group]` in place (a copy per change would make a bulk
        load onto one dimension row quadratic); the undo log can take it back."""
        found = groups.get(group)
        if found is None:
            self._set(groups, group, {member})
        elif member not in found:
            found.add(member)
            if self._undo is not None:
                self._undo.append((found, member, _ADDED))

    def _discard_member(self, groups: dict, group: Any, member: Any) -> None:
        found = groups.get(group)
        if found is not None and member in found:
            found.discard(member)
            if self._undo is not None:
                self._undo.append((found, member, _DISCARDED))

    def _rollback(self) -> None:
        for target, key, old in reversed(self._undo or []):
            if old is _ADDED:
                target.discard(key)
            elif old is _DISCARDED:
                target.add(key)
            elif old is _MISSING:
                target.pop(key, None)
            else:
                target[key] = old
        self._undo = None
