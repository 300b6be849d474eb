"""Core statements compiled once per dialect into what the driver takes and gives back.

SQLAlchemy's own execution path costs far more than a short indexed query:
it builds the parameters, looks the statement up in its compiled cache by a
computed key, wraps the driver's rows and, over an async driver, crosses a
greenlet. A `Compiled` does the same conversions with none of that: its SQL
text in the driver's parameter style, the parameter values in order (with the
type's bind conversion, if any) and the rows as plain tuples (with the type's
result conversion, if any: a SQLite Boolean comes back as a bool).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.cache_key import CacheKey
from sqlalchemy.sql.compiler import SQLCompiler

Row = tuple[Any, ...]
_NO_DEFAULT = object()


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    default: Any
    convert: Callable[[Any], Any] | None
    # Its place among the cache key's parameters (a literal value in the statement), if any.
    literal: int | None = None


@dataclass(frozen=True, slots=True)
class Compiled:
    sql: str
    _params: tuple[_Param, ...]
    # One conversion per result column, or None when no column needs one.
    _columns: tuple[Callable[[Any], Any] | None, ...] | None

    def args(self, values: Mapping[str, Any] | None, literals: Sequence[Any] | None = None) -> tuple[Any, ...]:
        """The positional parameters, in the order the SQL text names them: from `values`
        by name, else the statement's own literal values (`literals`: those of another
        statement of the same shape, its cache key's `bindparams`), else the default."""
        out = []
        for p in self._params:
            if values is not None and p.name in values:
                value = values[p.name]
            elif literals is not None and p.literal is not None:
                value = literals[p.literal].effective_value
            else:
                value = p.default
            if value is _NO_DEFAULT:
                raise KeyError(f"no value for the bound parameter {p.name!r}")
            out.append(p.convert(value) if p.convert is not None and value is not None else value)
        return tuple(out)

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[Row]:
        """The driver's rows as tuples, each value converted as its column's type says."""
        columns = self._columns
        if columns is None:
            return raw if isinstance(raw, list) and (not raw or type(raw[0]) is tuple) else [tuple(r) for r in raw]
        return [tuple(v if f is None or v is None else f(v) for f, v in zip(columns, r, strict=True)) for r in raw]


def compile_statement(
    statement: ClauseElement,
    dialect: Dialect,
    column_keys: Sequence[str] | None = None,
    cache_key: CacheKey | None = None,
) -> Compiled:
    """Compiles `statement` with positional parameters for `dialect`; an INSERT or UPDATE
    for the `column_keys` its parameters name (as SQLAlchemy does when it executes one).

    Raises ValueError for what this path does not run: expanding (IN-list)
    parameters, whose SQL changes with the number of values, and columns whose
    default is computed in Python at execution time.

    With the statement's `cache_key`, the result also runs every statement of the
    same shape (the same cache key), given that one's literal values.
    """
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=column_keys, cache_key=cache_key))
    literal_at: dict[Any, int] = {}
    if cache_key is not None:
        clones = cast(Any, compiled)._cache_key_bind_match[0]  # a cache key's parameter -> it and its clones
        literal_at = {bind: i for i, original in enumerate(cache_key.bindparams) for bind in clones[original]}
    filled_in = {}  # columns given no value that take their default (or on-update value) here
    for column, generator in [
        *((c, c.default) for c in compiled.insert_prefetch),
        *((c, c.onupdate) for c in compiled.update_prefetch),
    ]:
        if generator is None or not generator.is_scalar:
            raise ValueError(f"column {column.key!r} has a default computed at execution: use SQLAlchemy")
        filled_in[column.key] = cast(Any, generator).arg
    if not compiled.positional or compiled.positiontup is None:
        raise ValueError(f"{dialect.name}: the driver's parameter style is not positional")
    if "__[POSTCOMPILE_" in compiled.string:
        raise ValueError("a parameter rendered at execution time: run this statement through SQLAlchemy")
    params = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        if name in filled_in:
            params.append(_Param(name, filled_in[name], bind.type._cached_bind_processor(dialect)))
            continue
        if bind.expanding:
            raise ValueError(f"expanding parameter {name!r}: run this statement through SQLAlchemy")
        if bind.callable is not None or bind.value is not None:
            default = bind.effective_value
        else:
            default = None if not bind.required else _NO_DEFAULT
        params.append(
            _Param(
                name,
                default,
                bind.type._cached_bind_processor(dialect),
                None if bind.required else literal_at.get(bind),
            )
        )
    result_columns = getattr(compiled, "_result_columns", None) or []
    conversions = tuple(c.type._cached_result_processor(dialect, None) for c in result_columns)
    return Compiled(
        compiled.string,
        tuple(params),
        conversions if any(f is not None for f in conversions) else None,
    )
