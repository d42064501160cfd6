-- id: regexp_replace_domain
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "local"
SELECT regexp_replace(sender, '@.*', '') AS local FROM email
