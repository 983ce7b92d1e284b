"""The candidate index: an inverted index from keys to aliases, built once over all lists.

Keys per name token: the token itself, its consonant skeleton, its first and last four letters
(so one typo still leaves a key intact), its first two and last two letters together (so does a
typo in the middle); per name, the first six letters of the name written
without spaces (so ``ABDESSAMADFATEH`` finds ``FATEH, Abdessamad``). A query looks up its own
keys: rare keys (at most ``RARE_DF`` aliases) gather candidates, common keys (``mohammed``,
``company``) only add weight to those already gathered, unless nothing rarer exists. An alias is
kept only when the query tokens that share a key with it carry ``MIN_COVERAGE`` of the query's
weight: a party that shares only its first name with a listed one is not scored at all. The top
``limit`` aliases by summed inverse document frequency (names with a token count close to the
query's first) go to the scorer. All of it is numpy work on sorted posting arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from supplyguard.screening.normalize import Token

RARE_DF = 400
SIZE_PENALTY = 0.05
MIN_COVERAGE = 0.6

IntArray = npt.NDArray[np.int32]


def token_keys(token: Token) -> list[str]:
    text = token.text
    if token.role == "legal" or len(text) < 2:
        return []
    keys = [] if token.abjad else ["t" + text]
    if token.skel:
        keys.append("s" + token.skel)
    if not token.abjad and len(text) >= 4:
        cut = 4 if len(text) >= 6 else 3
        keys.append("p" + text[:cut])
        keys.append("e" + text[-cut:])
        keys.append("b" + text[:2] + text[-2:])
    return keys


def article_keys(tokens: Sequence[Token]) -> dict[int, list[str]]:
    """Extra keys for an Arabic-script word whose ``ال`` was split off (``الخلد`` -> ``al khld``):
    the skeleton of the word with its article (``lhld``), for both tokens, so a list that writes the
    name in one piece (``ALKHALD``, ``ALIREZA``, ``ALLAHDAD``) is still gathered."""
    found: dict[int, list[str]] = {}
    for position in range(len(tokens) - 1):
        article, word = tokens[position], tokens[position + 1]
        if article.abjad and article.text == "al" and word.abjad and word.skel:
            joined = "l" + word.skel[1:] if word.skel.startswith("l") else "l" + word.skel
            key = "s" + joined
            found.setdefault(position, []).append(key)
            found.setdefault(position + 1, []).append(key)
    return found


def squashed_keys(forms: Sequence[str]) -> list[str]:
    """Keys for names written without spaces: the first six letters of each spaceless form."""
    return list(dict.fromkeys("q" + form[:6] for form in forms if len(form) >= 8))


@dataclass(slots=True)
class CandidateIndex:
    postings: dict[str, IntArray]
    alias_count: int
    alias_sizes: IntArray

    @classmethod
    def build(
        cls, alias_tokens: Sequence[tuple[Token, ...]], squashed: Sequence[tuple[str, ...]] = ()
    ) -> CandidateIndex:
        lists: dict[str, list[int]] = {}
        for alias_id, tokens in enumerate(alias_tokens):
            keys = {key for token in tokens for key in token_keys(token)}
            if squashed:
                keys.update(squashed_keys(squashed[alias_id]))
            for key in keys:
                lists.setdefault(key, []).append(alias_id)
        postings = {key: np.asarray(ids, dtype=np.int32) for key, ids in lists.items()}
        sizes = np.fromiter((len(t) for t in alias_tokens), dtype=np.int32, count=len(alias_tokens))
        return cls(postings, len(alias_tokens), sizes)

    def candidates(self, tokens: Sequence[Token], limit: int, squashed: Sequence[str] = ()) -> IntArray:
        """Up to ``limit`` alias numbers; an alias is kept only when query tokens carrying at least
        ``MIN_COVERAGE`` of the query's weight share a key with it (or the spaceless forms do)."""
        token_keys_found: list[tuple[float, list[str]]] = []
        merged = article_keys(tokens)
        for position, token in enumerate(tokens):
            keys = token_keys(token)
            if not keys:
                continue
            if keys[0][0] == "t" and keys[0] in self.postings:
                keys = keys[:2] + keys[4:]  # known as written: its prefix and suffix add nothing
            keys = keys + merged.get(position, [])
            token_keys_found.append((token.weight, [k for k in keys if k in self.postings]))
        squash = [k for k in squashed_keys(squashed) if k in self.postings]
        all_keys = list(dict.fromkeys([k for _, keys in token_keys_found for k in keys] + squash))
        if not all_keys:
            return np.zeros(0, dtype=np.int32)
        n = self.alias_count + 1
        sizes = {k: len(self.postings[k]) for k in all_keys}
        ordered = sorted(all_keys, key=sizes.__getitem__)
        gather = [k for k in ordered if sizes[k] <= RARE_DF] or ordered[:1]
        row_of = {k: i for i, k in enumerate(ordered)}
        postings = [self.postings[k] for k in gather]
        ids, inverse = np.unique(np.concatenate(postings), return_inverse=True)
        members = np.zeros((len(ordered), len(ids)), dtype=bool)
        members[np.repeat(np.arange(len(gather)), [len(p) for p in postings]), inverse] = True
        for key in ordered[len(gather) :]:
            posting = self.postings[key]
            where = np.searchsorted(posting, ids)
            where[where == len(posting)] = 0
            members[row_of[key]] = posting[where] == ids
        idf = np.asarray([math.log(n / sizes[k]) for k in ordered])
        score = idf @ members
        total_weight = sum(w for w, _ in token_keys_found) or 1.0
        covered = np.zeros(len(ids))
        for weight, keys in token_keys_found:
            if keys:
                covered += members[[row_of[k] for k in keys]].any(axis=0) * weight
        covered /= total_weight
        if squash:
            covered = np.maximum(covered, members[[row_of[k] for k in squash]].any(axis=0))
        keep = covered >= MIN_COVERAGE
        ids, score = ids[keep], score[keep]
        if len(ids) <= limit:
            return ids.astype(np.int32)
        score -= SIZE_PENALTY * np.abs(self.alias_sizes[ids] - len(tokens))
        top = np.argpartition(-score, limit)[:limit]
        return ids[top].astype(np.int32)
