"""The :class:`Screener`: built once from list entries, screens one party or a stream of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from supplyguard.errors import InvalidInput
from supplyguard.screening.entries import EntityKind, ListEntry
from supplyguard.screening.facts import (
    BirthDate,
    CountryResolver,
    compare_addresses,
    compare_countries,
    compare_dates,
    compare_identifiers,
    normalise_identifier,
    parse_dates,
)
from supplyguard.screening.index import CandidateIndex
from supplyguard.screening.normalize import Token, check_name, normalize_query_name, tokenize
from supplyguard.screening.scoring import CompiledName, NameScores, NameTable, score_names

DEFAULT_THRESHOLD = 0.75
CANDIDATE_LIMIT = 40
ABJAD_CANDIDATE_LIMIT = 150  # abjad names are ambiguous without vowels: look further
MAX_IDENTIFIERS = 20


@dataclass(frozen=True, slots=True)
class Query:
    """One party to screen. ``dob`` as written (``1961``, ``1961-05-07``, ``07 May 1961``);
    ``country`` a name or ISO alpha-2 code; ``identifiers`` passport, IMO, registration numbers."""

    name: str
    dob: str = ""
    country: str = ""
    identifiers: tuple[str, ...] = ()
    address: str = ""
    kind: EntityKind | None = None
    ref: str = ""


@dataclass(frozen=True, slots=True)
class Hit:
    """One list entry that matches a query, with its score in [0, 1] and the reasons in words."""

    score: float
    list_id: str
    entity_id: str
    entity_name: str
    matched_alias: str
    name_score: float
    why: str
    kind: EntityKind = EntityKind.UNKNOWN
    programs: tuple[str, ...] = ()
    entry_digest: str = ""  # ListEntry.digest() of the matched entry


@dataclass(frozen=True, slots=True)
class _EntryFacts:
    dates: tuple[BirthDate, ...]
    countries: frozenset[str]
    identifiers: frozenset[str]
    addresses: tuple[str, ...]


@dataclass(slots=True)
class Screener:
    entries: tuple[ListEntry, ...]
    alias_entry: list[int]
    alias_names: list[str]
    alias_compiled: list[CompiledName]
    table: NameTable
    facts: list[_EntryFacts]
    index: CandidateIndex
    countries: CountryResolver
    threshold: float = DEFAULT_THRESHOLD
    list_ids: tuple[str, ...] = field(default=())
    digests: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        entries: Iterable[ListEntry],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        country_names: Mapping[str, str] | None = None,
    ) -> Screener:
        """Index every name of every entry. ``country_names`` maps ISO alpha-2 codes to names
        (defaults to the package's ISO 3166 table)."""
        if country_names is None:
            from supplyguard.model.refdata import load_reference_data

            country_names = load_reference_data().countries
        resolver = CountryResolver(country_names)
        entry_list = tuple(entries)
        alias_entry: list[int] = []
        alias_names: list[str] = []
        alias_tokens: list[tuple[Token, ...]] = []
        natural: list[tuple[Token, ...] | None] = []
        facts: list[_EntryFacts] = []
        for number, entry in enumerate(entry_list):
            for alias in entry.all_names():
                tokens = tokenize(alias.name)
                if tokens:
                    alias_entry.append(number)
                    alias_names.append(alias.name)
                    alias_tokens.append(tokens)
                    head, comma, tail = alias.name.partition(",")
                    natural.append(tokenize(f"{tail} {head}") if comma and tail.strip() else None)
            facts.append(
                _EntryFacts(
                    dates=parse_dates(entry.dates_of_birth),
                    countries=resolver.resolve_all(entry.countries),
                    identifiers=frozenset(
                        normalise_identifier(i.value)
                        for i in entry.identifiers
                        if len(normalise_identifier(i.value)) >= 4
                    ),
                    addresses=tuple(a.text for a in entry.addresses),
                )
            )
        compiled = [CompiledName.of(t, n) for t, n in zip(alias_tokens, natural, strict=True)]
        return cls(
            entries=entry_list,
            alias_entry=alias_entry,
            alias_names=alias_names,
            alias_compiled=compiled,
            table=NameTable.build(compiled),
            facts=facts,
            index=CandidateIndex.build(alias_tokens, [c.squashed for c in compiled]),
            countries=resolver,
            threshold=threshold,
            list_ids=tuple(dict.fromkeys(e.list_id for e in entry_list)),
        )

    def _digest(self, entry_no: int) -> str:
        digest = self.digests.get(entry_no)
        if digest is None:
            digest = self.digests[entry_no] = self.entries[entry_no].digest()
        return digest

    @property
    def alias_count(self) -> int:
        return len(self.alias_names)

    def screen(self, query: Query | str, *, threshold: float | None = None, limit: int = 10) -> list[Hit]:
        """Hits at or above ``threshold`` (the screener's by default), best first, one per entry."""
        if isinstance(query, str):
            query = Query(query)
        if not isinstance(query, Query):
            raise InvalidInput(f"a query must be a Query or a name, not {type(query).__name__}")
        floor = self.threshold if threshold is None else threshold
        if not 0.0 <= floor <= 1.0:
            raise InvalidInput(f"threshold {floor} is outside [0, 1]")
        _check_facts(query)
        tokens = normalize_query_name(query.name)
        head, comma, tail = query.name.partition(",")
        compiled_query = CompiledName.of(
            tokens, tokenize(f"{tail} {head}") if comma and tail.strip() else None
        )
        limit_candidates = ABJAD_CANDIDATE_LIMIT if any(t.abjad for t in tokens) else CANDIDATE_LIMIT
        candidates = self.index.candidates(tokens, limit_candidates, compiled_query.squashed)
        if len(candidates) == 0:
            return []
        name_scores = score_names(compiled_query, self.table, candidates)
        alias_ids = candidates.tolist()
        q_dates = parse_dates([query.dob]) if query.dob else ()
        q_countries = self.countries.resolve_all([query.country]) if query.country else frozenset()
        q_ids = frozenset(
            normalise_identifier(i)
            for i in query.identifiers[:MAX_IDENTIFIERS]
            if len(normalise_identifier(i)) >= 4
        )
        best: dict[int, tuple[float, int, float, list[str]]] = {}
        margin = 0.3 if q_ids else 0.12  # the most the other facts can add
        for position in np.flatnonzero(name_scores.scores >= floor - margin).tolist():
            alias_id = alias_ids[position]
            entry_no = self.alias_entry[alias_id]
            name_score = float(name_scores.scores[position])
            facts = self.facts[entry_no]
            entry = self.entries[entry_no]
            reasons: list[str] = []
            total = name_score
            for delta, words in (
                compare_dates(q_dates, facts.dates)
                if entry.kind is EntityKind.PERSON or facts.dates
                else (0.0, ""),
                compare_countries(q_countries, facts.countries),
                compare_identifiers(q_ids, facts.identifiers),
                compare_addresses(query.address, facts.addresses),
            ):
                total += delta
                if words:
                    reasons.append(words)
            if query.kind is not None and entry.kind not in (query.kind, EntityKind.UNKNOWN):
                total -= 0.1
                reasons.append(f"kind differs: {query.kind.value} vs {entry.kind.value}")
            total = min(1.0, max(0.0, total))
            if total >= floor and (entry_no not in best or total > best[entry_no][0]):
                best[entry_no] = (total, position, name_score, reasons)
        ranked = sorted(best.items(), key=lambda item: -item[1][0])[:limit]
        hits = []
        for entry_no, (total, position, name_score, reasons) in ranked:
            entry = self.entries[entry_no]
            alias_id = alias_ids[position]
            words = explain_name(
                compiled_query,
                self.alias_compiled[alias_id],
                self.alias_names[alias_id],
                name_scores,
                position,
            )
            why = "; ".join([words, *reasons])
            hits.append(
                Hit(
                    score=round(total, 4),
                    list_id=entry.list_id,
                    entity_id=entry.entity_id,
                    entity_name=entry.name,
                    matched_alias=self.alias_names[alias_id],
                    name_score=round(name_score, 4),
                    why=why,
                    kind=entry.kind,
                    programs=entry.programs,
                    entry_digest=self._digest(entry_no),
                )
            )
        return hits

    def screen_many(
        self, queries: Iterable[Query | str], *, threshold: float | None = None, limit: int = 10
    ) -> Iterator[tuple[int, list[Hit] | InvalidInput]]:
        """Screen a stream lazily, in order: ``(row, hits)`` or ``(row, InvalidInput)`` for a bad row.

        Memory stays bounded whatever the number of queries: nothing is held between rows.
        """
        for row, query in enumerate(queries):
            try:
                yield row, self.screen(query, threshold=threshold, limit=limit)
            except InvalidInput as exc:
                yield row, exc


def _check_facts(query: Query) -> None:
    for label, value, limit in (
        ("dob", query.dob, 100),
        ("country", query.country, 100),
        ("address", query.address, 2000),
    ):
        if not isinstance(value, str):
            raise InvalidInput(f"{label} must be text, not {type(value).__name__}")
        if len(value) > limit:
            raise InvalidInput(f"{label} of {len(value)} characters is longer than the limit of {limit}")
    if any(not isinstance(i, str) or len(i) > 100 for i in query.identifiers):
        raise InvalidInput("each identifier must be text of at most 100 characters")


def explain_name(
    query: CompiledName, alias: CompiledName, alias_name: str, scores: NameScores, position: int
) -> str:
    """Words for which query tokens matched which alias tokens, and how."""
    sim = scores.alias_similarity(position)
    matched: list[str] = []
    how: set[str] = set()
    missing: list[str] = []
    for i, token in enumerate(query.tokens):
        j = int(sim[i].argmax())
        value = float(sim[i, j])
        if value <= 0.0:
            missing.append(token.text)
            continue
        other = alias.texts[j]
        if token.role == "legal" and alias.tokens[j].role == "legal":
            if token.text != other:
                how.add("legal form differs")
        elif token.translit or alias.translit[j]:
            how.add("transliteration from the original script")
        elif token.text != other:
            if len(token.text) == 1 or len(other) == 1:
                how.add("initial")
            elif alias.skeletons[j] == query.skeletons[i]:
                how.add("spelling variant")
            else:
                how.add("close spelling")
        matched.append(f"'{token.text}'" if token.text == other else f"'{token.text}'~'{other}'")
    words = (
        f"name tokens {', '.join(matched)} match alias '{alias_name}'" if matched else f"alias '{alias_name}'"
    )
    if scores.squashed_used[position] and len(query.texts) != len(alias.texts):
        how.add("spacing differs")
    if how:
        words += f" ({', '.join(sorted(how))})"
    extra = [t for j, t in enumerate(alias.tokens) if t.role == "name" and sim[:, j].max() <= 0.0]
    if missing:
        words += f"; not in the alias: {', '.join(missing)}"
    if extra:
        words += f"; alias words not in the query: {', '.join(t.text for t in extra)}"
    return f"{words}; name score {float(scores.scores[position]):.2f}"


__all__ = ["DEFAULT_THRESHOLD", "Hit", "Query", "Screener", "check_name", "explain_name"]
_ = Sequence
