"""A fast proto3 JSON codec for the bridge's hot path.

`google.protobuf.json_format` walks descriptors on every call. Here each
message class is compiled once (lazily, on first use) into a plan of
per-field converter closures; converting a message then only runs those
closures. The mapping follows https://protobuf.dev/programming-guides/json/
with the bridge's choices:

* output always prints fields without presence (like json_format's
  `always_print_fields_with_no_presence=True`) and honours the
  `(chorus.api.v1.field)` rules `int64_as_number`, `omit_empty`,
  `null_when_unset` and `json_key` (and on input `accept_date`);
* repeated double fields are written from one C-level copy of their values
  (orjson prints each double's shortest form, as json_format does), and
  `bytes_as_doubles` fields are unpacked in C, so a large vector costs no
  Python work per number;
* enums whose values carry `(chorus.api.v1.enum_value).json` (a document's
  closed set) are written and read by those spellings only;
* input is strict: unknown keys and wrong JSON types are errors, collected
  (all of them, in one pass) as Zod-like `FieldIssue`s; a caller may ask
  for unknown keys to be ignored instead (Zod's default `strip`); a field
  marked `(google.api.field_behavior) = REQUIRED` must be present and not
  null in a JSON object (proto3 cannot tell an absent list from an empty one,
  JSON can);
* input is bounded: JSON nests at most `MAX_DEPTH` levels (protobuf's own
  decoders refuse deeper messages, and Python would run out of stack), and
  free-form values (Struct/Value/ListValue) hold at most `MAX_FREE_FORM_VALUES`
  values per request (each costs a message on the way in);
* query parameters and path variables are bound like grpc-gateway's
  runtime/query.go, but with errors instead of silent skips.

A failed merge raises after visiting the whole input, so the target message
may be partly written; callers discard it.
"""

from __future__ import annotations

import array
import base64
import binascii
import datetime
import functools
import math
import re
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, cast

import orjson
from chorus_contracts.chorus.api.v1 import annotations_pb2
from google.api import field_behavior_pb2
from google.protobuf import json_format, message_factory, timestamp_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

__all__ = [
    "MAX_DEPTH",
    "MAX_FREE_FORM_VALUES",
    "FieldIssue",
    "JsonMappingError",
    "MessageCodec",
    "UnknownKey",
    "codec_for",
    "enum_spellings",
]


class FieldIssue(NamedTuple):
    """One problem in a request, at the path the client wrote (keys, indexes)."""

    path: tuple[str | int, ...]
    message: str


class UnknownKey(FieldIssue):
    """The issue of a key the message does not have (not noted when unknown keys are ignored)."""


# How deep a request's JSON may nest (a key or an array index is one level).
# Deeper free-form values would exceed protobuf's decoding depth limit (100
# message levels: a Struct level costs three) and Python's stack.
MAX_DEPTH = 32
# Values in all of one request's free-form (Struct/Value/ListValue) fields.
MAX_FREE_FORM_VALUES = 100_000


class JsonMappingError(Exception):
    """A request could not be mapped onto its message; carries every issue found."""

    def __init__(self, issues: list[FieldIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(_describe(i) for i in issues))


def _describe(issue: FieldIssue) -> str:
    where = ".".join(str(p) for p in issue.path)
    return f"{where}: {issue.message}" if where else issue.message


Path = tuple[str | int, ...]


class Issues(list[FieldIssue]):
    """The issues of one merge, what that merge may still spend, whether it
    ignores unknown keys (then they are never noted), and which top-level fields
    the URL path sets (a REQUIRED one of those need not be in the body)."""

    __slots__ = ("free_form_left", "from_path", "ignore_unknown")

    def __init__(self, ignore_unknown: bool = False, from_path: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.free_form_left = MAX_FREE_FORM_VALUES
        self.ignore_unknown = ignore_unknown
        self.from_path = from_path


_TOO_DEEP = f"JSON nests more than {MAX_DEPTH} levels deep"
_TOO_MANY_VALUES = f"Free-form JSON holds more than {MAX_FREE_FORM_VALUES} values in one request"

Dump = Callable[[Any], Any]  # a field value (as protobuf returns it) -> its JSON form
Conv = Callable[[Any], Any]  # a JSON value (or query string) -> a protobuf scalar
Loader = Callable[[Message, Any, Path, Issues], None]
TextSetter = Callable[[Message, str], None]


class _Invalid(Exception):
    """Internal: a value was rejected; `message` becomes a FieldIssue."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- JSON value helpers ------------------------------------------------------

_JSON_TYPE_NAMES: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    tuple: "array",
    dict: "object",
}


def _received(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _expected(what: str, value: Any) -> _Invalid:
    return _Invalid(f"Expected {what}, received {_received(value)}")


_NOT_OBJECT = "Expected an object"
_NOT_ARRAY = "Expected an array"

_INT_RE = re.compile(r"-?[0-9]+")
_NUMBER_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")

_INT32 = (-(2**31), 2**31 - 1)
_UINT32 = (0, 2**32 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_UINT64 = (0, 2**64 - 1)

_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

_FD = FieldDescriptor
_INT_RANGES: dict[int, tuple[int, int]] = {
    _FD.TYPE_INT32: _INT32,
    _FD.TYPE_SINT32: _INT32,
    _FD.TYPE_SFIXED32: _INT32,
    _FD.TYPE_UINT32: _UINT32,
    _FD.TYPE_FIXED32: _UINT32,
    _FD.TYPE_INT64: _INT64,
    _FD.TYPE_SINT64: _INT64,
    _FD.TYPE_SFIXED64: _INT64,
    _FD.TYPE_UINT64: _UINT64,
    _FD.TYPE_FIXED64: _UINT64,
}
_INT64_TYPES = frozenset({_FD.TYPE_INT64, _FD.TYPE_SINT64, _FD.TYPE_SFIXED64, _FD.TYPE_UINT64, _FD.TYPE_FIXED64})


# --- scalar output -------------------------------------------------------------


def _dump_double(value: float) -> Any:
    if math.isfinite(value):
        return value
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _to_float32(value: float) -> float:
    result: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return result


def _dump_float(value: float) -> Any:
    """Shortest decimal that reads back as the same float32 (json_format's rule)."""
    if not math.isfinite(value):
        return _dump_double(value)
    for precision in range(6, 10):
        rounded = float(f"{value:.{precision}g}")
        if _to_float32(rounded) == value:
            return rounded
    return value


def _dump_bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _dump_bool_key(key: bool) -> str:
    return "true" if key else "false"


# --- scalar input ---------------------------------------------------------------


def _decimal(text: str) -> Decimal | None:
    """Exact value of a numeric string, or None (not a number / absurd exponent)."""
    if not _NUMBER_RE.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _parse_int_text(text: str) -> int:
    """Integer from a decimal string; integral exponent forms ("1e3") allowed."""
    if _INT_RE.fullmatch(text):
        return int(text)
    number = _decimal(text)
    if number is not None:
        if number.is_zero():
            return 0
        magnitude = number.adjusted()  # power of ten of the leading digit; no context involved
        if magnitude >= 20:  # beyond every 64-bit range: let the range check report it
            return -(2**65) if number.is_signed() else 2**65
        if magnitude >= 0 and number == number.to_integral_value():
            return int(number)
    raise _Invalid(f'Invalid integer "{text}"')


def _int_conv(bounds: tuple[int, int]) -> Conv:
    low, high = bounds

    def conv(value: Any) -> int:
        kind = type(value)
        if kind is int:
            number = value
        elif kind is float:
            if not value.is_integer():
                raise _Invalid("Expected integer, received float")
            number = int(value)
        elif kind is str:
            number = _parse_int_text(value)
        else:
            raise _expected("integer", value)
        if number < low:
            raise _Invalid(f"Number must be greater than or equal to {low}")
        if number > high:
            raise _Invalid(f"Number must be less than or equal to {high}")
        return number

    return conv


def _parse_float_text(text: str) -> float:
    special = _SPECIAL_FLOATS.get(text)
    if special is not None:
        return special
    if not _NUMBER_RE.fullmatch(text):
        raise _Invalid(f'Invalid number "{text}"')
    return float(text)


def _overflows_float32(number: float) -> bool:
    # struct rounds to nearest like the wire does: 3.4028235e38 (max float32) fits.
    try:
        struct.pack("<f", number)
    except OverflowError:
        return True
    return False


def _float_conv(single: bool) -> Conv:
    def conv(value: Any) -> float:
        kind = type(value)
        if kind is float or kind is int:
            try:
                number = float(value)
            except OverflowError:
                raise _Invalid("Number is out of range") from None
        elif kind is str:
            number = _parse_float_text(value)
            if math.isinf(number) and value not in _SPECIAL_FLOATS:
                raise _Invalid("Number is out of range")
        else:
            raise _expected("number", value)
        if single and _overflows_float32(number):
            raise _Invalid("Number is out of range for float")
        return number

    return conv


def _bool_conv(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise _expected("boolean", value)


_TEXT_BOOLS = {"true": True, "false": False, "1": True, "0": False}


def _bool_text(text: str) -> bool:
    result = _TEXT_BOOLS.get(text)
    if result is None:
        raise _Invalid(f'Invalid boolean "{text}"')
    return result


def _check_string(value: str) -> str:
    # upb refuses lone surrogates with a UnicodeEncodeError; report them instead.
    if not value.isascii() and _SURROGATE_RE.search(value):
        raise _Invalid("Invalid string: unpaired surrogate")
    # PostgreSQL's text cannot hold NUL, and no document's text means one: refused
    # on every backend alike, rather than stored on SQLite only.
    if "\x00" in value:
        raise _Invalid("Invalid string: NUL characters are not allowed")
    return value


def _string_conv(value: Any) -> str:
    if type(value) is str:
        return _check_string(value)
    raise _expected("string", value)


_B64_RE = re.compile(r"[A-Za-z0-9+/]*")
_URLSAFE_TO_STD = str.maketrans("-_", "+/")


def _decode_base64(text: str) -> bytes:
    """Standard or URL-safe alphabet, padding optional."""
    body = text.translate(_URLSAFE_TO_STD).rstrip("=")
    if not _B64_RE.fullmatch(body) or len(body) % 4 == 1 or len(text) - len(body) > 2:
        raise _Invalid("Invalid base64")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except binascii.Error:
        raise _Invalid("Invalid base64") from None


def _bytes_conv(value: Any) -> bytes:
    if type(value) is str:
        return _decode_base64(value)
    raise _expected("string", value)


# --- enums ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _EnumInfo:
    names: dict[int, str]
    numbers: dict[str, int]
    closed: bool
    is_null_value: bool
    # A document's closed set (`(chorus.api.v1.enum_value).json`): only these
    # spellings are read, and the message that lists them.
    spelled: bool = False
    not_in_set: str = ""

    @classmethod
    def of(cls, enum: EnumDescriptor) -> _EnumInfo:
        spellings = enum_spellings(enum)
        if spellings:
            written = {number: text for text, number in spellings.items()}
            for value in enum.values:  # unspelled (the zero): its name, as json_format writes it
                written.setdefault(value.number, value.name)
            return cls(
                names=written,
                numbers=spellings,
                closed=True,
                is_null_value=False,
                spelled=True,
                not_in_set="Must be one of: " + ", ".join(spellings),
            )
        names: dict[int, str] = {}
        for value in enum.values:
            names.setdefault(value.number, value.name)  # first name wins for aliases
        return cls(
            names=names,
            numbers={v.name: v.number for v in enum.values},
            closed=bool(enum.is_closed),
            is_null_value=enum.full_name == "google.protobuf.NullValue",
        )

    def dump(self) -> Dump:
        if self.is_null_value:
            return _always_none
        # A bound dict lookup (C) rather than a Python lambda: a number without a
        # name (open enums) is written as itself.
        return _NameOrNumber(self.names).__getitem__

    def check_number(self, number: int) -> int:
        if self.spelled:
            raise _Invalid(self.not_in_set)
        known = number in self.names
        if not known and (self.closed or not _INT32[0] <= number <= _INT32[1]):
            raise _Invalid(f"Invalid enum value {number}")
        return number

    def from_text(self, text: str) -> int:
        number = self.numbers.get(text)
        if number is not None:
            return number
        if self.spelled:
            raise _Invalid(self.not_in_set)
        if _INT_RE.fullmatch(text):
            return self.check_number(int(text))
        raise _Invalid(f'Invalid enum value "{text}"')

    def conv(self) -> Conv:
        def conv(value: Any) -> int:
            kind = type(value)
            if kind is str:
                return self.from_text(value)
            if kind is int:
                return self.check_number(value)
            if value is None and self.is_null_value:
                return 0
            if self.spelled:
                raise _Invalid(self.not_in_set)
            raise _expected("enum name or number", value)

        return conv


class _NameOrNumber(dict[int, Any]):
    def __missing__(self, number: int) -> int:
        return number


def enum_spellings(enum: EnumDescriptor) -> dict[str, int]:
    """The document's spellings of an enum's values (`(chorus.api.v1.enum_value).json`),
    in declaration order; empty when the enum has none."""
    spellings: dict[str, int] = {}
    for value in enum.values:
        options: Any = value.GetOptions()
        text = options.Extensions[annotations_pb2.enum_value].json
        if text:
            spellings[text] = value.number
    return spellings


def _always_none(_: Any) -> None:
    return None


# --- well-known types: strings ------------------------------------------------------

_TIMESTAMP_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(?:Z|([+-])([0-9]{2}):([0-9]{2}))"
)
_TIMESTAMP_MIN = -62135596800  # 0001-01-01T00:00:00Z
_TIMESTAMP_MAX = 253402300799  # 9999-12-31T23:59:59Z
_EPOCH = datetime.datetime(1970, 1, 1)
_DURATION_RE = re.compile(r"(-)?([0-9]+)(?:\.([0-9]{1,9}))?s")
_DURATION_MAX = 315576000000


def _parse_timestamp(text: str) -> tuple[int, int]:
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        raise _Invalid("Invalid timestamp")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        moment = datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise _Invalid("Invalid timestamp") from None
    seconds = (moment - _EPOCH) // datetime.timedelta(seconds=1)
    sign, off_hours, off_minutes = match.group(8, 9, 10)
    if sign:
        if int(off_hours) > 23 or int(off_minutes) > 59:
            raise _Invalid("Invalid timestamp")
        offset = int(off_hours) * 3600 + int(off_minutes) * 60
        seconds += -offset if sign == "+" else offset
    if not _TIMESTAMP_MIN <= seconds <= _TIMESTAMP_MAX:
        raise _Invalid("Invalid timestamp")
    return seconds, int((match.group(7) or "").ljust(9, "0"))


_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_OR_TIME = "Invalid timestamp: expected a date (YYYY-MM-DD) or an RFC 3339 date-time"


def _parse_date_or_timestamp(text: str) -> tuple[int, int]:
    """`accept_date`: a date alone is its first instant in UTC."""
    try:
        return _parse_timestamp(f"{text}T00:00:00Z" if _DATE_RE.fullmatch(text) else text)
    except _Invalid:
        raise _Invalid(_DATE_OR_TIME) from None


def _set_date_or_timestamp(msg: Any, text: str) -> None:
    msg.seconds, msg.nanos = _parse_date_or_timestamp(text)


def _parse_duration(text: str) -> tuple[int, int]:
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        raise _Invalid("Invalid duration")
    negative, whole, fraction = match.groups()
    seconds, nanos = int(whole), int((fraction or "").ljust(9, "0"))
    if seconds > _DURATION_MAX:
        raise _Invalid("Invalid duration")
    return (-seconds, -nanos) if negative else (seconds, nanos)


_MASK_SEGMENT_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_LENIENT_MASK_SEGMENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UPPER_RE = re.compile(r"[A-Z]")


def _camel_to_snake(segment: str) -> str:
    return _UPPER_RE.sub(lambda m: "_" + m.group(0).lower(), segment)


def _parse_field_mask(text: str, lenient: bool) -> list[str]:
    """JSON form is lowerCamelCase; query strings may also use proto names."""
    if not text:
        return []
    pattern = _LENIENT_MASK_SEGMENT_RE if lenient else _MASK_SEGMENT_RE
    paths = []
    for path in text.split(","):
        segments = path.split(".")
        if not all(pattern.fullmatch(s) for s in segments):
            raise _Invalid("Invalid field mask")
        paths.append(".".join(_camel_to_snake(s) for s in segments))
    return paths


# --- the compiled per-field plan ------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Field:
    name: str
    json_name: str
    presence: bool
    oneof: str | None  # set only for real oneofs (two or more members)
    dump: Dump | None  # None: the protobuf value is already its JSON form
    load: Loader
    set_text: TextSetter | None  # None: cannot be set from a query string
    text_refusal: str  # why set_text is None ("message" / "map")
    repeated: bool
    nested: MessageCodec | None  # for singular, non-WKT message fields


# How the output plan writes a field: always; only when set (presence);
# as null when unset (`null_when_unset`); only when non-empty (`omit_empty`).
_ALWAYS, _WHEN_SET, _NULL_WHEN_UNSET, _WHEN_NONEMPTY = 0, 1, 2, 3

_OutPlan = tuple[tuple[str, str, Dump | None, int], ...]


def _message_type(fd: FieldDescriptor) -> Descriptor:
    if fd.message_type is None:
        raise TypeError(f"not a message field: {fd.full_name}")
    return fd.message_type


def _sub_codec(fd: FieldDescriptor) -> MessageCodec:
    return codec_for(message_factory.GetMessageClass(_message_type(fd)))


def _is_map(fd: FieldDescriptor) -> bool:
    return bool(fd.is_repeated and fd.type == _FD.TYPE_MESSAGE and _message_type(fd).GetOptions().map_entry)


def _field_rules(fd: FieldDescriptor) -> Any:
    # The generated stub types the extension as a plain FieldDescriptor.
    options: Any = fd.GetOptions()
    return options.Extensions[annotations_pb2.field]


def _is_required(fd: FieldDescriptor) -> bool:
    options: Any = fd.GetOptions()
    return field_behavior_pb2.REQUIRED in options.Extensions[field_behavior_pb2.field_behavior]


def _int64_as_number(fd: FieldDescriptor) -> bool:
    return bool(_field_rules(fd).int64_as_number)


def _output_mode(fd: FieldDescriptor, presence: bool) -> int:
    rules = _field_rules(fd)
    if rules.null_when_unset:
        if not presence:
            raise TypeError(f"null_when_unset needs a field with presence: {fd.full_name}")
        return _NULL_WHEN_UNSET
    if rules.omit_empty:
        if not fd.is_repeated:
            raise TypeError(f"omit_empty needs a repeated or map field: {fd.full_name}")
        return _WHEN_NONEMPTY
    return _WHEN_SET if presence else _ALWAYS


def _real_oneof(fd: FieldDescriptor) -> str | None:
    oneof = fd.containing_oneof
    # A proto3 `optional` lives in a one-member synthetic oneof: nothing to conflict with.
    if oneof is None or len(oneof.fields) < 2:
        return None
    return str(oneof.name)


class _Scalar(NamedTuple):
    """How one scalar (or enum) type converts in each direction."""

    dump: Dump | None
    conv: Conv  # JSON value -> protobuf value
    text: Callable[[str], Any]  # query / path string -> protobuf value
    clear_on_null: bool


def _scalar(fd: FieldDescriptor) -> _Scalar:
    kind = fd.type
    if kind in _INT_RANGES:
        conv = _int_conv(_INT_RANGES[kind])
        dump: Dump | None = str if kind in _INT64_TYPES and not _int64_as_number(fd) else None
        return _Scalar(dump, conv, conv, True)
    if kind in (_FD.TYPE_DOUBLE, _FD.TYPE_FLOAT):
        single = kind == _FD.TYPE_FLOAT
        conv = _float_conv(single)
        return _Scalar(_dump_float if single else _dump_double, conv, conv, True)
    if kind == _FD.TYPE_BOOL:
        return _Scalar(None, _bool_conv, _bool_text, True)
    if kind == _FD.TYPE_STRING:
        return _Scalar(None, _string_conv, _check_string, True)
    if kind == _FD.TYPE_BYTES:
        return _Scalar(_dump_bytes, _bytes_conv, _decode_base64, True)
    if kind == _FD.TYPE_ENUM and fd.enum_type is not None:
        info = _EnumInfo.of(fd.enum_type)
        return _Scalar(info.dump(), info.conv(), info.from_text, not info.is_null_value)
    raise TypeError(f"not a scalar field: {fd.full_name}")


def _map_key(fd: FieldDescriptor) -> tuple[Dump | None, Callable[[str], Any]]:
    """Map keys are JSON object keys (strings) in both directions."""
    kind = fd.type
    if kind == _FD.TYPE_STRING:
        return None, _check_string
    if kind == _FD.TYPE_BOOL:

        def bool_key(text: str) -> bool:
            if text in ("true", "false"):
                return text == "true"
            raise _Invalid(f'Invalid map key "{text}"')

        return _dump_bool_key, bool_key
    low, high = _INT_RANGES[kind]

    def int_key(text: str) -> int:
        if not _INT_RE.fullmatch(text) or not low <= int(text) <= high:
            raise _Invalid(f'Invalid map key "{text}"')
        return int(text)

    return str, int_key


# --- field loaders (JSON -> message), built once per field ------------------------------


def _scalar_loader(name: str, conv: Conv, clear_on_null: bool) -> Loader:
    def load(msg: Message, value: Any, path: Path, issues: Issues) -> None:
        if value is None and clear_on_null:
            msg.ClearField(name)
            return
        try:
            setattr(msg, name, conv(value))
        except _Invalid as exc:
            issues.append(FieldIssue(path, exc.message))

    return load


def _convert_items(value: Any, conv: Conv, into: Any, path: Path, issues: Issues) -> bool:
    """Appends each element of the JSON array `value`, converted, to `into`;
    False (with the issue) when `value` is no array."""
    if type(value) is not list:
        issues.append(FieldIssue(path, _NOT_ARRAY))
        return False
    for index, item in enumerate(value):
        try:
            into.append(conv(item))
        except _Invalid as exc:
            issues.append(FieldIssue((*path, index), exc.message))
    return True


def _repeated_scalar_loader(name: str, conv: Conv) -> Loader:
    def load(msg: Message, value: Any, path: Path, issues: Issues) -> None:
        items: list[Any] = []
        if value is None or _convert_items(value, conv, items, path, issues):
            msg.ClearField(name)  # JSON replaces a repeated field, it does not append
            getattr(msg, name).extend(items)

    return load


def _message_loader(name: str, codec: MessageCodec) -> Loader:
    clear_on_null = codec.full_name != "google.protobuf.Value"  # there null is a value

    def load(msg: Message, value: Any, path: Path, issues: Issues) -> None:
        if value is None and clear_on_null:
            msg.ClearField(name)
            return
        sub = getattr(msg, name)
        sub.SetInParent()  # `{}` still sets the field
        codec._merge(sub, value, path, issues)

    return load


def _repeated_message_loader(name: str, codec: MessageCodec) -> Loader:
    def load(msg: Message, value: Any, path: Path, issues: Issues) -> None:
        msg.ClearField(name)
        if value is None:
            return
        if type(value) is not list:
            issues.append(FieldIssue(path, _NOT_ARRAY))
            return
        container = getattr(msg, name)
        for index, item in enumerate(value):
            codec._merge(container.add(), item, (*path, index), issues)

    return load


def _map_loader(
    name: str,
    key_text: Callable[[str], Any],
    value_load: Callable[[Any, Any, Any, Path, Issues], None],
) -> Loader:
    def load(msg: Message, value: Any, path: Path, issues: Issues) -> None:
        msg.ClearField(name)
        if value is None:
            return
        if type(value) is not dict:
            issues.append(FieldIssue(path, _NOT_OBJECT))
            return
        container = getattr(msg, name)
        for raw_key, item in value.items():
            try:
                key = key_text(raw_key)
            except _Invalid as exc:
                issues.append(FieldIssue((*path, raw_key), exc.message))
                continue
            value_load(container, key, item, (*path, raw_key), issues)

    return load


def _map_scalar_value(conv: Conv) -> Callable[[Any, Any, Any, Path, Issues], None]:
    def put(container: Any, key: Any, item: Any, path: Path, issues: Issues) -> None:
        try:
            container[key] = conv(item)
        except _Invalid as exc:
            issues.append(FieldIssue(path, exc.message))

    return put


def _map_message_value(codec: MessageCodec) -> Callable[[Any, Any, Any, Path, Issues], None]:
    def put(container: Any, key: Any, item: Any, path: Path, issues: Issues) -> None:
        codec._merge(container[key], item, path, issues)

    return put


# --- text setters (query / path string -> field) ------------------------------------------


def _scalar_text_setter(name: str, text: Callable[[str], Any], repeated: bool) -> TextSetter:
    if repeated:
        return lambda msg, value: getattr(msg, name).append(text(value))
    return lambda msg, value: setattr(msg, name, text(value))


def _message_text_setter(name: str, codec: MessageCodec, repeated: bool) -> TextSetter:
    from_text = codec._from_text
    assert from_text is not None

    def set_one(msg: Message, value: str) -> None:
        parsed = from_text(value)  # parse first: a bad value must not leave an element behind
        target = getattr(msg, name).add() if repeated else getattr(msg, name)
        target.SetInParent()
        target.CopyFrom(parsed)

    return set_one


# --- the codec ------------------------------------------------------------------------------


class MessageCodec:
    """Converts one message class to and from its proto3 JSON form.

    The plan is compiled on first use, so codecs for recursive types can refer
    to each other before either is compiled.
    """

    def __init__(self, message_class: type[Message]) -> None:
        self.message_class = message_class
        # The stubs say "upb or pure-Python descriptor"; both have the same API.
        self.descriptor = cast(Descriptor, message_class.DESCRIPTOR)
        self.full_name: str = self.descriptor.full_name
        self._out_plan: _OutPlan | None = None
        self._fields: dict[str, _Field] = {}  # by proto name and by JSON name
        self._required: tuple[_Field, ...] = ()
        self._dump: Dump = self._dump_message
        self._merge: Loader = self._merge_message
        self._from_text: Callable[[str], Message] | None = None
        self.is_wkt = self.full_name in _WKTS
        _install_wkt(self)

    # -- public API --

    def to_dict(self, msg: Message) -> dict[str, Any]:
        """JSON object of `msg` (for a WKT with a non-object form, that value)."""
        result: dict[str, Any] = self._dump(msg)
        return result

    def to_value(self, msg: Message) -> Any:
        """JSON form of `msg`, whatever its JSON type."""
        return self._dump(msg)

    def to_json(self, msg: Message) -> bytes:
        return orjson.dumps(self._dump(msg))

    def from_dict(self, data: Any) -> Message:
        msg = self.message_class()
        self.merge_dict(msg, data)
        return msg

    def merge_dict(
        self, msg: Message, data: Any, *, ignore_unknown: bool = False, from_path: frozenset[str] = frozenset()
    ) -> None:
        """Merge parsed JSON into `msg`; repeated and map fields are replaced.

        `ignore_unknown`: keys the message does not have are dropped, not errors.
        `from_path`: names of top-level fields the URL path binds (`body: "*"`), which
        count as present for REQUIRED.
        """
        msg.SetInParent()  # `{}` for a sub-message (a `body: "sub"` field) still sets it
        issues = Issues(ignore_unknown, from_path)
        self._merge(msg, data, (), issues)
        if issues:
            raise JsonMappingError(issues)

    def from_json(self, raw: bytes) -> Message:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise JsonMappingError([FieldIssue((), f"Malformed JSON: {exc}")]) from None
        return self.from_dict(data)

    def merge_field_from_json_value(
        self, msg: Message, field_name: str, data: Any, *, ignore_unknown: bool = False
    ) -> None:
        """Set one field (google.api.http `body: "field"`) from its JSON value.

        Issue paths are relative to that value, as the client wrote the body.
        """
        field = self._field(field_name)
        issues = Issues(ignore_unknown)
        field.load(msg, data, (), issues)
        if issues:
            raise JsonMappingError(issues)

    def field_value_to_dict(self, msg: Message, field_name: str) -> Any:
        """JSON form of one field (google.api.http `response_body`), set or not."""
        field = self._field(field_name)
        value = getattr(msg, field.name)
        return value if field.dump is None else field.dump(value)

    def bind_query(
        self,
        msg: Message,
        params: list[tuple[str, str]],
        exclude: frozenset[str] = frozenset(),
        *,
        ignore_unknown: bool = False,
    ) -> None:
        """Bind `?a.b=1&tags=x&tags=y` style parameters (see module docstring)."""
        binder = _TextBinder(self, msg, "a query parameter", exclude, ignore_unknown)
        for key, value in params:
            binder.bind(key, value, allow_repeated=True)
        if binder.issues:
            raise JsonMappingError(binder.issues)

    def bind_path_variable(self, msg: Message, field_path: str, value: str) -> None:
        """Set a (dotted) singular field from a percent-decoded path segment."""
        binder = _TextBinder(self, msg, "a path variable", frozenset())
        binder.bind(field_path, value, allow_repeated=False)
        if binder.issues:
            raise JsonMappingError(binder.issues)

    # -- compiled plan --

    def _ensure(self) -> _OutPlan:
        plan = self._out_plan
        if plan is None:
            plan = self._compile()
        return plan

    def _field(self, name: str) -> _Field:
        self._ensure()
        field = self._fields.get(name)
        if field is None:
            raise KeyError(f"{self.full_name} has no field {name!r}")
        return field

    def _lookup(self, name: str) -> _Field | None:
        self._ensure()
        return self._fields.get(name)

    def _compile(self) -> _OutPlan:
        fields: dict[str, _Field] = {}
        plan = []
        for fd in self.descriptor.fields:
            field = _compile_field(fd)
            fields[field.name] = field
            fields[field.json_name] = field
            key = _field_rules(fd).json_key or field.json_name
            shared = fields.get(key)
            fields[key] = field if shared is None or shared is field else _either(shared, field)
            plan.append((field.name, key, field.dump, _output_mode(fd, field.presence)))
        self._fields = fields
        self._required = tuple(fields[fd.name] for fd in self.descriptor.fields if _is_required(fd))
        self._out_plan = out = tuple(plan)  # published last: other threads may race here
        return out

    def _dump_message(self, msg: Message) -> dict[str, Any]:
        plan = self._out_plan
        if plan is None:
            plan = self._ensure()
        has = msg.HasField
        out: dict[str, Any] = {}
        for name, key, dump, mode in plan:
            if mode:
                if mode == _WHEN_NONEMPTY:
                    if not getattr(msg, name):
                        continue
                elif not has(name):
                    if mode == _NULL_WHEN_UNSET:
                        out[key] = None
                    continue
            if dump is None:
                out[key] = getattr(msg, name)
            else:
                out[key] = dump(getattr(msg, name))
        return out

    def _merge_message(self, msg: Message, data: Any, path: Path, issues: Issues) -> None:
        if type(data) is not dict:
            issues.append(FieldIssue(path, _NOT_OBJECT))
            return
        if len(path) >= MAX_DEPTH:
            issues.append(FieldIssue(path, _TOO_DEEP))
            return
        if self._out_plan is None:
            self._ensure()
        fields = self._fields
        taken: dict[str, str] = {}  # field name / "\0oneof" -> the key that set it
        for key, value in data.items():
            field = fields.get(key)
            if field is None:
                if not issues.ignore_unknown:
                    issues.append(UnknownKey((*path, key), f'Unrecognized key "{key}"'))
                continue
            if not _claim(taken, field, key, value, path, issues):
                continue
            field.load(msg, value, (*path, key), issues)
        for field in self._required:
            key = taken.get(field.name)
            if key is None or data[key] is None:
                if not path and field.name in issues.from_path:
                    continue
                issues.append(FieldIssue((*path, key or field.json_name), "Required"))


def _either(first: _Field, second: _Field) -> _Field:
    """Two fields under one JSON key (`json_key`): a value goes to the first
    that accepts its JSON type, else the second reports the problem."""

    def load(msg: Message, value: Any, path: Path, issues: Issues) -> None:
        refused = Issues()  # strict: a value with keys the first lacks goes to the second
        refused.free_form_left = issues.free_form_left  # one budget for the whole request
        first.load(msg, value, path, refused)
        if refused:
            msg.ClearField(first.name)
            second.load(msg, value, path, issues)
        else:
            issues.free_form_left = refused.free_form_left

    return replace(first, load=load, set_text=None, text_refusal="message", nested=None)


def _claim(taken: dict[str, str], field: _Field, key: str, value: Any, path: Path, issues: Issues) -> bool:
    """Reject a field given twice (JSON and proto name) or a second oneof member."""
    previous = taken.get(field.name)
    if previous is not None:
        issues.append(FieldIssue((*path, key), f'Duplicate key "{key}" (also given as "{previous}")'))
        return False
    taken[field.name] = key
    if field.oneof is not None and value is not None:
        slot = "\0" + field.oneof
        other = taken.get(slot)
        if other is not None:
            issues.append(FieldIssue((*path, key), f'Key "{key}" conflicts with "{other}" (oneof "{field.oneof}")'))
            return False
        taken[slot] = key
    return True


def _field(
    fd: FieldDescriptor,
    *,
    presence: bool,
    dump: Dump | None,
    load: Loader,
    set_text: TextSetter | None,
    text_refusal: str = "",
    nested: MessageCodec | None = None,
) -> _Field:
    return _Field(
        name=fd.name,
        json_name=fd.json_name,
        presence=presence,
        oneof=_real_oneof(fd),
        dump=dump,
        load=load,
        set_text=set_text,
        text_refusal=text_refusal,
        repeated=bool(fd.is_repeated),
        nested=nested,
    )


def _dump_numbers(values: Any) -> list[Any]:
    """Doubles: one C-level copy; per-number work only when the
    sum is not finite (a NaN or an infinity, or finite values overflowing)."""
    copied = list(values)
    if math.isfinite(sum(copied)):
        return copied
    return [_dump_double(v) for v in copied]


def _unpack_doubles(packed: bytes) -> list[Any]:
    values = array.array("d")
    values.frombytes(packed)
    if sys.byteorder != "little":
        values.byteswap()
    return _dump_numbers(values)  # one copy, to a list of floats


def _packed_doubles_loader(name: str) -> Loader:
    conv = _float_conv(False)

    def load(msg: Message, value: Any, path: Path, issues: Issues) -> None:
        if value is None:
            msg.ClearField(name)
            return
        values = array.array("d")
        if not _convert_items(value, conv, values, path, issues):
            return
        if sys.byteorder != "little":
            values.byteswap()
        setattr(msg, name, values.tobytes())

    return load


def _compile_field(fd: FieldDescriptor) -> _Field:
    if _is_map(fd):
        return _compile_map(fd)
    if fd.type in (_FD.TYPE_MESSAGE, _FD.TYPE_GROUP):
        return _compile_message_field(fd)
    if _field_rules(fd).bytes_as_doubles:
        if fd.type != _FD.TYPE_BYTES or fd.is_repeated:
            raise TypeError(f"bytes_as_doubles needs a singular bytes field: {fd.full_name}")
        return _field(
            fd,
            presence=bool(fd.has_presence),
            dump=_unpack_doubles,
            load=_packed_doubles_loader(fd.name),
            set_text=None,
            text_refusal="message",
        )
    name, scalar = fd.name, _scalar(fd)
    if fd.is_repeated:
        item_dump = scalar.dump
        dump: Dump | None
        if fd.type == _FD.TYPE_DOUBLE:
            dump = _dump_numbers
        else:
            dump = list if item_dump is None else (lambda v: list(map(item_dump, v)))
        return _field(
            fd,
            presence=False,
            dump=dump,
            load=_repeated_scalar_loader(name, scalar.conv),
            set_text=_scalar_text_setter(name, scalar.text, True),
        )
    return _field(
        fd,
        presence=bool(fd.has_presence),
        dump=scalar.dump,
        load=_scalar_loader(name, scalar.conv, scalar.clear_on_null),
        set_text=_scalar_text_setter(name, scalar.text, False),
    )


def _compile_message_field(fd: FieldDescriptor) -> _Field:
    name, codec = fd.name, _sub_codec(fd)
    if _field_rules(fd).accept_date:
        if codec.full_name != "google.protobuf.Timestamp":
            raise TypeError(f"accept_date needs a google.protobuf.Timestamp field: {fd.full_name}")
        codec = _date_or_timestamp_codec()
    sub_dump = codec._dump
    text_ok = codec._from_text is not None
    if fd.is_repeated:
        return _field(
            fd,
            presence=False,
            dump=lambda v: [sub_dump(m) for m in v],
            load=_repeated_message_loader(name, codec),
            set_text=_message_text_setter(name, codec, True) if text_ok else None,
            text_refusal="message",
        )
    plain = not text_ok and not codec.is_wkt  # only these have sub-keys in a query
    return _field(
        fd,
        presence=True,
        dump=sub_dump,
        load=_message_loader(name, codec),
        set_text=_message_text_setter(name, codec, False) if text_ok else None,
        text_refusal="message",
        nested=codec if plain else None,
    )


def _compile_map(fd: FieldDescriptor) -> _Field:
    entry = _message_type(fd)
    key_fd, value_fd = entry.fields_by_name["key"], entry.fields_by_name["value"]
    key_dump, key_text = _map_key(key_fd)
    value_dump: Dump | None
    if value_fd.type == _FD.TYPE_MESSAGE:
        codec = _sub_codec(value_fd)
        value_dump, put = codec._dump, _map_message_value(codec)
    else:
        scalar = _scalar(value_fd)
        value_dump, put = scalar.dump, _map_scalar_value(scalar.conv)
    return _field(
        fd,
        presence=False,
        dump=_map_dump(key_dump, value_dump),
        load=_map_loader(fd.name, key_text, put),
        set_text=None,
        text_refusal="map",
    )


def _map_dump(key_dump: Dump | None, value_dump: Dump | None) -> Dump:
    if key_dump is None and value_dump is None:
        return dict
    kd: Dump = key_dump or _identity
    vd: Dump = value_dump or _identity
    return lambda m: {kd(k): vd(v) for k, v in m.items()}


def _identity(value: Any) -> Any:
    return value


# --- query parameters and path variables ------------------------------------------------------


class _TextBinder:
    """Binds `dotted.key=value` strings onto a message, collecting issues."""

    def __init__(
        self, codec: MessageCodec, msg: Message, source: str, exclude: frozenset[str], ignore_unknown: bool = False
    ) -> None:
        self.codec = codec
        self.msg = msg
        self.source = source
        self.exclude = exclude
        self.issues = Issues(ignore_unknown)
        self.seen: set[tuple[str, ...]] = set()
        # (path of the message, oneof name) -> (member field, the key that chose it)
        self.oneofs: dict[tuple[tuple[str, ...], str], tuple[str, str]] = {}

    def fail(self, key: str, message: str) -> None:
        self.issues.append(FieldIssue(tuple(key.split(".")), message))

    def unknown(self, key: str) -> None:
        if not self.issues.ignore_unknown:
            self.issues.append(UnknownKey(tuple(key.split(".")), f'Unrecognized key "{key}"'))

    def bind(self, key: str, value: str, allow_repeated: bool) -> None:
        resolved = self._resolve(key)
        if resolved is None:
            return
        target, field, proto_path = resolved
        if field.set_text is None:
            self.fail(key, f'Field "{key}" is a {field.text_refusal} and cannot be set from {self.source}')
            return
        if field.repeated and not allow_repeated:
            self.fail(key, f'Field "{key}" is repeated and cannot be set from {self.source}')
            return
        if not field.repeated and not self._first_time(key, field, proto_path):
            return
        try:
            field.set_text(target, value)
        except _Invalid as exc:
            self.fail(key, exc.message)

    def _resolve(self, key: str) -> tuple[Message, _Field, tuple[str, ...]] | None:
        """Walk the dotted key down singular message fields to the leaf field."""
        codec, target = self.codec, self.msg
        segments = key.split(".")
        proto_path: tuple[str, ...] = ()
        for index, segment in enumerate(segments):
            field = codec._lookup(segment)
            if field is None:
                self.unknown(key)
                return None
            proto_path = (*proto_path, field.name)
            if ".".join(proto_path) in self.exclude or (index == 0 and segment in self.exclude):
                self.fail(key, f'Field "{key}" is bound from the path/body')
                return None
            if index == len(segments) - 1:
                return target, field, proto_path
            if field.nested is None:  # scalars, repeated, maps and WKTs have no sub-keys
                self.unknown(key)
                return None
            if not self._claim_oneof(key, field, proto_path):
                return None
            codec, target = field.nested, getattr(target, field.name)
        raise AssertionError("unreachable")  # split() yields at least one segment

    def _first_time(self, key: str, field: _Field, proto_path: tuple[str, ...]) -> bool:
        if proto_path in self.seen:
            self.fail(key, f'Field "{key}" must not be repeated')
            return False
        self.seen.add(proto_path)
        return self._claim_oneof(key, field, proto_path)

    def _claim_oneof(self, key: str, field: _Field, proto_path: tuple[str, ...]) -> bool:
        """A second member of a oneof (directly or via `member.sub`) is an error."""
        if field.oneof is None:
            return True
        member, other = self.oneofs.setdefault((proto_path[:-1], field.oneof), (field.name, key))
        if member != field.name:
            self.fail(key, f'Field "{key}" conflicts with "{other}" (oneof "{field.oneof}")')
            return False
        return True


# --- well-known types ---------------------------------------------------------------------------

_WRAPPERS = frozenset(
    "google.protobuf." + n
    for n in (
        "DoubleValue",
        "FloatValue",
        "Int64Value",
        "UInt64Value",
        "Int32Value",
        "UInt32Value",
        "BoolValue",
        "StringValue",
        "BytesValue",
    )
)
_WKTS = _WRAPPERS | {
    "google.protobuf." + n for n in ("Timestamp", "Duration", "FieldMask", "Struct", "Value", "ListValue", "Any")
}


def _install_wkt(codec: MessageCodec) -> None:
    """Replace the generic object mapping for types with a special JSON form."""
    name = codec.full_name
    if name in _WRAPPERS:
        _install_wrapper(codec)
    elif name == "google.protobuf.Timestamp":
        _install_string_wkt(codec, _set_timestamp, lenient_text=None)
    elif name == "google.protobuf.Duration":
        _install_string_wkt(codec, _set_duration, lenient_text=None)
    elif name == "google.protobuf.FieldMask":
        _install_string_wkt(codec, _set_field_mask, lenient_text=_set_field_mask_lenient)
    elif name == "google.protobuf.Struct":
        codec._dump, codec._merge = _dump_struct, _merge_struct
    elif name == "google.protobuf.Value":
        codec._dump, codec._merge = _dump_value, _merge_value
    elif name == "google.protobuf.ListValue":
        codec._dump, codec._merge = _dump_list_value, _merge_list_value
    elif name == "google.protobuf.Any":
        codec._dump, codec._merge = _dump_any, _merge_any


def _install_string_wkt(
    codec: MessageCodec,
    setter: Callable[[Message, str], None],
    lenient_text: Callable[[Message, str], None] | None,
) -> None:
    cls, what = codec.message_class, codec.descriptor.name

    def merge(msg: Message, data: Any, path: Path, issues: Issues) -> None:
        if type(data) is not str:
            issues.append(FieldIssue(path, f"Expected {what.lower()} string, received {_received(data)}"))
            return
        try:
            setter(msg, data)
        except _Invalid as exc:
            issues.append(FieldIssue(path, exc.message))

    def from_text(text: str) -> Message:
        msg = cls()
        (lenient_text or setter)(msg, text)
        return msg

    # ToJsonString is what json_format itself calls, so the digits match exactly.
    codec._dump = lambda msg: msg.ToJsonString()
    codec._merge = merge
    codec._from_text = from_text


@functools.cache
def _date_or_timestamp_codec() -> MessageCodec:
    """The Timestamp codec with `accept_date` input, shared by such fields."""
    codec = MessageCodec(timestamp_pb2.Timestamp)
    _install_string_wkt(codec, _set_date_or_timestamp, lenient_text=None)
    return codec


def _set_timestamp(msg: Any, text: str) -> None:
    msg.seconds, msg.nanos = _parse_timestamp(text)


def _set_duration(msg: Any, text: str) -> None:
    msg.seconds, msg.nanos = _parse_duration(text)


def _set_field_mask(msg: Any, text: str) -> None:
    msg.paths[:] = _parse_field_mask(text, lenient=False)


def _set_field_mask_lenient(msg: Any, text: str) -> None:
    msg.paths[:] = _parse_field_mask(text, lenient=True)


def _install_wrapper(codec: MessageCodec) -> None:
    cls = codec.message_class
    scalar = _scalar(codec.descriptor.fields_by_name["value"])
    conv, text, dump = scalar.conv, scalar.text, scalar.dump

    def merge(msg: Any, data: Any, path: Path, issues: Issues) -> None:
        try:
            msg.value = conv(data)
        except _Invalid as exc:
            issues.append(FieldIssue(path, exc.message))

    def from_text(value: str) -> Message:
        return cls(value=text(value))

    codec._dump = (lambda m: m.value) if dump is None else (lambda m: dump(m.value))
    codec._merge = merge
    codec._from_text = from_text


def _dump_value(msg: Any) -> Any:
    kind = msg.WhichOneof("kind")
    if kind == "string_value":
        return msg.string_value
    if kind == "number_value":
        number = msg.number_value
        if not math.isfinite(number):  # would read back as a string_value
            raise ValueError(f"cannot write {number} as google.protobuf.Value")
        # Value keeps every number as a double; write whole ones as integers
        # (as protojson in Go does), so `{"n": 1}` reads back as sent. -0.0
        # stays a float: as an int it would lose its sign.
        negative_zero = number == 0 and math.copysign(1.0, number) < 0
        if number.is_integer() and abs(number) < 2**53 and not negative_zero:
            return int(number)
        return number
    if kind == "bool_value":
        return msg.bool_value
    if kind == "struct_value":
        return _dump_struct(msg.struct_value)
    if kind == "list_value":
        return _dump_list_value(msg.list_value)
    return None  # null_value, or unset (json_format writes null too)


def _dump_struct(msg: Any) -> dict[str, Any]:
    return {key: _dump_value(value) for key, value in msg.fields.items()}


def _dump_list_value(msg: Any) -> list[Any]:
    return [_dump_value(value) for value in msg.values]


def _refuse_container(size: int, path: Path, issues: Issues) -> bool:
    """Whether a free-form object or array of `size` items at `path` is over a limit (then noted)."""
    if len(path) >= MAX_DEPTH:
        issues.append(FieldIssue(path, _TOO_DEEP))
        return True
    if size > issues.free_form_left:  # each item is a value: refused before any is built
        _over_budget(path, issues)
        return True
    return False


def _over_budget(path: Path, issues: Issues) -> None:
    if issues.free_form_left >= 0:  # said once per request
        issues.append(FieldIssue(path, _TOO_MANY_VALUES))
    issues.free_form_left = -1


def _merge_value(msg: Any, data: Any, path: Path, issues: Issues) -> None:
    if issues.free_form_left <= 0:
        _over_budget(path, issues)
        return
    issues.free_form_left -= 1
    kind = type(data)
    if data is None:
        msg.null_value = 0
    elif kind is bool:
        msg.bool_value = data
    elif kind is str:
        try:
            msg.string_value = _check_string(data)
        except _Invalid as exc:
            issues.append(FieldIssue(path, exc.message))
    elif kind is int or kind is float:
        try:
            msg.number_value = float(data)
        except OverflowError:
            issues.append(FieldIssue(path, "Number is out of range"))
    elif kind is dict:
        msg.struct_value.SetInParent()
        _merge_struct(msg.struct_value, data, path, issues)
    elif kind is list:
        msg.list_value.SetInParent()
        _merge_list_value(msg.list_value, data, path, issues)
    else:
        issues.append(FieldIssue(path, f"Expected a JSON value, received {_received(data)}"))


def _merge_struct(msg: Any, data: Any, path: Path, issues: Issues) -> None:
    if type(data) is not dict:
        issues.append(FieldIssue(path, _NOT_OBJECT))
        return
    if _refuse_container(len(data), path, issues):
        return
    msg.Clear()
    fields = msg.fields
    for key, value in data.items():
        _merge_value(fields[key], value, (*path, key), issues)


def _merge_list_value(msg: Any, data: Any, path: Path, issues: Issues) -> None:
    if type(data) is not list:
        issues.append(FieldIssue(path, _NOT_ARRAY))
        return
    if _refuse_container(len(data), path, issues):
        return
    msg.Clear()
    values = msg.values
    for index, item in enumerate(data):
        _merge_value(values.add(), item, (*path, index), issues)


def _dump_any(msg: Message) -> Any:
    # Rare on the hot path: json_format resolves the packed type for us (so the
    # packed message's int64_as_number options are not applied).
    return json_format.MessageToDict(msg, always_print_fields_with_no_presence=True)


def _merge_any(msg: Message, data: Any, path: Path, issues: Issues) -> None:
    if type(data) is not dict:
        issues.append(FieldIssue(path, _NOT_OBJECT))
        return
    if _nests_deeper(data, MAX_DEPTH - len(path)):
        issues.append(FieldIssue(path, _TOO_DEEP))
        return
    try:
        json_format.ParseDict(data, msg)
    except (json_format.ParseError, TypeError, ValueError, KeyError) as exc:
        issues.append(FieldIssue(path, f"Invalid Any: {exc}"))


def _nests_deeper(data: Any, levels: int) -> bool:
    """Whether `data` has containers more than `levels` deep (json_format walks an Any recursively)."""
    stack = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if type(item) is dict else item if type(item) is list else None
        if children is not None:
            if depth >= levels:
                return True
            stack.extend((child, depth + 1) for child in children)
    return False


# --- the cache -----------------------------------------------------------------------------

_CODECS: dict[type[Message], MessageCodec] = {}
_CODECS_LOCK = threading.Lock()


def codec_for(message_class: type[Message]) -> MessageCodec:
    """The shared codec of a message class (created once, compiled on first use)."""
    codec = _CODECS.get(message_class)
    if codec is None:
        with _CODECS_LOCK:
            codec = _CODECS.get(message_class)
            if codec is None:
                codec = _CODECS[message_class] = MessageCodec(message_class)
    return codec
