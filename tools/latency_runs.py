"""The side-by-side runs of issue 14 (latency), as tools/plot-runs and
tools/count-runs read them: docs/bench/latency-*.jsonl, each line one run
of groupy-bench --corosync ... --only throughput,latency,floor,scaling."""
import glob
import json
import os


def default_paths():
    """Every run file kept in docs/bench."""
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return sorted(glob.glob(os.path.join(top, "docs/bench/latency-*.jsonl")))


def runs(paths):
    """Every run in the files, oldest first."""
    out = []
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    out.append(json.loads(line))
    return sorted(out, key=lambda r: r.get("date", ""))


def best_corosync(r, key):
    """The lowest Corosync latency (or highest throughput) of the run."""
    vals = [v[key] for v in r.get("corosync", {}).values() if v.get(key, 0) > 0]
    if not vals:
        return None
    return max(vals) if key.startswith("tput") else min(vals)


def scaling(r, k):
    """The run's throughput at K = k, per member (None: not measured)."""
    return next((s["msgs_s"] for s in r.get("scaling", []) if s["k"] == k), None)
