"""STIX 2.1 patterns to the property values they name (for the indicator readers).

Only equality comparisons name values to hunt; the rest of the grammar is parsed so that a
valid pattern is never rejected for its shape (see :class:`_PatternParser`).
"""

from __future__ import annotations

import re


class PatternError(ValueError):
    """A STIX pattern this reader cannot parse."""


_PATTERN_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>[tbh]?'(?:[^'\\]|\\.)*')
    | (?P<path>[a-z0-9][a-z0-9-]*:(?:[A-Za-z0-9_-]+|'(?:[^'\\]|\\.)*'|\[(?:\*|\d+)\]|\.)+)
    | (?P<punct>[\[\]\(\),]|!=|<=|>=|=|<|>)
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<word>[A-Za-z]+)
    )""",
    re.X,
)
_MAX_CONJUNCTIONS = 4096
Conjunction = dict[str, str]


def _tokenize(pattern: str) -> list[tuple[str, str]]:
    tokens, pos, text = [], 0, pattern.strip()
    while pos < len(text):
        m = _PATTERN_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise PatternError(f"unexpected character at {pos}: {text[pos : pos + 12]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        tokens.append((kind, value.upper() if kind == "word" else value))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def _unquote(literal: str) -> str:
    """The value of a STIX string literal: quotes removed, \\' and \\\\ unescaped."""
    body = literal[literal.index("'") + 1 : -1]
    return re.sub(r"\\(.)", r"\1", body)


class _PatternParser:
    """Recursive descent over the STIX patterning grammar, to disjunctive normal form.

    Each returned conjunction maps ``type:property`` to the value it must equal; comparisons
    other than ``=`` and ``IN`` (LIKE, MATCHES, <, NOT ...) cannot name one value and are left
    out of their conjunction. Observation operators and qualifiers (FOLLOWEDBY, WITHIN,
    REPEATS, START/STOP) only relate observations in time: every observation's objects count.
    """

    def __init__(self, pattern: str) -> None:
        self.tokens = _tokenize(pattern)
        self.i = 0

    def peek(self) -> str:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise PatternError(f"pattern ends early (expected {expected or 'more'})")
        tok = self.tokens[self.i]
        if expected is not None and tok[1] != expected:
            raise PatternError(f"expected {expected!r}, found {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self) -> list[Conjunction]:
        out = self.observations()
        if self.i != len(self.tokens):
            raise PatternError(f"unexpected {self.peek()!r} after the pattern")
        return out

    def observations(self) -> list[Conjunction]:
        out = self.observation()
        while self.peek() in ("AND", "OR", "FOLLOWEDBY"):
            self.take()
            out += self.observation()
        return out

    def observation(self) -> list[Conjunction]:
        if self.peek() == "(":
            self.take("(")
            out = self.observations()
            self.take(")")
        else:
            self.take("[")
            out = self.comparison_or()
            self.take("]")
        self.qualifiers()
        return out

    def qualifiers(self) -> None:
        while self.peek() in ("WITHIN", "REPEATS", "START"):
            word = self.take()[1]
            if word == "START":
                self.take()
                self.take("STOP")
                self.take()
            else:
                self.take()
                self.take()  # SECONDS / TIMES

    def comparison_or(self) -> list[Conjunction]:
        out = self.comparison_and()
        while self.peek() == "OR":
            self.take()
            out = out + self.comparison_and()
        return out

    def comparison_and(self) -> list[Conjunction]:
        out = self.comparison_term()
        while self.peek() == "AND":
            self.take()
            right = self.comparison_term()
            out = [{**a, **b} for a in out for b in right]
            if len(out) > _MAX_CONJUNCTIONS:
                raise PatternError("pattern expands to too many alternatives")
        return out

    def comparison_term(self) -> list[Conjunction]:
        if self.peek() == "(":
            self.take("(")
            out = self.comparison_or()
            self.take(")")
            return out
        kind, path = self.take()
        if kind != "path":
            raise PatternError(f"expected an object path, found {path!r}")
        negated = self.peek() == "NOT"
        if negated:
            self.take()
        op = self.take()[1]
        if op == "IN":
            self.take("(")
            values = [self.literal()]
            while self.peek() == ",":
                self.take(",")
                values.append(self.literal())
            self.take(")")
            if negated:
                return [{}]
            return [{path: v} for v in values if v is not None] or [{}]
        value = self.literal()
        if op != "=" or negated or value is None:
            return [{}]  # not one value: no equality to hunt
        return [{path: value}]

    def literal(self) -> str | None:
        kind, value = self.take()
        if kind == "str":
            return _unquote(value) if value.startswith("'") else None
        if kind in ("num", "word"):
            return value if kind == "num" else None
        raise PatternError(f"expected a value, found {value!r}")


def parse_pattern(pattern: str) -> list[Conjunction]:
    """A STIX pattern as alternatives, each ``{"type:property": value}`` of equalities."""
    return _PatternParser(pattern).parse()
