-- id: mail_leak_probe
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "who"
SELECT sender AS who, upper(subject) AS what, source_file, source_line FROM email LIMIT 3
