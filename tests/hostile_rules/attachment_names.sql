-- id: attachment_names
-- purpose: e
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "a"
SELECT attachment_names AS a FROM email
