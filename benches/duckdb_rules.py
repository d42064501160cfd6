"""Every built-in rule, logwacht against DuckDB, on the same store and week (issue 17, part 2).

DuckDB runs each rule's own SQL text from `queries/`, unchanged: the tables and functions the
rule names are made in DuckDB first, from the same workspace (its `logwacht.toml`, its
`reference/` folder, the store's Parquet and logwacht's built-in UT1 sample). What differs,
and is named in benches/README.md:

- `pseudonym()` is `md5()` (unkeyed; the issue allows the stand-in);
- `registrable_domain()` takes the last two labels of the host (no Public Suffix List), which
  is the same for every domain the generated school uses;
- `web_category()` looks hosts up in the UT1 sample's domain lists only (not its URL lists),
  through a table of the week's distinct hosts built first (counted in DuckDB's time);
- `word_match()` uses RE2's ASCII `\\b` (logwacht's is Unicode-aware);
- `workload_network()` is NULL (the generated workspace configures no workload networks);
- the protected-mail view (CTL-7/8) is made as a join with the protected messages' keys
  (logwacht: their keys as literals in the view).

Both sides are fresh processes, timed with GNU time; logwacht's row count is its finding count
(`audit run --json`), which it prints as "< k" when small: those rows are compared as "small".

    python3 benches/duckdb_rules.py --ws /tmp/logwacht-audit-bench/x1/ws --from 2026-11-16 --to 2026-11-22
"""
import argparse
import datetime
import glob
import json
import os
import re
import sys
import tomllib

from audit import BIN, NOW, ROOT, timed


def q(s):
    return "'" + str(s).replace("'", "''") + "'"


def prelude(ws, start, end):
    """DuckDB statements making the tables and functions the rules name."""
    cfg = tomllib.load(open(os.path.join(ws, "logwacht.toml"), "rb"))
    school, geo, mail, web = cfg["school"], cfg["geo"], cfg["mail"], cfg["web"]
    tz = school["timezone"]
    store = os.path.join(ws, cfg["store"]["dir"])
    ref = os.path.join(ws, cfg["reference"]["dir"])
    out = ["SET threads = 2", "SET enable_progress_bar = false", "SET TimeZone = 'UTC'"]
    out.append(f"CREATE TABLE people AS SELECT lower(address) AS address, lower(role) AS role, class "
               f"FROM read_csv({q(os.path.join(ref, 'people.csv'))}, header = true, all_varchar = true)")
    for table in ["signin", "email", "web"]:
        files = glob.glob(os.path.join(store, table, "*", "*.parquet"))
        src = (f"read_parquet({q(os.path.join(store, table, '*', '*.parquet'))}, hive_partitioning = true)"
               if files else "(SELECT NULL::TIMESTAMPTZ AS event_time WHERE false)")
        name = "email_rows" if table == "email" else table
        out.append(f"CREATE VIEW {name} AS SELECT * FROM {src} "
                   f"WHERE event_time >= TIMESTAMPTZ {q(start)} AND event_time < TIMESTAMPTZ {q(end)}")
    # CTL-7/8 as logwacht's engine makes it: every row of a message labelled personal or to or
    # from a counsellor or protected mailbox has its content columns NULL.
    out.append("""CREATE TABLE protected_messages AS SELECT DISTINCT coalesce(message_id, trace_id) AS message
FROM email_rows WHERE lower(sensitivity) IN ('persoonlijk', 'personal', 'private', 'privé')
   OR sender IN (SELECT address FROM people WHERE role IN ('counsellor', 'protected-mailbox'))
   OR recipient IN (SELECT address FROM people WHERE role IN ('counsellor', 'protected-mailbox'))""")
    out.append("""CREATE VIEW email AS SELECT * REPLACE (
  CASE WHEN p.message IS NULL THEN subject END AS subject,
  CASE WHEN p.message IS NULL THEN attachment_names END AS attachment_names,
  CASE WHEN p.message IS NULL THEN mailer END AS mailer)
FROM email_rows e LEFT JOIN protected_messages p ON p.message = coalesce(e.message_id, e.trace_id)""")
    lists = ([("school_domain", d.lower()) for d in school["mail_domains"]]
             + [("private_domain", d.lower()) for d in mail["private_domains"]]
             + [("forbidden_extension", e.lower().lstrip(".")) for e in mail["forbidden_extensions"]]
             + [("download_extension", e.lower().lstrip(".")) for e in web["download_extensions"]]
             + [("approved_mailer", m.lower()) for m in mail["approved_mailers"]])
    out.append("CREATE TABLE lists (list VARCHAR, value VARCHAR)")
    out.append("INSERT INTO lists VALUES " + ", ".join(f"({q(l)}, {q(v)})" for l, v in lists))
    out.append("CREATE TABLE allowed_countries AS SELECT unnest([" + ", ".join(q(c) for c in geo["allowed_countries"])
               + "]) AS country")
    month, day = (int(x) for x in geo["summer_deadline"].split("-"))
    out.append(f"CREATE TABLE policy AS SELECT {mail['mass_recipients']} AS mass_recipients, "
               f"{mail['chain_repeats']} AS chain_repeats, {mail['visible_external_threshold']} AS visible_external_threshold, "
               f"{geo['travel_lead_days']} AS travel_lead_days, {month} AS summer_deadline_month, {day} AS summer_deadline_day")
    # travel_exceptions as src/enrich/travel.rs makes it: one row per country.
    out.append(f"""CREATE TABLE travel_exceptions AS
WITH t AS (SELECT row_number() OVER () + 1 AS source_line, * FROM read_csv({q(os.path.join(ref, 'travel_exceptions.csv'))},
           header = true, all_varchar = true))
SELECT lower(person) AS person, upper(trim(c)) AS country, CAST(first_day AS DATE) AS first_day,
       CAST(last_day AS DATE) AS last_day, CAST(requested_on AS DATE) AS requested_on,
       nullif(approved_by, '') AS approved_by, note,
       timezone({q(tz)}, CAST(first_day AS DATE)::TIMESTAMP) AS cover_from,
       timezone({q(tz)}, (CAST(last_day AS DATE) + 1)::TIMESTAMP) AS cover_to,
       source_line, CAST(first_day AS DATE) - DATE '1970-01-01' AS first_day_num,
       CAST(requested_on AS DATE) - DATE '1970-01-01' AS requested_day_num
FROM t, unnest(string_split(countries, ';')) AS u(c)""")
    local = f"timezone({q(tz)}, t)"
    days = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
    school_days = ", ".join(str(days[d]) for d in school["school_days"])
    holidays = " OR ".join(
        f"CAST({local} AS DATE) BETWEEN DATE {q(h.split('/')[0])} AND DATE {q(h.split('/')[-1])}"
        for h in school.get("holidays", [])) or "false"
    out += [
        "CREATE MACRO pseudonym(x) AS md5(x)",
        f"CREATE MACRO local_date(t) AS strftime({local}, '%Y-%m-%d')",
        f"CREATE MACRO iso_week(t) AS strftime({local}, '%G-W%V')",
        f"CREATE MACRO school_hours(t) AS isodow({local}) IN ({school_days}) AND NOT ({holidays}) "
        f"AND CAST({local} AS TIME) >= TIME {q(school['day_start'])} AND CAST({local} AS TIME) < TIME {q(school['day_end'])}",
        f"CREATE MACRO parent_quiet_time(t) AS isodow({local}) >= 6 "
        f"OR CAST({local} AS TIME) >= TIME {q(school['parent_mail_until'])} OR CAST({local} AS TIME) < TIME {q(school['parent_mail_from'])}",
        "CREATE MACRO host_of(x) AS lower(rtrim(CASE WHEN strpos(x, '://') = 0 AND strpos(x, '@') > 0 "
        "THEN split_part(x, '@', -1) ELSE split_part(split_part(regexp_replace(x, '^[a-z]+://', ''), '/', 1), ':', 1) END, '.>'))",
        "CREATE MACRO registrable_domain(x) AS CASE WHEN x IS NULL THEN NULL "
        "WHEN len(string_split(host_of(x), '.')) <= 2 THEN host_of(x) "
        "ELSE array_to_string(string_split(host_of(x), '.')[-2:], '.') END",
        "CREATE MACRO extension(x) AS nullif(lower(regexp_extract(split_part(split_part(x, '?', 1), '#', 1), "
        "'[^/]\\.([A-Za-z0-9]{1,10})$', 1)), '')",
        "CREATE MACRO extensions(x) AS array_to_string(list_filter(list_transform(string_split(x, ';'), "
        "lambda n: extension(trim(n))), lambda e: e IS NOT NULL), ';')",
        "CREATE MACRO workload_network(ip) AS NULL::VARCHAR",
    ]
    words = mail.get("words", {})
    def pattern(ws_):
        return q(r"(?i)\b(?:" + "|".join(re.escape(w) for w in ws_) + r")\b")

    cases = " ".join(
        f"WHEN strpos(',' || lists || ',', ',{name},') > 0 AND regexp_matches(t, {pattern(ws_)}) THEN {q(name)}"
        for name, ws_ in words.items())
    # The first list in the argument's order with a hit: the lists are tried in the order
    # the argument names them, as logwacht does.
    out.append("CREATE MACRO word_match_one(t, lists, name) AS CASE " + cases + " END")
    out.append("CREATE MACRO word_match(t, lists) AS list_filter(list_transform(string_split(lists, ','), "
               "lambda n: word_match_one(t, ',' || n || ',', n)), lambda x: x IS NOT NULL)[1]")
    # web_category: the UT1 sample's domain lists, each group's categories in its order.
    ut1 = os.path.join(ROOT, "fixtures", "blocklists", "ut1-sample")
    out.append("CREATE TABLE ut1 (domain VARCHAR, category VARCHAR)")
    rows = []
    for cat in sorted(os.listdir(ut1)):
        p = os.path.join(ut1, cat, "domains")
        if os.path.exists(p):
            rows += [(l.strip().lower(), cat) for l in open(p) if l.strip() and not l.startswith("#")]
    out.append("INSERT INTO ut1 VALUES " + ", ".join(f"({q(d)}, {q(c)})" for d, c in rows))
    groups = [(g, i, c) for g in ["forbidden", "circumvention", "leisure", "downloads", "malware"]
              for i, c in enumerate(web.get(g, []))]
    out.append("CREATE TABLE category_groups (group_name VARCHAR, ord INT, category VARCHAR)")
    out.append("INSERT INTO category_groups VALUES " + ", ".join(f"({q(g)}, {i}, {q(c)})" for g, i, c in groups))
    out.append("""CREATE TABLE host_category AS
WITH h AS (SELECT DISTINCT host FROM web WHERE host IS NOT NULL),
s AS (SELECT host, unnest(list_transform(range(len(string_split(regexp_replace(rtrim(host, '.'), '^www\\.', ''), '.'))),
        lambda i: array_to_string(string_split(regexp_replace(rtrim(host, '.'), '^www\\.', ''), '.')[i + 1:], '.'))) AS d FROM h)
SELECT s.host, g.group_name, arg_min(g.category, g.ord) AS category
FROM s JOIN ut1 u ON u.domain = s.d JOIN category_groups g ON g.category = u.category
GROUP BY s.host, g.group_name""")
    out.append("CREATE MACRO web_category(h, p, g) AS "
               "(SELECT c.category FROM host_category c WHERE c.host = h AND c.group_name = g)")
    return out


RUN = r"""
import duckdb, json, sys
con = duckdb.connect()
stmts = json.loads(sys.argv[1])
for s in stmts:
    con.execute(s)
print(con.execute("SELECT count(*) FROM (" + sys.argv[2] + ")").fetchone()[0])
"""


def rule_sql(path):
    """The rule's SQL without its header and comments (no rule has `--` inside a literal).
    Its ORDER BY stays: logwacht sorts too."""
    return re.sub(r"--[^\n]*", "", open(path).read()).strip().rstrip(";")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ws", required=True)
    ap.add_argument("--from", dest="first", required=True)
    ap.add_argument("--to", dest="last", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rules", default="", help="comma-separated ids (default: every built-in rule)")
    args = ap.parse_args()
    tz = tomllib.load(open(os.path.join(args.ws, "logwacht.toml"), "rb"))["school"]["timezone"]
    import zoneinfo
    z = zoneinfo.ZoneInfo(tz)
    first = datetime.datetime.combine(datetime.date.fromisoformat(args.first), datetime.time(), z)
    last = datetime.datetime.combine(datetime.date.fromisoformat(args.last) + datetime.timedelta(days=1), datetime.time(), z)
    utc = datetime.timezone.utc
    start = first.astimezone(utc).strftime("%Y-%m-%d %H:%M:%S+00")
    end = last.astimezone(utc).strftime("%Y-%m-%d %H:%M:%S+00")
    stmts = json.dumps(prelude(args.ws, start, end))
    cfg = ["--config", os.path.join(args.ws, "logwacht.toml"), "--now", NOW]
    wanted = [r for r in args.rules.split(",") if r]
    results = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "queries", "*.sql"))):
        rid = os.path.basename(path)[:-4]
        if wanted and rid not in wanted:
            continue
        sql = rule_sql(path)
        ours, theirs = [], []
        for _ in range(args.runs):
            s, mib, out = timed([BIN] + cfg + ["audit", "run", "--json", "--rule", rid, "--from", args.first, "--to", args.last])
            ours.append((s, mib))
            found = json.loads(out)[0]["findings"]
            s, mib, out = timed([sys.executable, "-c", RUN, stmts, sql], ok=(0,))
            theirs.append((s, mib))
            rows = int(out.strip().splitlines()[-1])
        o, t = min(x[0] for x in ours), min(x[0] for x in theirs)
        same = (str(found).startswith("<") and rows < int(str(found)[1:].strip())) or found == rows
        results[rid] = {"logwacht_s": [round(x[0], 2) for x in ours], "logwacht_mib": round(max(x[1] for x in ours)),
                        "duckdb_s": [round(x[0], 2) for x in theirs], "duckdb_mib": round(max(x[1] for x in theirs)),
                        "ratio_best": round(t / o, 2), "logwacht_findings": found, "duckdb_rows": rows, "same": same}
        print(f"{rid:42} logwacht {o:5.2f} s ({results[rid]['logwacht_mib']:4} MiB)  duckdb {t:5.2f} s "
              f"({results[rid]['duckdb_mib']:4} MiB)  {t / o:5.2f}x  rows {found} / {rows}{'' if same else '  DIFFER'}",
              flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
