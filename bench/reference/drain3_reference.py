"""Reference run of the Python drain3 package for bench/logs-throughput.ts.

Reads JSON on stdin: {"datasets": {name: [content, ...]}, "repeat": n, "labels": bool, "masks": [{"pattern", "flags", "token"}]}
Writes JSON on stdout: per configuration ("comparable": depth 5 = two prefix tokens, fmeaflow's similarity ("sim") and
the same masking rules as fmeaflow; "default": drain3's own defaults, no masking) the cluster id
of every line per dataset (for grouping accuracy) and the time to mine all lines `repeat` times
in one process (throughput, one core), as wall and CPU seconds.
"""
import json
import sys
import time

from drain3 import TemplateMiner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig


def make_miner(kind, masks, sim):
    cfg = TemplateMinerConfig()
    cfg.profiling_enabled = False
    if kind == "comparable":
        cfg.drain_depth = 5
        cfg.drain_sim_th = sim
        cfg.drain_max_children = 100
        cfg.mask_prefix = "<"
        cfg.mask_suffix = ">"
        instructions = []
        for m in masks:
            pattern = m["pattern"]
            if "i" in m["flags"]:
                pattern = "(?i)" + pattern
            instructions.append(MaskingInstruction(pattern, m["token"].strip("<>")))
        cfg.masking_instructions = instructions
    return TemplateMiner(config=cfg)


def main():
    job = json.load(sys.stdin)
    out = {}
    for kind in ("comparable", "default"):
        labels = {}
        if job.get("labels", True):
            for name, lines in job["datasets"].items():
                miner = make_miner(kind, job["masks"], job.get("sim", 0.5))
                labels[name] = [miner.add_log_message(line)["cluster_id"] for line in lines]
        all_lines = [l for lines in job["datasets"].values() for l in lines]
        miner = make_miner(kind, job["masks"], job.get("sim", 0.5))
        t0 = time.perf_counter()
        c0 = time.process_time()
        for _ in range(job["repeat"]):
            for line in all_lines:
                miner.add_log_message(line)
        seconds = time.perf_counter() - t0
        # CPU seconds of the process: what the run cost, whatever else the shared machine was doing meanwhile.
        cpu_seconds = time.process_time() - c0
        out[kind] = {"labels": labels, "seconds": seconds, "cpuSeconds": cpu_seconds, "lines": len(all_lines) * job["repeat"], "clusters": len(miner.drain.clusters)}

    from importlib.metadata import version
    out["version"] = version("drain3")
    out["python"] = sys.version.split()[0]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
