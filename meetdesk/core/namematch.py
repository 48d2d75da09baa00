"""Room-name filters (OpenVidu Meet 3.8): ``roomNameMatchMode`` = exact | prefix | partial | regex and
``roomNameCaseInsensitive``.

A regex never runs on a backtracking engine: it is compiled here to a small NFA and matched by walking
every state at once (Thompson's simulation), so a match costs at most pattern x name steps whatever the
pattern ("(a*)*b" style blow-ups cannot happen). The syntax is a safe subset: literals, ``.``, escapes
(``\\d \\w \\s`` and their negations, an escaped metacharacter), classes ``[a-z]`` / ``[^...]``, anchors
``^`` and ``$``, quantifiers ``* + ? {n} {n,} {n,m}`` on one atom, and top-level ``|``. Groups and
backreferences are refused with a sentence saying so, as is a pattern longer than
:data:`REGEX_MAX_LENGTH` or one that would expand past :data:`MAX_STATES` states.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

REGEX_MAX_LENGTH = 100
MAX_STATES = 500
_REPEAT_MAX = 50


class MatchMode(StrEnum):
    EXACT = "exact"
    PREFIX = "prefix"
    PARTIAL = "partial"
    REGEX = "regex"


class PatternError(ValueError):
    """A regex outside the supported subset; the message is a sentence for the caller."""


Pred = Callable[[str], bool]

_CLASSES: dict[str, Pred] = {
    "d": str.isdigit,
    "D": lambda c: not c.isdigit(),
    "w": lambda c: c.isalnum() or c == "_",
    "W": lambda c: not (c.isalnum() or c == "_"),
    "s": str.isspace,
    "S": lambda c: not c.isspace(),
}
_META = set(".^$*+?{}[]\\|()-/")


def _literal(ch: str) -> Pred:
    return lambda c: c == ch


def _range(low: str, high: str) -> Pred:
    return lambda c: low <= c <= high


@dataclass(frozen=True)
class _Step:
    pred: Pred
    kind: str  # "one", "opt" (may be skipped) or "star" (any number of times)


class _Parser:
    def __init__(self, text: str, fold: bool) -> None:
        self.text, self.i, self.fold = text, 0, fold

    def folded(self, pred: Pred) -> Pred:
        """``pred`` ignoring case when asked to (before any negation, so ``[^a]`` refuses ``A`` too)."""
        if not self.fold:
            return pred
        return lambda c: pred(c) or pred(c.lower()) or pred(c.upper())

    def peek(self) -> str | None:
        return self.text[self.i] if self.i < len(self.text) else None

    def take(self) -> str:
        if self.i >= len(self.text):
            raise PatternError("The regex ends in the middle of an expression.")
        ch = self.text[self.i]
        self.i += 1
        return ch

    def escape(self) -> Pred:
        ch = self.take()
        if ch in _CLASSES:
            return _CLASSES[ch]
        if ch in _META or not ch.isalnum():
            return self.folded(_literal(ch))
        raise PatternError(f"The escape '\\{ch}' is not supported in a room-name regex.")

    def char_class(self) -> Pred:
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        parts: list[Pred] = []
        first = True
        while True:
            ch = self.take()
            if ch == "]" and not first:
                break
            first = False
            if ch == "\\":
                pred = self.escape()
                parts.append(pred)
                continue
            if self.peek() == "-" and self.i + 1 < len(self.text) and self.text[self.i + 1] != "]":
                self.i += 1
                end = self.take()
                if end == "\\":
                    end = self.take()
                if end < ch:
                    raise PatternError(f"The range '{ch}-{end}' in a room-name regex is out of order.")
                parts.append(_range(ch, end))
            else:
                parts.append(_literal(ch))
        pred = self.folded(lambda c: any(p(c) for p in parts))
        return (lambda c: not pred(c)) if negate else pred

    def repeat(self) -> tuple[int, int | None] | None:
        ch = self.peek()
        if ch == "*":
            self.i += 1
            return 0, None
        if ch == "+":
            self.i += 1
            return 1, None
        if ch == "?":
            self.i += 1
            return 0, 1
        if ch != "{":
            return None
        close = self.text.find("}", self.i)
        body = self.text[self.i + 1 : close] if close > 0 else ""
        low, comma, high = body.partition(",")
        if not low.isdigit() or (high and not high.isdigit()):
            raise PatternError("A repetition in a room-name regex is written {n}, {n,} or {n,m}.")
        self.i = close + 1
        lo = int(low)
        hi = lo if not comma else (int(high) if high else None)
        if lo > _REPEAT_MAX or (hi is not None and (hi > _REPEAT_MAX or hi < lo)):
            raise PatternError(f"A repetition in a room-name regex may count up to {_REPEAT_MAX}.")
        return lo, hi

    def branch(self) -> tuple[list[_Step], bool, bool]:
        steps: list[_Step] = []
        start = end = False
        if self.peek() == "^":
            self.i += 1
            start = True
        while (ch := self.peek()) is not None and ch != "|":
            self.i += 1
            if ch == "$" and self.peek() in (None, "|"):
                end = True
                break
            if ch in "()":
                raise PatternError("Groups are not supported in a room-name regex.")
            if ch in "*+?{":
                raise PatternError(f"'{ch}' in a room-name regex must follow something to repeat.")
            if ch in "^$":
                raise PatternError(f"'{ch}' may only start or end a room-name regex.")
            pred = self.escape() if ch == "\\" else self.char_class() if ch == "[" else None
            if pred is None:
                pred = (lambda c: True) if ch == "." else self.folded(_literal(ch))
            counts = self.repeat()
            lo, hi = counts if counts is not None else (1, 1)
            steps += [_Step(pred, "one")] * lo
            steps += [_Step(pred, "star")] if hi is None else [_Step(pred, "opt")] * (hi - lo)
            if len(steps) > MAX_STATES:
                raise PatternError("The room-name regex is too complex.")
            if self.peek() in ("*", "+", "?", "{"):
                raise PatternError("A quantifier in a room-name regex cannot follow another one.")
        return steps, start, end


@dataclass(frozen=True)
class _Branch:
    steps: tuple[_Step, ...]
    anchored_start: bool
    anchored_end: bool

    def _closure(self, states: set[int]) -> set[int]:
        todo, seen = list(states), set(states)
        while todo:
            i = todo.pop()
            if i < len(self.steps) and self.steps[i].kind != "one" and i + 1 not in seen:
                seen.add(i + 1)
                todo.append(i + 1)
        return seen

    def search(self, text: str) -> bool:
        end = len(self.steps)
        states = self._closure({0})
        for ch in text:
            if end in states and not self.anchored_end:
                return True
            nxt: set[int] = set()
            for i in states:
                if i < end and self.steps[i].pred(ch):
                    nxt.add(i if self.steps[i].kind == "star" else i + 1)
            if not self.anchored_start:
                nxt.add(0)
            states = self._closure(nxt)
            if not states:
                return False
        return end in states


def compile_regex(pattern: str, case_insensitive: bool) -> tuple[_Branch, ...]:
    if len(pattern) > REGEX_MAX_LENGTH:
        raise PatternError(f"A room-name regex cannot be longer than {REGEX_MAX_LENGTH} characters.")
    parser = _Parser(pattern, case_insensitive)
    branches = []
    total = 0
    while True:
        steps, start, end = parser.branch()
        total += len(steps)
        if total > MAX_STATES:
            raise PatternError("The room-name regex is too complex.")
        branches.append(_Branch(tuple(steps), start, end))
        if parser.peek() is None:
            return tuple(branches)
        parser.take()  # "|"


@dataclass(frozen=True)
class NameMatch:
    """A room-name filter: ``prefilter`` is a case-folded condition the store can check in SQL (a superset of
    the matches), ``check`` the exact test of a name when SQL cannot say it alone (case or regex)."""

    value: str
    mode: MatchMode = MatchMode.PARTIAL
    case_insensitive: bool = True
    _regex: tuple[_Branch, ...] = ()

    @classmethod
    def parse(cls, value: str, mode: MatchMode, case_insensitive: bool) -> NameMatch:
        """Raises PatternError for a regex outside the subset."""
        branches = compile_regex(value, case_insensitive) if mode is MatchMode.REGEX else ()
        return cls(value, mode, case_insensitive, branches)

    @property
    def exact_in_sql(self) -> bool:
        """Whether the case-folded SQL condition says it all (case-insensitive, not a regex)."""
        return self.case_insensitive and self.mode is not MatchMode.REGEX

    def matches(self, name: str) -> bool:
        if self.mode is MatchMode.REGEX:
            return any(branch.search(name) for branch in self._regex)
        have, want = (name.casefold(), self.value.casefold()) if self.case_insensitive else (name, self.value)
        if self.mode is MatchMode.EXACT:
            return have == want
        if self.mode is MatchMode.PREFIX:
            return have.startswith(want)
        return want in have
