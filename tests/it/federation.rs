//! Many schools, one provider (issue 19, parts 1 and 2): the federation file, each school's
//! weekly audit where its data is, and the merged group report of suppressed counts.
use crate::util::Workspace;

const NOW: &str = "2026-11-22T03:00:00Z";

#[test]
fn the_group_report_merges_each_schools_own_counts_and_names_no_one() {
    let ws = Workspace::new();
    let mut schools = Vec::new();
    for (id, seed) in [("sint-jan", "1"), ("de-klimop", "2"), ("atheneum", "3")] {
        let dir = ws.path().join(id);
        let r = ws.run(&["--now", NOW, "demo", "--people", "40", "--seed", seed, "--dir", dir.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        schools.push((id, dir));
    }
    let mut toml = String::from("[federation]\nname = \"Scholengroep Voorbeeld\"\n");
    for (id, _) in &schools {
        toml.push_str(&format!("\n[[school]]\nid = \"{id}\"\nworkspace = \"{id}\"\ncontact = \"dpo@{id}.example\"\n"));
    }
    let fed = ws.path().join("federation.toml");
    std::fs::write(&fed, &toml).unwrap();
    let f = fed.to_str().unwrap();
    let check = ws.run(&["federation", "check", "--file", f]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert_eq!(check.stdout.matches(": ok (min_cell 5)").count(), 3, "{}", check.stdout);
    let run = ws.run(&[
        "--now",
        NOW,
        "--operator",
        "provider",
        "federation",
        "report",
        "--file",
        f,
        "--week",
        "2026-W47",
        "--lang",
        "en",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let out = ws.path().join("group-reports/2026-W47");
    let group: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("group-report.json")).unwrap()).unwrap();
    assert_eq!(group["complete"], true);
    assert_eq!(group["min_cell"], 5);
    let rules = group["rules"].as_array().unwrap();
    assert!(rules.len() >= 18, "{}", rules.len());
    let mut withheld = 0;
    for (i, (id, dir)) in schools.iter().enumerate() {
        // Each school's own report, in its own folder, in its own trail by the provider.
        let own: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("reports/2026-W47/findings.json")).unwrap())
                .unwrap();
        for r in own["rules"].as_array().unwrap() {
            let g = rules.iter().find(|g| g["id"] == r["id"]).unwrap();
            assert_eq!(g["cells"][i], r["findings"], "{id} {}", r["id"]);
        }
        let trail = std::fs::read_to_string(dir.join("audit.log")).unwrap();
        assert!(trail.lines().any(|l| l.contains("\"command\":\"audit\"") && l.contains("\"operator\":\"provider\"")));
    }
    for g in rules {
        let cells = g["cells"].as_array().unwrap();
        let small = cells.iter().any(|c| !c.is_u64());
        if small {
            withheld += 1;
            assert_eq!(g["total"], "withheld", "{g}");
        } else {
            assert_eq!(g["total"].as_u64(), Some(cells.iter().map(|c| c.as_u64().unwrap()).sum()), "{g}");
        }
    }
    assert!(withheld > 0, "the small schools have small cells whose totals are withheld");
    // No pseudonym, no address, no name of any school crosses into the group report.
    for file in ["group-report.json", "group-report.md", "group-report.html"] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(!text.contains("p1-"), "{file} holds a pseudonym");
        for (_, dir) in &schools {
            let people = std::fs::read_to_string(dir.join("reference/people.csv")).unwrap();
            for line in people.lines().skip(1) {
                let cols: Vec<&str> = line.split(',').collect();
                assert!(!text.contains(cols[0]) && !text.contains(cols[2]), "{file} names {}", cols[2]);
            }
        }
    }
    // A member that cannot be audited: named, the report marked incomplete, exit 2.
    std::fs::write(&fed, format!("{toml}\n[[school]]\nid = \"weg\"\nworkspace = \"weg\"\n\n[[school]]\nid = \"ver\"\nworker = \"10.0.0.9:7400\"\nsecret_file = \"ver.secret\"\n")).unwrap();
    let check = ws.run(&["federation", "check", "--file", f]);
    assert_eq!(check.code, 2, "{}", check.stdout);
    assert!(check.stdout.contains("weg: ") && check.stdout.contains("ver: worker 10.0.0.9:7400"), "{}", check.stdout);
    let run = ws.run(&[
        "--now",
        NOW,
        "federation",
        "report",
        "--file",
        f,
        "--week",
        "2026-W47",
        "--out",
        ws.path().join("g2").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("weg: NOT AUDITED") && run.stdout.contains("INCOMPLETE"), "{}", run.stdout);
    // A worker member whose secret the provider does not have: not audited, the rest goes on.
    assert!(run.stdout.contains("ver: NOT AUDITED") && run.stdout.contains("ver.secret"), "{}", run.stdout);
    let g2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path().join("g2/group-report.json")).unwrap()).unwrap();
    assert_eq!(g2["complete"], false);
    let md = std::fs::read_to_string(ws.path().join("g2/group-report.md")).unwrap();
    assert!(md.contains("ONVOLLEDIG"), "{md}");
}

#[test]
fn a_federation_file_with_a_bad_member_is_refused_with_its_reason() {
    let ws = Workspace::new();
    let fed = ws.path().join("federation.toml");
    for (text, why) in [
        ("[federation]\nname = \"G\"\n", "no [[school]]"),
        ("[federation]\nname = \"G\"\n[[school]]\nid = \"..\"\nworkspace = \"a\"\n", "school 1"),
        (
            "[federation]\nname = \"G\"\n[[school]]\nid = \"a\"\nworkspace = \"a\"\n[[school]]\nid = \"a\"\nworkspace = \"b\"\n",
            "appears twice",
        ),
        ("[federation]\nname = \"G\"\n[[school]]\nid = \"a\"\nworkspace = \"a\"\nworker = \"h:1\"\n", "exactly one of"),
        ("[federation]\nname = \"G\"\n[[school]]\nid = \"a\"\nworker = \"nohost\"\n", "not host:port"),
        (
            "[federation]\nname = \"G\"\n[[school]]\nid = \"a\"\nworkspace = \"x\"\n[[school]]\nid = \"b\"\nworkspace = \"x\"\n",
            "another member's",
        ),
        ("[federation]\nname = \"G\"\n[[school]]\nid = \"a\"\nworker = \"h:1\"\n", "needs secret_file"),
        (
            "[federation]\nname = \"G\"\n[[school]]\nid = \"a\"\nworkspace = \"a\"\nsecret_file = \"s\"\n",
            "belongs to a worker",
        ),
    ] {
        std::fs::write(&fed, text).unwrap();
        let r = ws.run(&["federation", "check", "--file", fed.to_str().unwrap()]);
        assert_eq!(r.code, 2, "{text}");
        assert!(r.stderr.contains(why), "{text}: {}", r.stderr);
    }
}
