"""The weekly audit end to end, and how its time grows with the school.

    python3 benches/audit.py [--people 2000] [--days 35] [--scales 1,2,4] [--rules]

For each scale s: `logwacht generate` a school of s x people over the days, `init` a
workspace with its directory and travel exceptions, `ingest` every file as of the morning
after the last day, `purge` (the 28-day window), then time `logwacht audit --week W` (every
automated and sampled rule over the last whole week plus the earlier weeks still retained
for the trend, the sample, the report written). With --rules, also each rule alone
(`audit run --rule ID` over the week, process start included). Wall seconds and peak
memory (max RSS, GNU time) per step. Needs a release build.
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "logwacht")
NOW = "2026-11-23T03:00:00Z"


def timed(cmd, ok=(0, 1)):
    """Runs cmd; returns (seconds, peak RSS in MiB from GNU time, stdout). Also used by
    duckdb_rules.py, whose commands carry a whole DuckDB prelude: a failure names the
    command's first 300 characters."""
    t = time.perf_counter()
    res = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    secs = time.perf_counter() - t
    if res.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)[:300]} failed ({res.returncode}): {res.stderr[-3000:]}")
    kib = int(res.stderr.strip().splitlines()[-1])
    return secs, kib / 1024, res.stdout


def duck_rules(ws, monday):
    """Every built-in rule over the same week and store, logwacht against DuckDB running the
    rule's own SQL (benches/duckdb_rules.py, which says what stands in for what)."""
    sunday = monday + datetime.timedelta(days=6)
    res = subprocess.run([sys.executable, os.path.join(ROOT, "benches", "duckdb_rules.py"), "--ws", ws,
                          "--from", str(monday), "--to", str(sunday), "--runs", "1"],
                         check=True, stdout=subprocess.PIPE, text=True)
    lines = res.stdout.strip().splitlines()
    for line in lines[:-1]:
        print("    " + line, flush=True)
    return json.loads(lines[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=2000)
    ap.add_argument("--days", type=int, default=35)
    ap.add_argument("--scales", default="1")
    ap.add_argument("--work", default="/tmp/logwacht-audit-bench")
    ap.add_argument("--rules", action="store_true")
    ap.add_argument("--duckdb", action="store_true", help="also DuckDB running every rule's SQL over the same store")
    args = ap.parse_args()
    results = []
    for scale in [int(s) for s in args.scales.split(",")]:
        people = args.people * scale
        work = os.path.join(args.work, f"x{scale}")
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        school, ws = os.path.join(work, "school"), os.path.join(work, "ws")
        gen_s, gen_mib, _ = timed([BIN, "--now", NOW, "generate", "--people", str(people), "--days", str(args.days),
                                   "--seed", "1", "--out", school])
        subprocess.run([BIN, "--now", NOW, "init", ws], check=True, stdout=subprocess.DEVNULL)
        for f in ["people.csv", "travel_exceptions.csv"]:
            shutil.copy(os.path.join(school, "reference", f), os.path.join(ws, "reference", f))
        cfg = ["--config", os.path.join(ws, "logwacht.toml"), "--now", NOW]
        ing_s, ing_mib, _ = timed([BIN] + cfg + ["ingest", os.path.join(school, "logs")])
        pur_s, pur_mib, _ = timed([BIN] + cfg + ["purge"])
        # The last whole ISO week before now.
        today = datetime.date(2026, 11, 23)
        monday = today - datetime.timedelta(days=today.weekday() + 7)
        iso = monday.isocalendar()
        week = f"{iso[0]}-W{iso[1]:02d}"
        aud_s, aud_mib, _ = timed([BIN] + cfg + ["audit", "--week", week])
        # The steady state of a weekly job: last week's report made (and its trend kept,
        # src/report/trend.rs), then this week's, which counts only its own week.
        cache = os.path.join(ws, "reports", ".trend-cache.json")
        if os.path.exists(cache):
            os.remove(cache)
        pmon = monday - datetime.timedelta(days=7)
        piso = pmon.isocalendar()
        timed([BIN] + cfg + ["audit", "--week", f"{piso[0]}-W{piso[1]:02d}", "--out", os.path.join(work, "prev")], ok=(0, 1, 2))
        steady_s, steady_mib, _ = timed([BIN] + cfg + ["audit", "--week", week, "--out", os.path.join(work, "steady")], ok=(0, 1, 2))
        rows = {}
        store = os.path.join(ws, "store")
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(store) for f in fs)
        r = {"scale": scale, "people": people, "days": args.days, "week": week,
             "generate_s": round(gen_s, 1), "ingest_s": round(ing_s, 1), "ingest_mib": round(ing_mib),
             "purge_s": round(pur_s, 2), "audit_s": round(aud_s, 1), "audit_mib": round(aud_mib),
             "audit_steady_s": round(steady_s, 1), "audit_steady_mib": round(steady_mib),
             "store_mb": round(size / 1e6)}
        print(f"x{scale}: {people} people, {args.days} days, store {size/1e6:.0f} MB | generate {gen_s:.1f} s | "
              f"ingest {ing_s:.1f} s ({ing_mib:.0f} MiB) | purge {pur_s:.2f} s | "
              f"weekly audit {week} {aud_s:.1f} s ({aud_mib:.0f} MiB), after last week's {steady_s:.1f} s "
              f"({steady_mib:.0f} MiB)", flush=True)
        if args.rules:
            sunday = monday + datetime.timedelta(days=6)
            listing = subprocess.run([BIN] + cfg + ["rules", "list"], check=True, capture_output=True, text=True).stdout
            ids = [l.split()[0] for l in listing.splitlines()[1:] if l.strip()]
            for rid in ids:
                s, mib, _ = timed([BIN] + cfg + ["audit", "run", "--rule", rid, "--from", str(monday), "--to", str(sunday)])
                rows[rid] = (round(s, 2), round(mib))
                print(f"    {rid:40} {s:6.2f} s {mib:6.0f} MiB", flush=True)
            r["rules"] = rows
        if args.duckdb:
            r["duckdb"] = duck_rules(ws, monday)
        results.append(r)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
