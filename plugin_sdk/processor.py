"""The two classes plugin authors subclass: ``Processor`` and ``UDTF``."""
from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any, ClassVar


class Processor:
    """One step of a UDTF: reads fields of the current row, writes output fields.

    Subclasses implement ``process(self, row, out)``:

    - ``row`` is a read-only mapping of the current wide row (source fields plus the
      outputs of the units that ran before this one);
    - ``out`` is a fresh dict per call; what the Processor writes into it becomes
      fields of the row for the units after it.

    The pruner reads ``process`` statically (it never imports plugin code at compile
    time) to learn which fields it reads and writes; write it plainly
    (``row["price"]``, ``row.get("title", "")``, ``out["band"] = ...``) and it is
    pruned exactly. See the README's authoring guide.
    """

    def process(self, row: Mapping[str, Any], out: MutableMapping[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__}.process(row, out) is not implemented")


class UDTF:
    """A table function made of Processors, run in the order of ``processors``.

    ``processors`` lists Processor classes (not instances). The compiler orders them by
    their field dependencies; the declared order breaks ties and is the semantics when
    two Processors write the same field.
    """

    processors: ClassVar[list[type[Processor]]] = []
