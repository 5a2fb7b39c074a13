"""Xero's `where` query parameter: a small expression language over reference-data records."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>==|!=|<=|>=|&&|\|\||[<>()!.,])'
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_]\w*))"
)
_COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_METHODS = {"contains": str.__contains__, "startswith": str.startswith, "endswith": str.endswith}
_CONSTANTS = {"true": True, "false": False, "null": None}


class WhereError(ValueError):
    """The expression does not parse or names a field the type lacks."""


class Guid(str):
    """A GUID("...") literal, compared case-insensitively."""


def _tokens(text: str) -> list[tuple[str, str]]:
    found, pos, text = [], 0, text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise WhereError(f"Syntax error at position {pos}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        pos = match.end()
    return found


class _Parser:
    """Recursive descent over the token list, building a predicate."""

    def __init__(self, text: str, fields: dict[str, str], type_name: str) -> None:
        self.tokens, self.pos = _tokens(text), 0
        self.fields, self.type_name = fields, type_name

    def peek(self) -> str:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens) or (expected and self.peek().upper() != expected.upper()):
            raise WhereError(f"'{expected or 'expression'}' expected at token {self.pos}")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def parse(self) -> Predicate:
        predicate = self.expr()
        if self.pos != len(self.tokens):
            raise WhereError(f"')' or operator expected at token {self.pos}")
        return predicate

    def expr(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek().upper() in ("OR", "||"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else lambda r: any(p(r) for p in parts)

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self.peek().upper() in ("AND", "&&"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else lambda r: all(p(r) for p in parts)

    def unary(self) -> Predicate:
        if self.peek().upper() in ("NOT", "!"):
            self.take()
            inner = self.unary()
            return lambda r: not inner(r)
        if self.peek() == "(":
            self.take("(")
            inner = self.expr()
            self.take(")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        getter, method = self.path()
        if method is not None:
            return method
        if self.peek() not in _COMPARE:
            return lambda r: getter(r) is True
        compare, value = _COMPARE[self.take()[1]], self.literal()
        return lambda r: _safe(compare, getter(r), value)

    def path(self) -> tuple[Callable[[dict[str, Any]], Any], Predicate | None]:
        kind, name = self.take()
        if kind != "word" or name.lower() not in self.fields:
            raise WhereError(f"No property or field '{name}' exists in type '{self.type_name}'")
        keys = [self.fields[name.lower()]]
        while self.peek() == ".":
            self.take(".")
            _, word = self.take()
            if self.peek() == "(":
                return _lookup(keys), self.call(_lookup(keys), word)
            keys.append(word)
        return _lookup(keys), None

    def call(self, getter: Callable[[dict[str, Any]], Any], name: str) -> Predicate:
        method = _METHODS.get(name.lower())
        if method is None:
            raise WhereError(f"No applicable method '{name}' exists")
        self.take("(")
        argument = self.literal()
        self.take(")")
        return lambda r: isinstance(getter(r), str) and method(getter(r), str(argument))

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "num":
            return float(text)
        if kind == "word" and text.lower() in _CONSTANTS:
            return _CONSTANTS[text.lower()]
        if kind == "word" and text.upper() == "GUID":
            self.take("(")
            value = Guid(self.literal())
            self.take(")")
            return value
        raise WhereError(f"Expression expected at token {self.pos - 1}")


def _lookup(keys: list[str]) -> Callable[[dict[str, Any]], Any]:
    def get(record: dict[str, Any]) -> Any:
        value: Any = record
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return get


def _safe(compare: Callable[[Any, Any], bool], left: Any, right: Any) -> bool:
    if isinstance(right, Guid) and isinstance(left, str):
        left, right = left.lower(), right.lower()
    if isinstance(left, bool) != isinstance(right, bool) and None not in (left, right):
        return compare is operator.ne
    try:
        return bool(compare(left, right))
    except TypeError:
        return compare is operator.ne


def compile_where(text: str, fields: tuple[str, ...], type_name: str) -> Predicate:
    """Parse a where expression over records of type_name having these fields."""
    return _Parser(text, {f.lower(): f for f in fields}, type_name).parse()
