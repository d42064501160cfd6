-- id: union_hides_sender
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "x"
SELECT source_line AS x FROM email UNION ALL SELECT length(sender) FROM email
