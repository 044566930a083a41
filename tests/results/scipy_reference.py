#!/usr/bin/python3
"""Reference numbers for tests/results/scipy_reference_test.cpp, from scipy.stats.

Usage: scipy_reference.py CASES.json  ->  prints one JSON object with scipy's answers.
CASES.json holds {"fisher": [[[a, b], [c, d]], ...], "chi2": [[row0, row1], ...],
"wilson": [[x, n], ...], "katz": [[x1, n1, x2, n2], ...], "norm_ppf": [p, ...],
"norm_sf": [z, ...], "t_ppf": [[p, df], ...], "t_sf": [[t, df], ...], "chi2_sf": [[x, df], ...],
"welch": [[sample_a, sample_b], ...]}; every answer list is in the order of its cases.
Exits 2 with a message when scipy is not installed (Debian: python3-scipy).
"""
import json
import math
import sys

try:
    import numpy as np
    from scipy import stats
    from scipy.stats.contingency import relative_risk
except ImportError as error:  # a declared dependency: say so loudly
    sys.stderr.write(f"scipy_reference.py: {error}; install python3-scipy (scripts/install-deps.sh)\n")
    sys.exit(2)


def welch(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    result = stats.ttest_ind(a, b, equal_var=False)
    va = a.var(ddof=1) / len(a)
    vb = b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = stats.t.ppf(0.975, df) * se
    diff = a.mean() - b.mean()
    return {"t": float(result.statistic), "p": float(result.pvalue), "df": df,
            "low": diff - half, "high": diff + half}


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        cases = json.load(handle)
    out = {
        "fisher": [float(stats.fisher_exact(t)[1]) for t in cases["fisher"]],
        "chi2": [],
        "wilson": [],
        "katz": [],
        "norm_ppf": [float(stats.norm.ppf(p)) for p in cases["norm_ppf"]],
        "norm_sf": [float(stats.norm.sf(z)) for z in cases["norm_sf"]],
        "t_ppf": [float(stats.t.ppf(p, df)) for p, df in cases["t_ppf"]],
        "t_sf": [float(stats.t.sf(t, df)) for t, df in cases["t_sf"]],
        "chi2_sf": [float(stats.chi2.sf(x, df)) for x, df in cases["chi2_sf"]],
        "welch": [welch(a, b) for a, b in cases["welch"]],
    }
    for table in cases["chi2"]:
        statistic, p, dof, _ = stats.chi2_contingency(table, correction=False)
        out["chi2"].append({"statistic": float(statistic), "p": float(p), "df": int(dof)})
    for x, n in cases["wilson"]:
        ci = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
        out["wilson"].append([float(ci.low), float(ci.high)])
    for x1, n1, x2, n2 in cases["katz"]:
        ci = relative_risk(x1, n1, x2, n2).confidence_interval(confidence_level=0.95)
        out["katz"].append([float(ci.low), float(ci.high)])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
