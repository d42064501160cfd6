"""Many schools, one provider (issue 19): `federation audit` over several schools' workers.

    python3 benches/federation.py [--schools 8] [--people 1000] [--days 35] [--workers 1,2,4]

Generates the schools (`logwacht generate`, seeds 1..n), makes each a workspace with a
`[worker]` section, ingests and purges it as of the morning after the last day; then:
1. single machine: `logwacht audit run` over the last whole week in each workspace, one
   after the other (wall seconds summed, peak memory of the largest);
2. for each worker count w: w `logwacht worker` processes on loopback, the schools spread
   over them (school i on worker i mod w), and `logwacht federation audit` over the same
   week: the coordinator's wall seconds and peak memory (GNU time), each worker's peak
   memory (VmHWM from /proc before it is stopped), the bytes its answers carried
   (the size of the per-school outcomes written), and the results checked equal to the
   single-machine run's.
Needs a release build (`cargo build --release`). Prints one JSON line at the end.
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from audit import BIN, timed  # noqa: E402

NOW = "2026-11-23T03:00:00Z"


def peak_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def start_worker(dirs, port_file):
    args = [BIN, "--now", NOW, "worker", "--listen", "127.0.0.1:0"]
    for d in dirs:
        args += ["--workspace", d]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        if "listening on " in line:
            return p, line.split("listening on ")[1].split()[0]
    raise SystemExit(f"worker for {dirs} did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schools", type=int, default=8)
    ap.add_argument("--people", type=int, default=1000)
    ap.add_argument("--days", type=int, default=35)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--work", default="/tmp/logwacht-federation-bench")
    ap.add_argument("--keep", action="store_true", help="reuse the schools already in --work")
    args = ap.parse_args()
    today = datetime.date(2026, 11, 23)
    monday = today - datetime.timedelta(days=today.weekday() + 7)
    sunday = monday + datetime.timedelta(days=6)
    ids = [f"school-{i + 1}" for i in range(args.schools)]
    dirs = [os.path.join(args.work, i, "ws") for i in ids]
    if not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
        for i, (sid, ws) in enumerate(zip(ids, dirs)):
            src = os.path.join(args.work, sid, "logs")
            t = time.perf_counter()
            subprocess.run([BIN, "--now", NOW, "generate", "--people", str(args.people), "--days", str(args.days),
                            "--seed", str(i + 1), "--out", src], check=True, stdout=subprocess.DEVNULL)
            subprocess.run([BIN, "--now", NOW, "init", ws], check=True, stdout=subprocess.DEVNULL)
            for f in ["people.csv", "travel_exceptions.csv"]:
                shutil.copy(os.path.join(src, "reference", f), os.path.join(ws, "reference", f))
            with open(os.path.join(ws, "logwacht.toml"), "a") as f:
                f.write(f'\n[worker]\nschool = "{sid}"\npurposes = ["a", "b", "c", "d", "e", "f"]\n')
            cfg = ["--config", os.path.join(ws, "logwacht.toml"), "--now", NOW]
            subprocess.run([BIN] + cfg + ["ingest", os.path.join(src, "logs")], check=True, stdout=subprocess.DEVNULL)
            subprocess.run([BIN] + cfg + ["purge"], check=True, stdout=subprocess.DEVNULL)
            shutil.rmtree(src)
            print(f"{sid}: ready in {time.perf_counter() - t:.0f} s", flush=True)
    store = sum(os.path.getsize(os.path.join(d, f)) for ws in dirs for d, _, fs in os.walk(os.path.join(ws, "store"))
                for f in fs)
    # 1. One machine, one school after the other.
    single, single_peak, own = 0.0, 0.0, {}
    for sid, ws in zip(ids, dirs):
        s, mib, out = timed([BIN, "--config", os.path.join(ws, "logwacht.toml"), "--now", NOW, "audit", "run",
                             "--from", str(monday), "--to", str(sunday), "--json"])
        single += s
        single_peak = max(single_peak, mib)
        own[sid] = json.loads(out)
    print(f"single machine: {args.schools} schools one after the other {single:.1f} s, peak {single_peak:.0f} MiB",
          flush=True)
    result = {"schools": args.schools, "people": args.people, "days": args.days, "week": f"{monday}..{sunday}",
              "store_mb": round(store / 1e6), "single_s": round(single, 1), "single_peak_mib": round(single_peak),
              "federated": []}
    provider = os.path.join(args.work, "provider")
    os.makedirs(provider, exist_ok=True)
    for w in [int(x) for x in args.workers.split(",")]:
        groups = [[dirs[i] for i in range(args.schools) if i % w == k] for k in range(w)]
        procs = [start_worker(g, None) for g in groups]
        toml = '[federation]\nname = "bench"\n'
        for i, (sid, ws) in enumerate(zip(ids, dirs)):
            secret = os.path.join(provider, f"{sid}.secret")
            shutil.copy(os.path.join(ws, "worker.secret"), secret)
            os.chmod(secret, 0o600)
            toml += f'\n[[school]]\nid = "{sid}"\nworker = "{procs[i % w][1]}"\nsecret_file = "{secret}"\n'
        fed = os.path.join(provider, f"federation-{w}.toml")
        with open(fed, "w") as f:
            f.write(toml)
        out = os.path.join(provider, f"out-{w}")
        shutil.rmtree(out, ignore_errors=True)
        s, mib, _ = timed([BIN, "federation", "audit", "--file", fed, "--from", str(monday), "--to", str(sunday),
                           "--out", out], ok=(0, 1))
        worker_mib = [round(peak_mib(p.pid)) for p, _ in procs]
        for p, _ in procs:
            p.terminate()
            p.wait()
        answer_bytes = sum(os.path.getsize(os.path.join(out, f"{sid}.json")) for sid in ids)
        equal = all(json.load(open(os.path.join(out, f"{sid}.json"))) == own[sid] for sid in ids)
        r = {"workers": w, "wall_s": round(s, 1), "coordinator_mib": round(mib), "worker_mib": worker_mib,
             "answer_bytes": answer_bytes, "equal_to_single": equal,
             "schools_per_s": round(args.schools / s, 2)}
        result["federated"].append(r)
        print(f"{w} worker(s): {s:.1f} s, coordinator {mib:.0f} MiB, workers {worker_mib} MiB, "
              f"answers {answer_bytes / 1e3:.0f} kB, equal to single machine: {equal}", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
