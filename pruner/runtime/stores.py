"""Where the engine keeps a source table's rows: a dict (the default) or SQLite on disk.

A DimJoin in production looks its rows up in an external store (HBase, Redis, a database),
not in the job's memory. ``SqliteTable`` is such a store, embedded: each row lives in a SQLite
table under its primary key, and every lookup is an indexed query plus decoding the row. The
engine uses a store through the mapping protocol only (``get``, ``in``, ``[]=``, ``pop``), so
its per-message undo log works unchanged, and a lookup costs what a real store's would.

    from pruner.runtime.stores import SqliteTable
    engine = Engine(spec, plan, "pruned", stores={"sellers": SqliteTable.open("dims.db", spec.table("sellers"))})

A store may hold rows before the job starts (a dimension loaded by another process): the
engine reads them as if it had seen their inserts.

Rows are stored as JSON text: values must be what CDC decoders produce (None, bool, int,
float including NaN/inf, str, lists and objects of those) or ``decimal.Decimal``, ``bytes``,
``datetime`` and ``date`` (typed sources), which are tagged so they come back as they went in.
Keys are brought to their one form (``pruner.runtime.keys.normal_key``: ``1 == 1.0``, as in a
Python dict) and stored as SQLite values; what SQLite cannot hold as it is (an integer past 64
bits, a Decimal, a string starting with NUL) is stored as tagged text.
"""
from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator, MutableMapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from pruner.runtime.keys import BadKey, normal_key
from pruner.spec import TableSpec

_TAG_DECIMAL: Final = "\x00decimal"         # tags no real column name starts with NUL
_TAG_BYTES: Final = "\x00bytes"
_TAG_DATETIME: Final = "\x00datetime"
_TAG_DATE: Final = "\x00date"
_KEY_TAGS: Final = {"\x00int:": int, "\x00decimal:": Decimal, "\x00str:": str}   # key values as tagged text
_INT64: Final = range(-(2 ** 63), 2 ** 63)


class StoreError(Exception):
    """A store that cannot be opened or used (bad path, another table's layout)."""


class SqliteTable(MutableMapping):
    """One source table's rows in a SQLite database: primary key -> row (a dict)."""

    def __init__(self, connection: sqlite3.Connection, table: str, key_fields: tuple[str, ...]) -> None:
        if not key_fields:
            raise StoreError(f"table {table!r} has no primary key")
        self.connection = connection
        self.table = table
        self.key_fields = tuple(key_fields)
        name = _quote(f"pruner_{table}")
        keys = ", ".join(_quote(f"k_{f}") for f in self.key_fields)
        where = " AND ".join(f"{_quote(f'k_{f}')} = ?" for f in self.key_fields)
        connection.execute(f"CREATE TABLE IF NOT EXISTS {name} ({keys}, row TEXT NOT NULL, PRIMARY KEY ({keys}))")
        columns = [r[1] for r in connection.execute(f"PRAGMA table_info({name})")]
        expected = [f"k_{f}" for f in self.key_fields] + ["row"]
        if columns != expected:
            raise StoreError(f"SQLite table {name} exists with columns {columns}, not {expected}: "
                             f"it was made for another primary key of {table!r}")
        self._get = f"SELECT row FROM {name} WHERE {where}"
        self._put = f"INSERT OR REPLACE INTO {name} ({keys}, row) VALUES ({', '.join('?' * (len(self.key_fields) + 1))})"
        self._delete = f"DELETE FROM {name} WHERE {where}"
        self._keys = f"SELECT {keys} FROM {name}"
        self._count = f"SELECT COUNT(*) FROM {name}"

    @classmethod
    def open(cls, path: str | Path, table: TableSpec, *, connection: sqlite3.Connection | None = None) -> SqliteTable:
        """The table's store in the database file at `path` (created if missing)."""
        return cls(connection or connect(path), table.name, table.primary_key)

    # ------------------------------------------------------------------ the mapping protocol
    def __getitem__(self, key: tuple) -> dict[str, Any]:
        found = self._find(key)
        if found is None:
            raise KeyError(key)
        return json.loads(found, object_hook=_decode)

    def get(self, key: tuple, default: Any = None) -> Any:
        found = self._find(key)
        return default if found is None else json.loads(found, object_hook=_decode)

    def __contains__(self, key: object) -> bool:
        try:
            return self._find(key) is not None        # type: ignore[arg-type]
        except StoreError:
            return False

    def __setitem__(self, key: tuple, row: dict[str, Any]) -> None:
        try:
            params = self._params(key)
        except BadKey as bad:
            raise StoreError(f"{self.table}: key {key!r} cannot be stored: {bad}") from None
        text = json.dumps(row, default=_encode, ensure_ascii=False, separators=(",", ":"))
        self.connection.execute(self._put, (*params, text))

    def __delitem__(self, key: tuple) -> None:
        try:
            params = self._params(key)
        except BadKey:
            raise KeyError(key) from None
        if self.connection.execute(self._delete, params).rowcount == 0:
            raise KeyError(key)

    def __iter__(self) -> Iterator[tuple]:
        return iter([tuple(_key_value(v) for v in r) for r in self.connection.execute(self._keys)])

    def __len__(self) -> int:
        return self.connection.execute(self._count).fetchone()[0]

    def _find(self, key: tuple) -> str | None:
        """The stored row's text, or None; a key no row can have (a null, a NaN, a list) finds none."""
        try:
            params = self._params(key)
        except BadKey:
            return None
        found = self.connection.execute(self._get, params).fetchone()
        return found[0] if found is not None else None

    def _params(self, key: tuple) -> tuple:
        """The SQLite values of `key`, in its normal form; ``BadKey`` if it cannot be a key."""
        if not isinstance(key, tuple) or len(key) != len(self.key_fields):
            raise StoreError(f"{self.table}: a key is a tuple of {len(self.key_fields)} value(s), got {key!r}")
        return tuple(_key_param(v) for v in normal_key(key))


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection for stores: autocommit (the engine's undo log is the transaction), WAL."""
    try:
        connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error as error:
        raise StoreError(f"cannot open SQLite store {path}: {error}") from None
    return connection


def sqlite_stores(path: str | Path, tables: list[TableSpec]) -> dict[str, SqliteTable]:
    """Stores for `tables`, all in one database file (one connection)."""
    connection = connect(path)
    return {t.name: SqliteTable.open(path, t, connection=connection) for t in tables}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _key_param(value: int | float | Decimal | str | bytes) -> Any:
    """One normal key value as a SQLite value: itself, or tagged text where SQLite cannot hold it."""
    if type(value) is int and value not in _INT64:
        return f"\x00int:{value}"
    if type(value) is Decimal:
        return f"\x00decimal:{value}"
    if type(value) is str and value.startswith("\x00"):
        return f"\x00str:{value}"
    return value


def _key_value(stored: Any) -> Any:
    if type(stored) is str and stored.startswith("\x00"):
        for tag, kind in _KEY_TAGS.items():
            if stored.startswith(tag):
                return kind(stored[len(tag):])
    return stored


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):           # before date: a datetime is a date
        return {_TAG_DATETIME: value.isoformat()}
    if isinstance(value, date):
        return {_TAG_DATE: value.isoformat()}
    if isinstance(value, Decimal):
        return {_TAG_DECIMAL: str(value)}
    if isinstance(value, (bytes, bytearray)):
        return {_TAG_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"a {type(value).__name__} value cannot be stored in a row")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if _TAG_DECIMAL in obj:
            return Decimal(obj[_TAG_DECIMAL])
        if _TAG_BYTES in obj:
            return base64.b64decode(obj[_TAG_BYTES])
        if _TAG_DATETIME in obj:
            return datetime.fromisoformat(obj[_TAG_DATETIME])
        if _TAG_DATE in obj:
            return date.fromisoformat(obj[_TAG_DATE])
    return obj
