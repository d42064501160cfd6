-- id: split_part_local_part
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "local"
SELECT split_part(sender, '@', 1) AS local FROM email
