"""Student t and beta quantiles without scipy, for the parameters the indices meet.

Importing `scipy.special` costs a quarter of a second (it loads numpy.testing and
f2py through its array-API layer), longer than all the rest of `sipas-stats`'s
start-up. The intervals need only R's `qt` and `qbeta`; here they are Halley
iterations on the regularized incomplete beta function (a continued fraction, as
Numerical Recipes' ``betacf``) from an approximate quantile, to ~1e-14: three or
four evaluations each. Outside the range they are tested on
(tests/stats/test_distributions.py against scipy) they hand over to scipy.
"""

from __future__ import annotations

import math
from functools import lru_cache

#: Largest a + b of the incomplete beta computed here (the continued fraction takes
#: about √(a+b) steps, and lgamma's rounding grows with its argument).
MAX_SHAPE = 500.0
#: Quantiles remembered: a wave's intervals ask for the same few (one design's
#: degrees of freedom, one level) hundreds of times, each ~0.1 ms of iterations.
CACHED_QUANTILES = 4096
#: Probabilities below this, or above 1 minus it, are left to scipy (the
#: intervals' levels, 0.5 to 0.999, ask for 0.0005 to 0.9995).
TAIL = 1e-6
#: Steps of the continued fraction and of Newton's method before giving up.
MAX_STEPS = 2_000
TINY = 1e-300
EPSILON = 1e-16


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _continued_fraction(a: float, b: float, x: float) -> float | None:
    """The continued fraction of I_x(a, b) by the modified Lentz method (None when
    it does not converge)."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > TINY else TINY)
    value = d
    for m in range(1, MAX_STEPS):
        twice = a + 2 * m
        # the even step, then the odd one, written out (a loop over the two
        # numerators cost a third of the time)
        numerator = m * (b - m) * x / ((twice - 1) * twice)
        d = 1.0 + numerator * d
        d = 1.0 / (d if abs(d) > TINY else TINY)
        c = 1.0 + numerator / c
        c = c if abs(c) > TINY else TINY
        value *= d * c
        numerator = -(a + m) * (a + b + m) * x / (twice * (twice + 1))
        d = 1.0 + numerator * d
        d = 1.0 / (d if abs(d) > TINY else TINY)
        c = 1.0 + numerator / c
        c = c if abs(c) > TINY else TINY
        change = d * c
        value *= change
        if abs(change - 1.0) < EPSILON:
            return value
    return None


def incomplete_beta(a: float, b: float, x: float) -> float | None:
    """The regularized incomplete beta I_x(a, b) (None outside the tested range)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if a + b > MAX_SHAPE:
        return None
    flipped = x > (a + 1.0) / (a + b + 2.0)
    if flipped:
        a, b, x = b, a, 1.0 - x
    fraction = _continued_fraction(a, b, x)
    if fraction is None:
        return None
    log_front = a * math.log(x) + b * math.log1p(-x) - _log_beta(a, b)
    value = math.exp(log_front) * fraction / a
    return 1.0 - value if flipped else value


def beta_density(a: float, b: float, x: float) -> float:
    """The beta(a, b) density at x in (0, 1)."""
    log_density = (a - 1) * math.log(x) + (b - 1) * math.log1p(-x) - _log_beta(a, b)
    return math.exp(log_density)


@lru_cache(maxsize=CACHED_QUANTILES)
def beta_quantile(a: float, b: float, p: float) -> float:
    """x with I_x(a, b) = p (R's qbeta, scipy's betaincinv)."""
    if not 0.0 < p < 1.0:
        return 0.0 if p <= 0.0 else 1.0
    # closed forms where a shape is 1 (a Clopper–Pearson bound of 0 or of all
    # successes): I_x(a, 1) = x^a, I_x(1, b) = 1 - (1 - x)^b
    if b == 1.0:
        return math.exp(math.log(p) / a)
    if a == 1.0:
        return -math.expm1(math.log1p(-p) / b)
    # near 1 the incomplete beta is 1 minus a small number here, and its rounding
    # (1e-16) is no longer small against 1 - p: the far tails go to scipy
    found = _solve(a, b, p) if TAIL <= p <= 1.0 - TAIL else None
    if found is not None:
        return found
    from scipy import special  # beyond the tested range

    return float(special.betaincinv(a, b, p))


def _solve(a: float, b: float, p: float) -> float | None:
    """Halley's method (Newton's with the density's slope) from an approximate
    quantile, kept inside a shrinking bracket (bisection when a step leaves it);
    None outside the tested range."""
    low, high = 0.0, 1.0
    x = min(max(_first_guess(a, b, p), 1e-300), 1 - 1e-16)
    for _ in range(MAX_STEPS):
        value = incomplete_beta(a, b, x)
        if value is None:
            return None
        if value == p:
            return x
        if value < p:
            low = x
        else:
            high = x
        density = beta_density(a, b, x)
        step = (value - p) / density if density > 0 else math.inf
        if math.isfinite(step):
            # the density's own slope over itself: (a - 1)/x - (b - 1)/(1 - x)
            bend = step * ((a - 1) / x - (b - 1) / (1 - x)) / 2
            step /= 1 - min(bend, 0.5)
        if abs(step) <= 4 * EPSILON * max(x, TINY):
            # converged: a step this small may land on the bracket's own end
            return x - step
        following = x - step
        if not low < following < high:
            following = (low + high) / 2
        if abs(following - x) <= 4 * EPSILON * max(x, TINY) or high - low < TINY:
            return following
        x = following
    return None


def _first_guess(a: float, b: float, p: float) -> float:
    """An approximate beta quantile to start from (Numerical Recipes' ``invbetai``:
    a normal deviate corrected for the shapes when both are at least 1, else the
    tails' power laws)."""
    if a >= 1 and b >= 1:
        tail = p if p < 0.5 else 1 - p
        t = math.sqrt(-2 * math.log(tail))
        z = (2.30753 + t * 0.27061) / (1 + t * (0.99229 + t * 0.04481)) - t
        z = -z if p < 0.5 else z
        square = (z * z - 3) / 6
        mean = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1))
        skew = 1 / (2 * b - 1) - 1 / (2 * a - 1)
        w = z * math.sqrt(square + mean) / mean - skew * (
            square + 5 / 6 - 2 / (3 * mean)
        )
        return a / (a + b * math.exp(2 * w))
    left = math.exp(a * math.log(a / (a + b))) / a
    right = math.exp(b * math.log(b / (a + b))) / b
    if p < left / (left + right):
        return math.pow(a * (left + right) * p, 1 / a)
    return 1 - math.pow(b * (left + right) * (1 - p), 1 / b)


@lru_cache(maxsize=CACHED_QUANTILES)
def t_quantile(df: float, p: float) -> float:
    """The Student t quantile (R's qt(p, df), scipy's stdtrit)."""
    if p == 0.5:
        return 0.0
    if p > 0.5:
        return -t_quantile(df, 1.0 - p)
    # P(T ≤ -t) = I_x(df/2, 1/2) / 2 with x = df/(df+t²); solved for whichever of
    # x and 1 - x is small, which keeps its digits
    if df / 2 + 0.5 > MAX_SHAPE:
        return _t_quantile_many_df(df, p)
    y = beta_quantile(0.5, df / 2, 1.0 - 2 * p)  # y = 1 - x = t²/(df+t²)
    if y < 0.5:
        return -math.sqrt(df * y / (1.0 - y))
    x = beta_quantile(df / 2, 0.5, 2 * p)
    return -math.sqrt(df * (1.0 - x) / x)


def _t_quantile_many_df(df: float, p: float) -> float:
    """The t quantile for df past 999, where the incomplete beta is not worked out
    here: the normal quantile z corrected in powers of 1/df (Cornish-Fisher, Hill
    1970 as in Abramowitz & Stegun 26.7.5, to the fifth power). The next term is
    below 1e-15 of the result from df = 999 on (within 1.5e-15 of scipy's
    stdtrit over the intervals' levels, tests/stats/test_distributions.py); a
    round whose responses are its PSUs has df near its responses, and scipy's
    import took 0.14 s of its run."""
    if p < TAIL:
        from scipy import special  # beyond the tested range

        return float(special.stdtrit(df, p))
    z = normal_quantile(p)
    z2 = z * z
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    g5 = (((((27 * z2 + 339) * z2 + 930) * z2 - 1782) * z2 - 765) * z2 + 17955) * z
    g5 /= 368640
    return z + (g1 + (g2 + (g3 + (g4 + g5 / df) / df) / df) / df) / df


def normal_quantile(p: float) -> float:
    """The standard normal quantile (R's qnorm, scipy's ndtri)."""
    # imported here: only Wilson intervals need it, and statistics loads fractions,
    # decimal and random (4–8 ms of every start-up)
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)
