"""Name scoring, vectorised over all candidate aliases of one query.

For query tokens Q and the tokens A of every candidate alias, one matrix of token similarities:
Jaro-Winkler on the Latin text, sharpened so that unrelated tokens score 0; an optimal string
alignment edit distance (one typo in a word of five letters or more still scores 0.85); equal
consonant skeletons (three consonants or more, or the same first letter) score 0.85 as a spelling
or transliteration variant; one legal form for another 0.9; tokens from an abjad script (Arabic,
Persian, Hebrew: no short vowels written) compare by skeleton similarity; an initial in the query
matches a word with that first letter (0.85), a full word only weakly matches a listed initial
(0.3). Each side's coverage is the weighted mean of its tokens' best match (order free); the name
score is ``0.6 * query coverage + 0.4 * alias coverage``, or the similarity of the two names with
spaces removed when that is higher (``KIMJONG UN`` vs ``KIM, Jong Un``). Two to four
``rapidfuzz.process.cdist`` calls per query, whatever the number of candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel, JaroWinkler

from supplyguard.screening.normalize import Token

JW_FLOOR = 0.80
SKELETON_FLOOR = 0.75
INITIAL_SIM = 0.85  # a query initial against a full alias token with that first letter
FULL_VS_INITIAL_SIM = 0.3  # a full query token against an alias initial
SKELETON_SIM = 0.85
ONE_EDIT_SIM = 0.85  # one insertion, deletion, substitution or transposition, words of 5+ letters
TWO_EDIT_SIM = 0.65  # two edits, words of 8+ letters
QUERY_SHARE = 0.6


def article_pairs(name: CompiledName) -> list[tuple[int, int, str]]:
    """(article row, word row, skeleton of the two joined) for each Arabic-script ``ال`` that the
    tokenizer split off its word (see :func:`supplyguard.screening.index.article_keys`)."""
    pairs = []
    for row in range(len(name.texts) - 1):
        if name.abjad[row] and name.texts[row] == "al" and name.abjad[row + 1] and name.skeletons[row + 1]:
            skel = name.skeletons[row + 1]
            pairs.append((row, row + 1, "l" + skel[1:] if skel.startswith("l") else "l" + skel))
    return pairs


def lead_letter(text: str) -> str:
    """The first letter as transliterations disagree on it: ``dzh``/``dj`` (Cyrillic дж, Serbian
    đ) lead with ``j`` like the Latin spelling, ``kh`` with ``h``. Two-consonant skeletons count as
    the same word only with the same lead letter (``dzhokik``/``jokic`` yes, ``omar``/``amir`` no)."""
    if text.startswith(("dzh", "dj")):
        return "j"
    if text.startswith("kh"):
        return "h"
    return text[0]


LEGAL_FORM_SIM = 0.9  # one legal form for another (LTD for LLC): not evidence either way

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CompiledName:
    """A name's tokens as parallel tuples, ready for the vectorised scorer."""

    texts: tuple[str, ...]
    skeletons: tuple[str, ...]
    weights: tuple[float, ...]
    translit: tuple[bool, ...]
    abjad: tuple[bool, ...]
    squashed: tuple[str, ...]
    tokens: tuple[Token, ...]
    lengths_set: frozenset[int]
    legal: tuple[bool, ...]

    @classmethod
    def of(cls, tokens: tuple[Token, ...], natural: tuple[Token, ...] | None = None) -> CompiledName:
        """``natural`` is the same name in given-name-first order (``IVANOV, Sergei`` ->
        ``Sergei IVANOV``), used for the comparison with spaces removed."""
        order = natural or tokens
        forms = {
            "".join(t.text for t in tokens),
            "".join(t.text for t in order),
            "".join(t.text for t in order if t.role != "legal"),
            "".join(t.text for t in (*order[-1:], *order[:-1])),
        }
        return cls(
            texts=tuple(t.text for t in tokens),
            skeletons=tuple(t.skel for t in tokens),
            weights=tuple(t.weight for t in tokens),
            translit=tuple(t.translit for t in tokens),
            abjad=tuple(t.abjad for t in tokens),
            squashed=tuple(sorted(f for f in forms if f)),
            tokens=tokens,
            lengths_set=frozenset(len(t.text) for t in tokens),
            legal=tuple(t.role == "legal" for t in tokens),
        )


# similarity for an edit distance (rows 0..2, 3 = more) and the longer word's length (capped at 8)
_TYPO_SIM = np.zeros((4, 9), dtype=np.float32)
_TYPO_SIM[0, :] = 1.0
_TYPO_SIM[1, 4] = 0.7
_TYPO_SIM[1, 5:] = ONE_EDIT_SIM
_TYPO_SIM[2, 8] = TWO_EDIT_SIM


def _sharpen(values: FloatArray, floor: float) -> FloatArray:
    return np.clip((values - floor) / (1.0 - floor), 0.0, 1.0)


@dataclass(slots=True)
class NameTable:
    """Every alias's tokens, flattened into parallel arrays once at build time."""

    texts: list[str]
    skeletons: list[str]
    weights32: npt.NDArray[np.float32]
    abjad: npt.NDArray[np.bool_]
    translit: npt.NDArray[np.bool_]
    lengths: npt.NDArray[np.int64]
    firsts: npt.NDArray[np.int64]
    has_initial: npt.NDArray[np.bool_]
    leads: npt.NDArray[np.int64]
    legal: npt.NDArray[np.bool_]
    skeleton_ids: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]
    squashed: list[tuple[str, ...]]
    skeleton_index: dict[str, int]

    @classmethod
    def build(cls, names: Sequence[CompiledName]) -> NameTable:
        texts = [t for n in names for t in n.texts]
        skeletons = [k for n in names for k in n.skeletons]
        index: dict[str, int] = {}
        skeleton_ids = np.fromiter(
            (index.setdefault(k, len(index)) for k in skeletons), dtype=np.int64, count=len(skeletons)
        )
        counts = np.fromiter((len(n.texts) for n in names), dtype=np.int64, count=len(names))
        return cls(
            texts=texts,
            skeletons=skeletons,
            weights32=np.fromiter((w for n in names for w in n.weights), dtype=np.float32, count=len(texts)),
            abjad=np.fromiter((a for n in names for a in n.abjad), dtype=bool, count=len(texts)),
            translit=np.fromiter((a for n in names for a in n.translit), dtype=bool, count=len(texts)),
            lengths=np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts)),
            firsts=np.fromiter((ord(t[0]) for t in texts), dtype=np.int64, count=len(texts)),
            has_initial=np.fromiter((len(t) == 1 for t in texts), dtype=bool, count=len(texts)),
            leads=np.fromiter((ord(lead_letter(t)) for t in texts), dtype=np.int64, count=len(texts)),
            legal=np.fromiter((g for n in names for g in n.legal), dtype=bool, count=len(texts)),
            skeleton_ids=skeleton_ids,
            starts=np.cumsum(counts) - counts,
            counts=counts,
            squashed=[n.squashed for n in names],
            skeleton_index=index,
        )


@dataclass(frozen=True, slots=True)
class NameScores:
    scores: FloatArray  # one per candidate alias
    similarity: FloatArray  # query tokens x all candidate alias tokens (concatenated)
    offsets: npt.NDArray[np.int64]  # where each candidate's tokens start in ``similarity``
    counts: npt.NDArray[np.int64]
    squashed_used: npt.NDArray[np.bool_]

    def alias_similarity(self, k: int) -> FloatArray:
        return self.similarity[:, self.offsets[k] : self.offsets[k] + self.counts[k]]


def score_names(query: CompiledName, table: NameTable, candidates: npt.NDArray[np.int32]) -> NameScores:
    """Name scores of ``query`` against the aliases numbered ``candidates``."""
    counts = table.counts[candidates]
    offsets = np.cumsum(counts) - counts
    total = int(counts.sum())
    idx = np.repeat(table.starts[candidates] - offsets, counts) + np.arange(total)
    positions = idx.tolist()
    texts = [table.texts[i] for i in positions] if total < 2 else list(itemgetter(*positions)(table.texts))
    n_query = len(query.texts)
    m_text = process.cdist(query.texts, texts, scorer=JaroWinkler.normalized_similarity, dtype=np.float32)
    sim = np.clip((m_text - JW_FLOOR) * (1.0 / (1.0 - JW_FLOOR)), 0.0, 1.0)
    edits = process.cdist(query.texts, texts, scorer=OSA.distance, dtype=np.int8, score_cutoff=2)
    q_len = np.fromiter((len(t) for t in query.texts), dtype=np.int64, count=n_query)[:, None]
    a_len = table.lengths[idx][None, :]
    longest = np.minimum(np.maximum(q_len, a_len), 8)
    np.maximum(sim, _TYPO_SIM[edits, longest], out=sim)
    q_skel_ids = np.asarray(
        [
            table.skeleton_index.get(k, -1 - i) if len(k) >= 2 else -1 - i
            for i, k in enumerate(query.skeletons)
        ]
    )
    q_first = np.fromiter((ord(t[0]) for t in query.texts), dtype=np.int64, count=n_query)[:, None]
    same_first = q_first == table.firsts[idx][None, :]
    long_skeleton = np.fromiter((len(k) >= 3 for k in query.skeletons), dtype=bool, count=n_query)[:, None]
    q_lead = np.fromiter((ord(lead_letter(t)) for t in query.texts), dtype=np.int64, count=n_query)
    same_lead = q_lead[:, None] == table.leads[idx][None, :]
    same_skeleton = (q_skel_ids[:, None] == table.skeleton_ids[idx][None, :]) & (long_skeleton | same_lead)
    np.maximum(sim, same_skeleton * np.float32(SKELETON_SIM), out=sim)
    if any(query.legal):
        legal_pair = np.asarray(query.legal, dtype=bool)[:, None] & table.legal[idx][None, :]
        np.maximum(sim, legal_pair * np.float32(LEGAL_FORM_SIM), out=sim)
    a_abjad = table.abjad[idx][None, :]
    if any(query.abjad) or a_abjad.any():
        q_abjad = np.asarray(query.abjad, dtype=bool)[:, None]
        skels = [table.skeletons[i] for i in positions]
        m_skel = process.cdist(
            query.skeletons, skels, scorer=JaroWinkler.normalized_similarity, dtype=np.float32
        )
        skel_sim = np.clip((m_skel - SKELETON_FLOOR) * (0.95 / (1.0 - SKELETON_FLOOR)), 0.0, 0.95)
        sim = np.where(q_abjad | a_abjad, np.where(m_text >= 0.999, np.float32(1.0), skel_sim), sim)
        pairs = article_pairs(query)
        if pairs:  # ``al`` + word against a listed name in one piece (``ALKHALD``, ``ALIREZA``)
            m_joined = process.cdist(
                [joined for _, _, joined in pairs],
                skels,
                scorer=JaroWinkler.normalized_similarity,
                dtype=np.float32,
            )
            joined_sim = np.clip((m_joined - SKELETON_FLOOR) * (0.95 / (1.0 - SKELETON_FLOOR)), 0.0, 0.95)
            for row, (article, word, _) in enumerate(pairs):
                better = joined_sim[row] > sim[word]
                sim[word] = np.where(better, joined_sim[row], sim[word])
                sim[article] = np.where(better, np.maximum(joined_sim[row], sim[article]), sim[article])
    if 1 in query.lengths_set or table.has_initial[idx].any():
        initial = (q_len == 1) | (a_len == 1)
        same = same_first
        value = np.where(
            (q_len == 1) & (a_len == 1), 1.0, np.where(q_len == 1, INITIAL_SIM, FULL_VS_INITIAL_SIM)
        )
        sim = np.where(initial, np.where(same, value, 0.0), sim).astype(np.float32)
    token_best = np.maximum.reduceat(sim, offsets, axis=1)
    q_w = np.asarray(query.weights, dtype=np.float32)
    cov_q = (q_w @ token_best) / q_w.sum()
    a_w = table.weights32[idx]
    col_best = sim.max(axis=0)
    cov_a = np.add.reduceat(a_w * col_best, offsets) / np.add.reduceat(a_w, offsets)
    token_score = QUERY_SHARE * cov_q + (1.0 - QUERY_SHARE) * cov_a
    squashed_score = np.zeros(len(candidates))
    choices: list[str] = []
    owners: list[int] = []
    wanted = (token_score < 0.95) & ((counts != n_query) | (token_score >= 0.4))
    squashed = table.squashed
    for k, alias_id in zip(np.flatnonzero(wanted).tolist(), candidates[wanted].tolist(), strict=True):
        forms = squashed[alias_id]
        choices.extend(forms)
        owners.extend([k] * len(forms))
    if choices:
        ratios = process.cdist(query.squashed, choices, scorer=Indel.normalized_similarity, dtype=np.float32)
        per_choice = _sharpen(ratios.max(axis=0).astype(np.float64), 0.5) * 0.95
        np.maximum.at(squashed_score, np.asarray(owners), per_choice)
    use_squashed = squashed_score > token_score
    scores = np.where(use_squashed, squashed_score, token_score)
    return NameScores(scores, sim, offsets, counts, use_squashed)
