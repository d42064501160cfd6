-- id: alias_as_source_file
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "source_file"
SELECT sender AS source_file FROM email
