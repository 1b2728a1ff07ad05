"""Explained results: every rule returns its value with the steps, parameters and legal sources.

An :class:`Explanation` is what a counter clerk prints for the insured person and what an
auditor reads: each step in Chinese and English, each parameter with its value, status and
source, and the documents (文号, 条) the rule rests on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Source:
    """A legal source: document number and article, with a note on how sure we are of it."""

    document: str
    article: str = ""
    note: str = ""

    def cite(self) -> str:
        text = f"{self.document}{self.article}"
        return f"{text}（{self.note}）" if self.note else text


@dataclass(frozen=True, slots=True)
class Step:
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class ParameterUse:
    """A parameter a calculation used: its value, status (official/secondary/…) and source."""

    name: str
    value: str
    status: str
    source: str


@dataclass(frozen=True, slots=True)
class Explanation:
    rule: str
    title_zh: str
    title_en: str
    steps: tuple[Step, ...]
    parameters: tuple[ParameterUse, ...]
    sources: tuple[Source, ...]

    def render(self, lang: str = "zh") -> str:
        en = lang == "en"
        lines = [self.title_en if en else self.title_zh]
        lines += [f"  {i}. {s.en if en else s.zh}" for i, s in enumerate(self.steps, 1)]
        if self.parameters:
            lines.append("  Parameters:" if en else "  参数：")
            lines += [
                f"    - {p.name} = {p.value} [{p.status}] {p.source}" for p in self.parameters
            ]
        lines.append(
            ("  Legal basis: " if en else "  依据：") + "；".join(s.cite() for s in self.sources)
        )
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "steps": [{"zh": s.zh, "en": s.en} for s in self.steps],
            "parameters": [
                {"name": p.name, "value": p.value, "status": p.status, "source": p.source}
                for p in self.parameters
            ],
            "sources": [
                {"document": s.document, "article": s.article, "note": s.note, "cite": s.cite()}
                for s in self.sources
            ],
        }


@dataclass(frozen=True, slots=True)
class Explained(Generic[T]):
    value: T
    explanation: Explanation


@dataclass
class Explainer:
    """Collects steps and parameters while a rule computes, then freezes them with the result."""

    rule: str
    title_zh: str
    title_en: str
    sources: tuple[Source, ...]
    steps: list[Step] = field(default_factory=list)
    parameters: list[ParameterUse] = field(default_factory=list)

    def step(self, zh: str, en: str) -> None:
        self.steps.append(Step(zh, en))

    def param(self, name: str, value: object, status: str, source: str) -> None:
        use = ParameterUse(name, str(value), status, source)
        if use not in self.parameters:
            self.parameters.append(use)

    def explanation(self) -> Explanation:
        return Explanation(
            self.rule,
            self.title_zh,
            self.title_en,
            tuple(self.steps),
            tuple(self.parameters),
            self.sources,
        )

    def done(self, value: T) -> Explained[T]:
        return Explained(value, self.explanation())
