"""The random draws the model is built from: categorical, bootstrap, Zipf, Markov text, id shapes."""

from __future__ import annotations

import bisect
import math
import random
import re
from collections.abc import Iterable, Sequence

from pfocr_ld.synth.layout import _RESERVED_SYMBOLS


def _succession(count: int, trials: int) -> float:
    """Share for an oddity: measured when seen, else the rule of succession 1/(trials+2)."""
    return count / trials if count else 1.0 / (trials + 2)


class _Categorical:
    """Draw a key with probability proportional to its weight."""

    def __init__(self, weights: dict[str, float]) -> None:
        items = [(k, w) for k, w in weights.items() if w > 0]
        self.keys = [k for k, _ in items]
        self.cum: list[float] = []
        total = 0.0
        for _, w in items:
            total += w
            self.cum.append(total)
        self.total = total

    def draw(self, rng: random.Random) -> str:
        return self.keys[bisect.bisect_right(self.cum, rng.random() * self.total)]


class _Bootstrap:
    """Smoothed bootstrap: an observed value times a log-normal jitter, clipped to [lo, hi]."""

    def __init__(self, values: Sequence[float], bandwidth: float, lo: float, hi: float) -> None:
        self.values = [v for v in values if v > 0] or [1.0]
        self.bandwidth, self.lo, self.hi = bandwidth, lo, hi

    def draw(self, rng: random.Random) -> float:
        value = rng.choice(self.values) * math.exp(rng.gauss(0.0, self.bandwidth))
        return min(self.hi, max(self.lo, value))

    def draw_int(self, rng: random.Random) -> int:
        return round(self.draw(rng))


def _zipf_cum(n: int, exponent: float, offset: float) -> list[float]:
    cum: list[float] = []
    total = 0.0
    for rank in range(n):
        total += 1.0 / (rank + offset) ** exponent
        cum.append(total)
    return cum


def _draw_index(cum: list[float], rng: random.Random) -> int:
    return min(len(cum) - 1, bisect.bisect_right(cum, rng.random() * cum[-1]))


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"


def _reshape(template: str, rng: random.Random) -> str:
    """A new string of *template*'s shape: same case pattern, digit positions and punctuation."""
    out = []
    rnd = rng.random
    for i, ch in enumerate(template):
        if "A" <= ch <= "Z":
            out.append(_UPPER[int(rnd() * 26)])
        elif "a" <= ch <= "z":
            out.append(_LOWER[int(rnd() * 26)])
        elif "0" <= ch <= "9":
            lead = ch != "0" and (i == 0 or not template[i - 1].isdigit())
            out.append(_DIGITS[1 + int(rnd() * 9)] if lead else _DIGITS[int(rnd() * 10)])
        else:
            out.append(ch)
    return "".join(out)


def _fill_digits(template: str, rng: random.Random, year: str = "") -> str:
    """Replace ``#`` with random digits and ``@@@@`` with *year* in a profile template."""
    if year:
        template = template.replace("@@@@", year)
    if "#" not in template:
        return template
    rnd = rng.random
    return "".join(_DIGITS[int(rnd() * 10)] if ch == "#" else ch for ch in template)


class _Markov:
    """Word bigrams over real texts (split on single spaces, so double spaces survive)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.starts: list[str] = []
        self.follow: dict[str, list[str | None]] = {}
        self.lengths: list[int] = []
        for text in texts:
            text = re.sub(r"[\t\n\r]", " ", text)
            tokens = text.split(" ")
            if not tokens or not tokens[0]:
                continue
            self.lengths.append(len(text))
            self.starts.append(tokens[0])
            for a, b in zip(tokens, [*tokens[1:], None], strict=True):
                self.follow.setdefault(a, []).append(b)
        # Most tokens of a small corpus have one possible successor; precomputing those runs lets
        # text() take a whole run per step instead of a word per step.
        self.jumps: dict[str, tuple[str, int, str]] = {}
        for token in self.follow:
            run: list[str] = []
            current = token
            visited = {token}
            while len(run) < 200:
                successors = set(self.follow.get(current, [None]))
                if len(successors) != 1 or None in successors:
                    break
                current = successors.pop()  # type: ignore[assignment]
                run.append(current)
                if current in visited:
                    break
                visited.add(current)
            if len(run) >= 2:
                self.jumps[token] = (" ".join(run), sum(len(t) + 1 for t in run), run[-1])
        # Everything text() needs about a token in one lookup: successors, their count, whether the
        # token ends a sentence, its run (if any) and its length plus the joining space.
        self.info: dict[str, tuple[tuple[str | None, ...], int, bool, tuple[str, int, str] | None, int]] = {
            token: (tuple(nxt), len(nxt), token.endswith("."), self.jumps.get(token), len(token) + 1)
            for token, nxt in self.follow.items()
        }

    def text(self, rng: random.Random, target: int, hard_max: int, restart: bool = True) -> str:
        """About *target* characters (at most *hard_max*), ending at a sentence end when possible.

        With *restart*, reaching the end of a source text before *target* starts a new sentence
        (captions); without, the text ends there (titles are one sentence).
        """
        words: list[str] = []
        size = 0
        rnd = rng.random
        info, starts = self.info, self.starts
        token = starts[int(rnd() * len(starts))]
        limit = min(target, hard_max)
        last_end: tuple[int, int] | None = None
        while True:
            options, count, period, jump, length = info[token]
            words.append(token)
            size += length
            while jump is not None and size + jump[1] < limit:
                words.append(jump[0])
                size += jump[1]
                token = jump[2]
                options, count, period, jump, _length = info[token]
            nxt = options[int(rnd() * count)]
            if size < target:
                if nxt is None or period:
                    last_end = (len(words), size)
                if size < hard_max and (restart or nxt is not None):
                    token = nxt if nxt is not None else starts[int(rnd() * len(starts))]
                    continue
                break
            if nxt is None or period:
                # Stop at whichever sentence end lies closer to the target, so lengths are unbiased.
                if restart and last_end is not None and target - last_end[1] < size - target:
                    del words[last_end[0] :]
                break
            if size >= hard_max or nxt is None:
                break
            token = nxt
        text = " ".join(words).strip(" ")
        if len(text) > hard_max:
            cut = text.rfind(" ", 0, hard_max)
            text = text[: cut if cut > 0 else hard_max].rstrip(" ")
        return text


def _new_symbol(base: str | None, templates: Sequence[str], seen: set[str], rng: random.Random) -> str:
    """A gene symbol not in *seen*: *base* if free, else one shaped like a real symbol."""
    candidate = ""
    for _ in range(20):
        candidate = base if base is not None else _reshape(rng.choice(templates), rng)
        base = None
        if candidate not in seen and candidate not in _RESERVED_SYMBOLS:
            seen.add(candidate)
            return candidate
    candidate = f"{candidate}{len(seen)}"
    seen.add(candidate)
    return candidate


def _new_id(templates: Sequence[str], used: set[str], rng: random.Random) -> str:
    """A gene id shaped like a real one (same digit count) that no other gene has."""
    while True:
        candidate = _reshape(rng.choice(templates), rng)
        if candidate not in used:
            used.add(candidate)
            return candidate


def _accumulate(values: Iterable[float]) -> Iterable[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


def _weighted_sample(names: Sequence[str], cum: Sequence[float], k: int, rng: random.Random) -> list[str]:
    """*k* distinct names drawn in proportion to their weights (*cum*: cumulative weights).

    Successive draws from the weights, skipping repeats; if that stalls (k near the pool size),
    the rest come in weight order so the call always ends.
    """
    k = min(k, len(names))
    picked: dict[int, None] = {}
    total = cum[-1]
    for _ in range(20 * k + 20):
        if len(picked) >= k:
            break
        picked[min(len(names) - 1, bisect.bisect_right(cum, rng.random() * total))] = None
    if len(picked) < k:
        weight = [cum[j] - (cum[j - 1] if j else 0.0) for j in range(len(names))]
        rest = sorted(set(range(len(names))) - set(picked), key=lambda j: -weight[j])
        for j in rest[: k - len(picked)]:
            picked[j] = None
    return [names[j] for j in picked]


def _fill_indexed(template: str, run: str, index: int, rng: random.Random) -> str:
    """Fill a digit template, putting the figure *index* into digit run *run* (``"-1"`` = last)."""
    filled = _fill_digits(template, rng)
    if run:
        spans = [m.span() for m in re.finditer(r"\d+", filled)]
        start, end = spans[int(run)]
        filled = filled[:start] + str(index).zfill(end - start) + filled[end:]
    return filled
