# Reference values for test/statistics.test.ts, computed with scipy (run: python3 make-reference.py > scipy-reference.json).
import json, numpy as np, scipy
from scipy import stats

rng = np.random.default_rng(16)
def r(x): return [float(v) for v in x]
cases = {'scipy': scipy.__version__, 'ks': [], 'kstwobign': [], 'wasserstein': [], 'chi2': [], 'chi2sf': [], 'psi': []}
samples = [
    (np.arange(1, 11) / 10, np.arange(1, 11) / 10 + 0.25),
    (rng.normal(0, 1, 37), rng.normal(0.3, 1, 23)),
    (rng.normal(0, 1, 200), rng.normal(0.1, 1.2, 300)),
    (rng.integers(0, 5, 50).astype(float), rng.integers(0, 6, 40).astype(float)),
    (rng.normal(0, 1, 1000), rng.normal(0, 1, 1000)),
    (rng.normal(0, 1, 500), rng.normal(2, 1, 7)),
    (rng.exponential(1, 3000), rng.exponential(1.1, 2000)),
    (rng.uniform(0, 1, 13), rng.uniform(0.5, 1.5, 17)),
]
for a, b in samples:
    res = stats.ks_2samp(a, b, method='exact')
    cases['ks'].append({'a': r(a), 'b': r(b), 'statistic': float(res.statistic), 'pvalue': float(res.pvalue)})
    cases['wasserstein'].append({'a': r(a), 'b': r(b), 'value': float(stats.wasserstein_distance(a, b))})
for x in [0.2, 0.5, 0.8, 1.0, 1.36, 2.0, 3.0]:
    cases['kstwobign'].append({'x': x, 'sf': float(stats.kstwobign.sf(x))})
for obs in [[[12, 5], [7, 9]], [[30, 10, 5, 55], [25, 20, 10, 45]], [[100, 0, 3], [90, 8, 2]], [[1000, 2000, 3000], [1100, 1900, 3050]]]:
    c = stats.chi2_contingency(np.array(obs))
    cases['chi2'].append({'a': obs[0], 'b': obs[1], 'statistic': float(c.statistic), 'pvalue': float(c.pvalue), 'dof': int(c.dof)})
for x, k in [(0.5, 1), (3.84, 1), (10, 3), (25.5, 7), (100, 50), (0.01, 2), (300, 250)]:
    cases['chi2sf'].append({'x': x, 'dof': k, 'sf': float(stats.chi2.sf(x, k))})
# PSI with the definition in src/stats/psi.ts (numpy, not scipy: scipy has no PSI).
def psi(base, target, bins=10, eps=1e-4):
    s = np.sort(base)
    edges = []
    for k in range(1, bins):
        e = float(np.quantile(s, k / bins))
        if not edges or e > edges[-1]: edges.append(e)
    cb = np.bincount(np.searchsorted(edges, base, side='left'), minlength=len(edges) + 1)
    ct = np.bincount(np.searchsorted(edges, target, side='left'), minlength=len(edges) + 1)
    pb = np.maximum(cb / cb.sum(), eps); pt = np.maximum(ct / ct.sum(), eps)
    return float(np.sum((pt - pb) * np.log(pt / pb)))
for a, b in samples[1:4] + samples[5:7]:
    cases['psi'].append({'a': r(a), 'b': r(b), 'value': psi(a, b)})
print(json.dumps(cases))
